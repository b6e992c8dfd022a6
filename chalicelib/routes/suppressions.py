"""The suppression list: addresses that bounced or complained, which reminders skip."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from chalice import Blueprint

from chalicelib.domain.schemas.common import ListQuery, Page
from chalicelib.domain.schemas.settings import SuppressionOut
from chalicelib.routes.http import Call, endpoint
from chalicelib.services import suppressions

bp = Blueprint(__name__)
TAG = "Suppressions"


@endpoint(bp, "GET", "/v1/suppressions", summary="Suppressed addresses", tag=TAG, query=ListQuery,
          response=Page[SuppressionOut])
def list_suppressions(call: Call) -> dict[str, Any]:
    items, cursor = suppressions.list_suppressions(call.tenant_id, call.query.cursor, call.query.limit)
    return {"items": items, "next_cursor": cursor}


@endpoint(bp, "DELETE", "/v1/suppressions/{email}", summary="Remove an address from the suppression list",
          tag=TAG, status=204)
def delete_suppression(call: Call, email: str) -> None:
    # API Gateway hands path parameters over still percent-encoded.
    suppressions.unsuppress(call.tenant_id, unquote(email))
