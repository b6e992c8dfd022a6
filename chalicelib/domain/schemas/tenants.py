"""Tenants and API keys."""

from __future__ import annotations

from chalicelib.domain.schemas.common import Input, Name, Output


class TenantIn(Input):
    name: Name


class TenantCreated(Output):
    tenant_id: str
    name: str
    api_key: str


class ApiKeyIn(Input):
    name: Name = "API key"


class ApiKeyOut(Output):
    id: str
    name: str
    hint: str
    created_at: str


class ApiKeyCreated(ApiKeyOut):
    api_key: str


class Health(Output):
    status: str
