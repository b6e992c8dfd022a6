"""Email templates: the built-ins every tenant sees, and the tenant's own (Jinja2, sandboxed)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.domain.schemas.common import ListQuery, Page
from chalicelib.domain.schemas.settings import TemplateIn, TemplateOut, TemplatePatch
from chalicelib.routes.http import Call, endpoint
from chalicelib.services import templates

bp = Blueprint(__name__)
TAG = "Templates"


@endpoint(bp, "GET", "/v1/templates", summary="Templates: built-ins first, then the tenant's own", tag=TAG,
          query=ListQuery, response=Page[TemplateOut])
def list_templates(call: Call) -> dict[str, Any]:
    items, cursor = templates.list_templates(call.tenant_id, call.query.cursor, call.query.limit)
    return {"items": items, "next_cursor": cursor}


@endpoint(bp, "POST", "/v1/templates", summary="Create a template (copy_from fills the fields not given)", tag=TAG,
          body=TemplateIn, response=TemplateOut, status=201, idempotent=True)
def create_template(call: Call) -> dict[str, Any]:
    return templates.create(call.tenant_id, call.body)


@endpoint(bp, "GET", "/v1/templates/{template_id}", summary="A template", tag=TAG, response=TemplateOut)
def get_template(call: Call, template_id: str) -> dict[str, Any]:
    return templates.get_template(call.tenant_id, template_id)


@endpoint(bp, "PATCH", "/v1/templates/{template_id}", summary="Change a template (built-ins: 409)", tag=TAG,
          body=TemplatePatch, response=TemplateOut, extra_statuses=(409,))
def update_template(call: Call, template_id: str) -> dict[str, Any]:
    return templates.update(call.tenant_id, template_id, call.body)


@endpoint(bp, "DELETE", "/v1/templates/{template_id}",
          summary="Delete a template (409 for built-ins, the default, or the automatic reminders' template)",
          tag=TAG, status=204, extra_statuses=(409,))
def delete_template(call: Call, template_id: str) -> None:
    templates.delete(call.tenant_id, template_id)
