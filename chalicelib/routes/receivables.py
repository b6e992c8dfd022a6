"""Receivables ("Quản lý khoản phải thu"): who owes what, how overdue, and the tenant's totals."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.domain.schemas.common import Page
from chalicelib.domain.schemas.customers import ReceivableRow, ReceivablesQuery, ReceivablesSummary
from chalicelib.routes.http import Call, endpoint
from chalicelib.services import receivables, tenants

bp = Blueprint(__name__)
TAG = "Receivables"


@endpoint(bp, "GET", "/v1/receivables", summary="Customers with what they owe, sorted and filtered", tag=TAG,
          query=ReceivablesQuery, response=Page[ReceivableRow])
def list_receivables(call: Call) -> dict[str, Any]:
    q = call.query
    rows, cursor = receivables.list_rows(call.tenant_id, tenants.today(call.tenant_id), status=q.status,
                                         sort=q.sort, order=q.order, q=q.q, cursor=q.cursor, limit=q.limit)
    return {"items": rows, "next_cursor": cursor}


@endpoint(bp, "GET", "/v1/receivables/summary", summary="Totals and aging for the whole tenant", tag=TAG,
          response=ReceivablesSummary)
def receivables_summary(call: Call) -> dict[str, Any]:
    return receivables.summary(call.tenant_id, tenants.today(call.tenant_id))
