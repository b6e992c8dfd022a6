"""Bank transactions ("Đối soát chuyển khoản") a bank feed posts, and the webhook secret that signs them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from chalicelib.domain.schemas.common import Input, ListQuery, LongText, Output, PositiveMoney, ShortText


def _rfc3339(value: object) -> str:
    """An RFC 3339 timestamp with an offset, normalised to UTC with a Z ('2026-12-04T08:15:00Z')."""
    if not isinstance(value, str) or "T" not in value.upper() or len(value) > 40:
        raise ValueError("must be an RFC 3339 timestamp such as 2026-12-04T08:15:00Z")
    try:
        moment = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise ValueError("must be an RFC 3339 timestamp such as 2026-12-04T08:15:00Z") from None
    if moment.tzinfo is None:
        raise ValueError("needs a time zone offset or Z")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _printable(value: str) -> str:
    if not value or not all(ch.isprintable() for ch in value):
        raise ValueError("must be printable text on one line")
    return value


Timestamp = Annotated[str, BeforeValidator(_rfc3339)]
Reference = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_printable)]
InvoiceId = Annotated[str, Field(min_length=1, max_length=100)]


class BankTransactionIn(Input):
    bank_bin: Annotated[str, Field(pattern=r"^\d{6}$")] | None = None
    account_number: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9 .-]+$")]
    amount: PositiveMoney
    description: Annotated[LongText, Field(max_length=1000)]
    transaction_time: Timestamp
    reference: Reference = Field(description="The bank's own id for the transfer; the same reference is stored once.")


class BankTransactionMatch(Input):
    invoice_ids: Annotated[list[InvoiceId], Field(min_length=1, max_length=100)]


class BankTransactionsQuery(ListQuery):
    status: Literal["unmatched", "matched", "all"] = "all"


class AppliedPaymentOut(Output):
    invoice_id: str
    payment_id: str
    amount: int


class BankTransactionOut(Output):
    id: str
    reference: str
    bank_bin: str | None
    account_number: str
    amount: int
    description: str
    transaction_time: str
    received_at: str
    status: Literal["pending", "matched", "unmatched"]
    matched_by: Literal["memo", "manual"] | None
    memo_code: str | None
    reminder_id: str | None
    customer_id: str | None
    invoice_ids: list[str]
    payments: list[AppliedPaymentOut]
    credit: int
    note: ShortText | None
    matched_at: str | None


class WebhookSecretOut(Output):
    tenant_id: str
    secret: str
    signature_header: str = "X-Nhacno-Signature"
    tenant_header: str = "X-Nhacno-Tenant"
    algorithm: str = "hex(HMAC-SHA256(secret, raw request body))"
