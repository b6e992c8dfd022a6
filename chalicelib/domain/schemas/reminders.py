"""Reminders ("Nhắc nợ", "Lịch sử nhắc nợ") and bulk batches ("Gửi mail nhắc nợ nhiều khách hàng")."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from chalicelib.domain.schemas.common import Email, Input, IsoDate, ListQuery, LongText, Output, PositiveMoney

Id = Annotated[str, Field(min_length=1, max_length=100)]
InvoiceIds = Annotated[list[Id], Field(min_length=1, max_length=200)]


class ReminderChoices(Input):
    """Every field falls back to the tenant's settings (or the customer's open invoices)."""

    template_id: Id | None = None
    sender: Email | None = None
    extra_recipients: Annotated[list[Email], Field(max_length=50)] = []
    bank_account_id: Id | None = None
    invoice_ids: InvoiceIds | None = None
    amount: PositiveMoney | None = None


class ReminderPreview(Output):
    subject: str
    html: str
    text: str
    from_: str = Field(alias="from", serialization_alias="from")
    to: list[str]
    reply_to: str | None = None
    amount: int
    invoices: list[dict[str, Any]]
    payment_memo: str | None = None
    template_id: str
    bank_account: dict[str, Any] | None = None
    vietqr: str | None = Field(default=None, description="The VietQR text the email's QR code carries.")

    model_config = {"populate_by_name": True, "from_attributes": True, "defer_build": True}


class ReminderText(Output):
    text: str


class ReminderQueued(Output):
    id: str
    status: str


class ManualReminderIn(Input):
    reminded_on: IsoDate
    channel: Literal["sms", "zalo", "phone", "email", "other"]
    invoice_ids: InvoiceIds | None = None
    amount: PositiveMoney | None = None
    note: LongText | None = None


class ReminderEvent(Output):
    type: str
    at: str
    detail: str | None = None
    recipients: list[str] = []


class ReminderOut(Output):
    id: str
    customer_id: str
    kind: Literal["email", "manual"]
    status: str
    channel: str
    source: str
    created_at: str
    sent_at: str | None
    reminded_on: str | None
    sender: str | None
    to: list[str]
    reply_to: str | None
    subject: str | None
    html: str | None
    text: str | None
    amount: int | None
    invoice_ids: list[str]
    payment_memo: str | None
    note: str | None
    attempts: int
    last_error: str | None
    next_attempt_at: str | None
    events: list[ReminderEvent]
    batch_id: str | None
    template_id: str | None


class Override(Input):
    amount: PositiveMoney | None = None
    bank_account_id: Id | None = None
    extra_recipients: Annotated[list[Email], Field(max_length=50)] | None = None
    invoice_ids: InvoiceIds | None = None


class BatchIn(Input):
    customer_ids: Annotated[list[Id], Field(min_length=1, max_length=10_000)] | None = None
    all: bool = False
    status: Literal["open", "overdue"] = "open"
    template_id: Id | None = None
    sender: Email | None = None
    overrides: Annotated[dict[Id, Override], Field(max_length=10_000)] = {}

    @model_validator(mode="after")
    def _ids_or_all(self) -> BatchIn:
        if self.all == bool(self.customer_ids):
            raise ValueError("send either customer_ids or all: true")
        if self.customer_ids and len(set(self.customer_ids)) != len(self.customer_ids):
            raise ValueError("customer_ids has duplicates")
        if self.customer_ids and self.overrides and not set(self.overrides) <= set(self.customer_ids):
            raise ValueError("overrides name customers that are not in customer_ids")
        return self


class BatchOut(Output):
    id: str
    total: int
    queued: int
    sent: int
    failed: int
    skipped: int
    status: Literal["running", "done"]
    created_at: str
    finished_at: str | None = None


class BatchQueued(Output):
    id: str
    total: int
    status: str


class HistoryQuery(ListQuery):
    pass
