"""Health and the OpenAPI document: the only routes that need no key."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.domain.schemas.tenants import Health
from chalicelib.routes import openapi
from chalicelib.routes.http import Call, endpoint

bp = Blueprint(__name__)

_document: dict[str, Any] | None = None


@endpoint(bp, "GET", "/v1/health", summary="Liveness", tag="Meta", response=Health, public=True)
def health(call: Call) -> dict[str, Any]:
    return {"status": "ok"}


@endpoint(bp, "GET", "/v1/openapi.json", summary="This API's OpenAPI 3.1 document", tag="Meta", public=True)
def openapi_json(call: Call) -> dict[str, Any]:
    global _document
    if _document is None:
        _document = openapi.document()
    return _document
