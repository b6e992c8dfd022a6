"""Bank accounts reminders ask customers to pay into, and the list of supported Vietnamese banks."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.domain.banks import all_banks
from chalicelib.domain.schemas.common import ListQuery, Page
from chalicelib.domain.schemas.settings import BankAccountIn, BankAccountOut, BankAccountPatch, BankOut
from chalicelib.routes.http import Call, endpoint
from chalicelib.services import bank_accounts

bp = Blueprint(__name__)
TAG = "Bank accounts"


@endpoint(bp, "GET", "/v1/bank-accounts", summary="The tenant's bank accounts", tag=TAG, query=ListQuery,
          response=Page[BankAccountOut])
def list_bank_accounts(call: Call) -> dict[str, Any]:
    items, cursor = bank_accounts.list_accounts(call.tenant_id, call.query.cursor, call.query.limit)
    return {"items": items, "next_cursor": cursor}


@endpoint(bp, "POST", "/v1/bank-accounts", summary="Add a bank account (the first becomes the default)", tag=TAG,
          body=BankAccountIn, response=BankAccountOut, status=201, idempotent=True, extra_statuses=(409,))
def create_bank_account(call: Call) -> dict[str, Any]:
    return bank_accounts.create(call.tenant_id, call.body)


@endpoint(bp, "GET", "/v1/bank-accounts/{account_id}", summary="A bank account", tag=TAG,
          response=BankAccountOut)
def get_bank_account(call: Call, account_id: str) -> dict[str, Any]:
    return bank_accounts.get_account(call.tenant_id, account_id)


@endpoint(bp, "PATCH", "/v1/bank-accounts/{account_id}", summary="Change a bank account", tag=TAG,
          body=BankAccountPatch, response=BankAccountOut, extra_statuses=(409,))
def update_bank_account(call: Call, account_id: str) -> dict[str, Any]:
    return bank_accounts.update(call.tenant_id, account_id, call.body)


@endpoint(bp, "DELETE", "/v1/bank-accounts/{account_id}",
          summary="Delete a bank account (the default only when it is the last one)", tag=TAG, status=204,
          extra_statuses=(409,))
def delete_bank_account(call: Call, account_id: str) -> None:
    bank_accounts.delete(call.tenant_id, account_id)


@endpoint(bp, "GET", "/v1/banks", summary="Supported Vietnamese banks (NAPAS BIN, short name, name)", tag=TAG,
          response=Page[BankOut])
def list_banks(call: Call) -> dict[str, Any]:
    items = [{"bin": bank.bin, "short_name": bank.short_name, "name": bank.name} for bank in all_banks()]
    return {"items": items, "next_cursor": None}
