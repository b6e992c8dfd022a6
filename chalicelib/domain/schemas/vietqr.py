"""Request and response of ``POST /v1/bank-accounts/{id}/vietqr``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictInt

from chalicelib.domain.schemas.common import Input, Output, ShortText
from chalicelib.domain.vietqr import AMOUNT_MAX_DIGITS

QRAmount = Annotated[StrictInt, Field(gt=0, lt=10**AMOUNT_MAX_DIGITS,
                                      description="Whole đồng; makes the code dynamic (the payer cannot change it).")]


class VietQRIn(Input):
    """Without an amount the code is static: the payer types the amount in the banking app."""

    amount: QRAmount | None = None
    memo: Annotated[ShortText, Field(max_length=100, description=(
        "Transfer memo: folded to ASCII without diacritics; at most 25 characters after folding."))] | None = None


class VietQROut(Output):
    payload: str = Field(description="The EMVCo/NAPAS VietQR text the code carries.")
    image: str = Field(description="The code as a PNG data URI (data:image/png;base64,...).")
    amount: int | None
    memo: str | None = Field(description="The memo as it is in the code (ASCII, at most 25 characters).")
    bank_bin: str
    account_number: str
