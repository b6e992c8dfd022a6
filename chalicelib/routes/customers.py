"""Customers ("Thông tin chung") and a customer's invoices ("Hóa đơn" tab)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.domain.schemas.common import Page
from chalicelib.domain.schemas.customers import CustomerIn, CustomerOut, CustomerPatch
from chalicelib.domain.schemas.invoices import CustomerInvoicesQuery, InvoiceOut
from chalicelib.routes.http import Call, endpoint
from chalicelib.services import customers, invoices, tenants

bp = Blueprint(__name__)
TAG = "Customers"


@endpoint(bp, "POST", "/v1/customers", summary="Create a customer", tag=TAG, body=CustomerIn,
          response=CustomerOut, status=201, idempotent=True, extra_statuses=(409,))
def create_customer(call: Call) -> dict[str, Any]:
    customer = customers.create(call.tenant_id, call.body)
    return customers.customer_view(customer, tenants.today(call.tenant_id))


@endpoint(bp, "GET", "/v1/customers/{customer_id}", summary="A customer with its receivable summary", tag=TAG,
          response=CustomerOut)
def get_customer(call: Call, customer_id: str) -> dict[str, Any]:
    return customers.customer_view(customers.get(call.tenant_id, customer_id), tenants.today(call.tenant_id))


@endpoint(bp, "PATCH", "/v1/customers/{customer_id}", summary="Change a customer", tag=TAG, body=CustomerPatch,
          response=CustomerOut, extra_statuses=(409,))
def update_customer(call: Call, customer_id: str) -> dict[str, Any]:
    customer = customers.update(call.tenant_id, customer_id, call.body)
    return customers.customer_view(customer, tenants.today(call.tenant_id))


@endpoint(bp, "DELETE", "/v1/customers/{customer_id}", summary="Delete a customer with no open invoices", tag=TAG,
          status=204, extra_statuses=(409,))
def delete_customer(call: Call, customer_id: str) -> None:
    customers.delete(call.tenant_id, customer_id)


@endpoint(bp, "GET", "/v1/customers/{customer_id}/invoices", summary="A customer's invoices, newest due first",
          tag=TAG, query=CustomerInvoicesQuery, response=Page[InvoiceOut])
def list_customer_invoices(call: Call, customer_id: str) -> dict[str, Any]:
    q = call.query
    items, cursor = invoices.list_for_customer(call.tenant_id, customer_id, q.status, q.cursor, q.limit)
    today = tenants.today(call.tenant_id)
    return {"items": [invoices.invoice_view(item, today) for item in items], "next_cursor": cursor}
