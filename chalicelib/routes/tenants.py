"""Tenants (operator only) and a tenant's own API keys."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.domain.schemas.common import Page
from chalicelib.domain.schemas.tenants import ApiKeyCreated, ApiKeyIn, ApiKeyOut, TenantCreated, TenantIn
from chalicelib.routes.http import Call, endpoint
from chalicelib.services import auth, tenants

bp = Blueprint(__name__)


@endpoint(bp, "POST", "/v1/admin/tenants", summary="Create a tenant (operator's admin key)", tag="Admin",
          body=TenantIn, response=TenantCreated, status=201, admin=True)
def create_tenant(call: Call) -> dict[str, Any]:
    tenant, api_key = tenants.create(call.body.name)
    return {"tenant_id": tenant.tenant_id, "name": tenant.name, "api_key": api_key}


def _key_view(key: Any) -> dict[str, Any]:
    return {"id": key.key_id, "name": key.name, "hint": key.hint, "created_at": key.created_at}


@endpoint(bp, "GET", "/v1/api-keys", summary="The tenant's API keys (secrets are never shown again)",
          tag="API keys", response=Page[ApiKeyOut])
def list_api_keys(call: Call) -> dict[str, Any]:
    return {"items": [_key_view(key) for key in auth.list_keys(call.tenant_id)], "next_cursor": None}


@endpoint(bp, "POST", "/v1/api-keys", summary="Create an API key; the secret is shown only in this response",
          tag="API keys", body=ApiKeyIn, response=ApiKeyCreated, status=201, idempotent=True)
def create_api_key(call: Call) -> dict[str, Any]:
    key, secret = auth.issue_key(call.tenant_id, call.body.name)
    return {**_key_view(key), "api_key": secret}


@endpoint(bp, "DELETE", "/v1/api-keys/{key_id}", summary="Revoke an API key", tag="API keys", status=204)
def delete_api_key(call: Call, key_id: str) -> None:
    auth.revoke_key(call.tenant_id, key_id)
