"""Customers ("Thông tin chung") and receivables rows ("Quản lý khoản phải thu")."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool

from chalicelib.domain.schemas.common import Email, Input, ListQuery, Locale, LongText, Name, Output, ShortText

Code = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9._/-]+$")]
Emails = Annotated[list[Email], Field(max_length=50)]


class CustomerIn(Input):
    code: Code
    name: Name
    emails: Emails = []
    phone: ShortText | None = None
    tax_code: ShortText | None = None
    address: ShortText | None = None
    contact_name: ShortText | None = None
    note: LongText | None = None
    locale: Locale = "vi"
    reminders_paused: StrictBool = False


class CustomerPatch(Input):
    code: Code | None = None
    name: Name | None = None
    emails: Emails | None = None
    phone: ShortText | None = None
    tax_code: ShortText | None = None
    address: ShortText | None = None
    contact_name: ShortText | None = None
    note: LongText | None = None
    locale: Locale | None = None
    reminders_paused: StrictBool | None = None


class Aging(Output):
    current: int
    d1_30: int
    d31_60: int
    d61_90: int
    d90_plus: int


class ReceivableRow(Output):
    customer_id: str
    code: str
    name: str
    emails: list[str]
    outstanding: int
    overdue_amount: int
    open_invoices: int
    oldest_due_date: str | None
    max_days_overdue: int
    last_reminded_at: str | None
    reminder_count: int
    credit: int = 0
    reminders_paused: bool = False
    aging: Aging


class CustomerOut(ReceivableRow):
    id: str
    phone: str | None
    tax_code: str | None
    address: str | None
    contact_name: str | None
    note: str | None
    locale: str
    created_at: str
    updated_at: str


class ReceivablesQuery(ListQuery):
    status: Literal["open", "overdue", "all"] = "open"
    q: str | None = Field(default=None, max_length=100)
    sort: Literal["outstanding", "days_overdue", "name", "last_reminded"] = "outstanding"
    order: Literal["asc", "desc"] | None = None


class ReceivablesSummary(Output):
    outstanding: int
    overdue_amount: int
    open_invoices: int
    credit: int
    aging: Aging
    customers: int
    customers_with_outstanding: int
    customers_overdue: int
    as_of: str
