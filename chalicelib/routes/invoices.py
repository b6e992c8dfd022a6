"""Invoices ("Hóa đơn") and payments."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.domain.schemas.invoices import InvoiceIn, InvoiceOut, InvoicePatch, PaymentCreated, PaymentIn
from chalicelib.routes.http import Call, endpoint
from chalicelib.services import invoices, tenants

bp = Blueprint(__name__)
TAG = "Invoices"


@endpoint(bp, "POST", "/v1/invoices", summary="Create an invoice", tag=TAG, body=InvoiceIn, response=InvoiceOut,
          status=201, idempotent=True, extra_statuses=(409,))
def create_invoice(call: Call) -> dict[str, Any]:
    invoice = invoices.create(call.tenant_id, call.body)
    return invoices.invoice_view(invoice, tenants.today(call.tenant_id))


@endpoint(bp, "GET", "/v1/invoices/{invoice_id}", summary="An invoice with its payments", tag=TAG,
          response=InvoiceOut)
def get_invoice(call: Call, invoice_id: str) -> dict[str, Any]:
    return invoices.invoice_view(invoices.get(call.tenant_id, invoice_id), tenants.today(call.tenant_id))


@endpoint(bp, "PATCH", "/v1/invoices/{invoice_id}", summary="Change due date, amount, order ref or description",
          tag=TAG, body=InvoicePatch, response=InvoiceOut, extra_statuses=(409,))
def update_invoice(call: Call, invoice_id: str) -> dict[str, Any]:
    invoice = invoices.update(call.tenant_id, invoice_id, call.body)
    return invoices.invoice_view(invoice, tenants.today(call.tenant_id))


@endpoint(bp, "POST", "/v1/invoices/{invoice_id}/void", summary="Void an invoice without payments", tag=TAG,
          response=InvoiceOut, extra_statuses=(409,))
def void_invoice(call: Call, invoice_id: str) -> dict[str, Any]:
    return invoices.invoice_view(invoices.void(call.tenant_id, invoice_id), tenants.today(call.tenant_id))


@endpoint(bp, "POST", "/v1/invoices/{invoice_id}/payments", summary="Record a payment against an invoice", tag=TAG,
          body=PaymentIn, response=PaymentCreated, status=201, idempotent=True, extra_statuses=(409,))
def record_payment(call: Call, invoice_id: str) -> dict[str, Any]:
    payment, invoice = invoices.record_payment(call.tenant_id, invoice_id, call.body)
    return {"payment": invoices.payment_view(payment),
            "invoice": invoices.invoice_view(invoice, tenants.today(call.tenant_id))}
