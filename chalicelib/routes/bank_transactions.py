"""Bank transactions ("Đối soát chuyển khoản"): what a bank feed posts, the unmatched list, settling by hand."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.domain.schemas.bank_transactions import (
    BankTransactionIn,
    BankTransactionMatch,
    BankTransactionOut,
    BankTransactionsQuery,
)
from chalicelib.domain.schemas.common import Page
from chalicelib.routes.http import Call, endpoint, json_response, shape
from chalicelib.services import reconciliation

bp = Blueprint(__name__)
TAG = "Bank transactions"

RECEIVE_SUMMARY = (
    "Record a bank transfer and settle the invoices its memo names. Authenticate with the API key, or (bank feeds) "
    "with no Authorization header but X-Nhacno-Tenant: <tenant id> and X-Nhacno-Signature: hex HMAC-SHA256 of the "
    "raw body under the webhook secret (GET /v1/settings/webhook-secret). Idempotent on reference: 201 the first "
    "time, 200 with the same result for a repeat, 409 if the reference comes back with another amount or account."
)


@endpoint(bp, "POST", "/v1/bank-transactions", summary=RECEIVE_SUMMARY, tag=TAG, body=BankTransactionIn,
          response=BankTransactionOut, status=201, auth="key_or_signature", extra_statuses=(409,))
def receive_bank_transaction(call: Call) -> Any:
    txn, first = reconciliation.receive(call.tenant_id, call.body)
    if first:
        return reconciliation.view(txn)
    return json_response(shape(BankTransactionOut, reconciliation.view(txn)), 200)


@endpoint(bp, "GET", "/v1/bank-transactions", summary="Bank transactions, newest received first (status filter)",
          tag=TAG, query=BankTransactionsQuery, response=Page[BankTransactionOut])
def list_bank_transactions(call: Call) -> dict[str, Any]:
    q = call.query
    items, cursor = reconciliation.list_transactions(call.tenant_id, q.status, q.cursor, q.limit)
    return {"items": [reconciliation.view(item) for item in items], "next_cursor": cursor}


@endpoint(bp, "GET", "/v1/bank-transactions/{transaction_id}", summary="One bank transaction and what it paid",
          tag=TAG, response=BankTransactionOut)
def get_bank_transaction(call: Call, transaction_id: str) -> dict[str, Any]:
    return reconciliation.view(reconciliation.get(call.tenant_id, transaction_id))


@endpoint(bp, "POST", "/v1/bank-transactions/{transaction_id}/match",
          summary="Settle an unmatched transfer by hand: the invoices oldest due first, the rest as customer credit "
                  "(409 once matched)", tag=TAG, body=BankTransactionMatch, response=BankTransactionOut,
          extra_statuses=(409,))
def match_bank_transaction(call: Call, transaction_id: str) -> dict[str, Any]:
    return reconciliation.view(reconciliation.match(call.tenant_id, transaction_id, call.body.invoice_ids))
