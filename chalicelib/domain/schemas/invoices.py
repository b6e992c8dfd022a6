"""Invoices ("Hóa đơn") and their payments."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from chalicelib.domain.schemas.common import (
    Input,
    IsoDate,
    ListQuery,
    LongText,
    Output,
    PositiveMoney,
    ShortText,
)

Number = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9._/#-]+$")]


class InvoiceIn(Input):
    customer_id: Annotated[str, Field(min_length=1, max_length=100)]
    number: Number
    order_ref: ShortText | None = None
    issue_date: IsoDate
    due_date: IsoDate
    amount: PositiveMoney
    description: LongText | None = None

    @model_validator(mode="after")
    def _due_after_issue(self) -> InvoiceIn:
        if self.due_date < self.issue_date:
            raise ValueError("due_date must not be before issue_date")
        return self


class InvoicePatch(Input):
    due_date: IsoDate | None = None
    amount: PositiveMoney | None = None
    order_ref: ShortText | None = None
    description: LongText | None = None


class PaymentIn(Input):
    amount: PositiveMoney
    paid_on: IsoDate
    method: Literal["bank_transfer", "cash", "card", "other"] = "bank_transfer"
    reference: ShortText | None = None


class PaymentOut(Output):
    id: str
    amount: int
    paid_on: str
    method: str
    reference: str | None
    created_at: str


class InvoiceOut(Output):
    id: str
    customer_id: str
    number: str
    order_ref: str | None
    description: str | None
    issue_date: str
    due_date: str
    amount: int
    amount_paid: int
    outstanding: int
    status: Literal["unpaid", "partially_paid", "paid", "void"]
    overdue: bool
    days_overdue: int
    payments: list[PaymentOut]
    created_at: str
    updated_at: str


class PaymentCreated(Output):
    payment: PaymentOut
    invoice: InvoiceOut


class CustomerInvoicesQuery(ListQuery):
    status: Literal["open", "paid", "void", "all"] = "all"
