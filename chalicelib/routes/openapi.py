"""The OpenAPI 3.1 document, generated from the routes' declared pydantic models."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from chalicelib.routes.http import ROUTES, RouteSpec

_PARAM = re.compile(r"{(\w+)}")
_STATUS_TEXT = {400: "Malformed request", 401: "Missing or unknown API key", 404: "Not found",
                409: "Conflict with the current state", 413: "Body too large", 415: "Not JSON",
                422: "Validation failed", 429: "Rate limited", 500: "Server error"}


def _schema(model: type[BaseModel], components: dict[str, Any], *, mode: str = "serialization") -> dict[str, Any]:
    """A ``$ref`` to ``model``'s schema, which goes into ``components`` with the schemas it refers to.

    Request bodies use the validation schema (what we accept), responses the serialization one."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)  # type: ignore[arg-type]
    components.update(schema.pop("$defs", {}))
    name = _name(model)
    components[name] = schema
    return {"$ref": f"#/components/schemas/{name}"}


def _name(model: type[BaseModel]) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", model.__name__)


def _problem_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "title", "status"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {"type": "array", "items": {
                "type": "object", "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}},
        },
    }


def _operation(spec: RouteSpec, components: dict[str, Any]) -> dict[str, Any]:
    operation_id = f"{spec.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', spec.path.lower())}"
    operation: dict[str, Any] = {"summary": spec.summary, "tags": [spec.tag], "operationId": operation_id}
    parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in _PARAM.findall(spec.path)]
    if spec.query is not None:
        query_schema = spec.query.model_json_schema()
        for name, prop in query_schema.get("properties", {}).items():
            parameters.append({"name": name, "in": "query", "required": name in query_schema.get("required", []),
                               "schema": prop})
    if spec.idempotent:
        parameters.append({"name": "Idempotency-Key", "in": "header", "required": False,
                           "schema": {"type": "string", "maxLength": 255}})
    if parameters:
        operation["parameters"] = parameters
    if spec.body is not None:
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": _schema(spec.body, components, mode="validation")}}}
    ok: dict[str, Any] = {"description": "OK"}
    html = {"text/html": {"schema": {"type": "string"}}}
    if spec.html:
        ok["content"] = html
    elif spec.response is not None:
        ok["content"] = {"application/json": {"schema": _schema(spec.response, components)}}
    responses: dict[str, Any] = {str(spec.status): ok}
    statuses = {500, *spec.extra_statuses}
    if not spec.public:
        statuses.add(401)
    if _PARAM.search(spec.path):
        statuses.add(404)
    if spec.body is not None:
        statuses.update({400, 413, 415, 422})
    if spec.query is not None:
        statuses.update({400, 422})
    for status in sorted(statuses):
        problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        # A page's own refusals (404, 410) are pages too; a 500 is problem+json like everywhere else.
        content = html if spec.html and status < 500 else problem
        responses[str(status)] = {"description": _STATUS_TEXT.get(status, "Error"), "content": content}
    operation["responses"] = responses
    if not spec.public:
        operation["security"] = [{"adminKey": []}] if spec.admin else [{"apiKey": []}]
    return operation


def document() -> dict[str, Any]:
    components: dict[str, Any] = {"Problem": _problem_schema()}
    paths: dict[str, Any] = {}
    for spec in ROUTES:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Nhacno API", "version": "1.0.0",
                 "description": "Accounts receivable and payment reminders (quản lý khoản phải thu, nhắc nợ)."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer", "description": "A tenant's API key."},
                "adminKey": {"type": "http", "scheme": "bearer", "description": "The deployment's admin key."},
            },
        },
    }
