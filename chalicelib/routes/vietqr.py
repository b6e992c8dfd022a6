"""VietQR codes for a bank account: the text and a PNG a front end can show or print."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.domain.schemas.vietqr import VietQRIn, VietQROut
from chalicelib.routes.http import Call, endpoint
from chalicelib.services import vietqr_codes

bp = Blueprint(__name__)
TAG = "Bank accounts"


@endpoint(bp, "POST", "/v1/bank-accounts/{account_id}/vietqr",
          summary="A VietQR code for this account (dynamic with an amount, static without)", tag=TAG,
          body=VietQRIn, response=VietQROut, extra_statuses=(409,))
def make_vietqr(call: Call, account_id: str) -> dict[str, Any]:
    return vietqr_codes.for_account(call.tenant_id, account_id, call.body.amount, call.body.memo)
