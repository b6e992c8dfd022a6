"""Customers, with the receivable summary a receivables row needs kept on the item itself.

The summary (``outstanding``, ``open_invoices``, ``due_map``, ``oldest_due_date``) changes in the same
transaction as the invoice or payment that moves it, so one Query serves a page of 50 rows. ``due_map``
holds open outstanding per due date; aging and days overdue are derived from it and "today" at read
time, so they are right tomorrow without a write.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.store.base import index_meta, meta

NOTHING_DUE = "9999-12-31"
NEVER_REMINDED = "0000"  # sorts before every RFC 3339 timestamp


class ByOutstanding(GlobalSecondaryIndex):
    Meta = index_meta("by_outstanding", AllProjection())
    tenant_id = UnicodeAttribute(hash_key=True)
    outstanding = NumberAttribute(range_key=True)


class ByOldestDue(GlobalSecondaryIndex):
    """Oldest open due date first == most days overdue first; "9999-12-31" when nothing is open."""

    Meta = index_meta("by_oldest_due", AllProjection())
    tenant_id = UnicodeAttribute(hash_key=True)
    oldest_due_sort = UnicodeAttribute(range_key=True)


class ByName(GlobalSecondaryIndex):
    Meta = index_meta("by_name", AllProjection())
    tenant_id = UnicodeAttribute(hash_key=True)
    name_sort = UnicodeAttribute(range_key=True)


class ByLastReminded(GlobalSecondaryIndex):
    Meta = index_meta("by_last_reminded", AllProjection())
    tenant_id = UnicodeAttribute(hash_key=True)
    last_reminded_sort = UnicodeAttribute(range_key=True)


class Customer(Model):
    Meta = meta("customers")
    tenant_id = UnicodeAttribute(hash_key=True)
    customer_id = UnicodeAttribute(range_key=True)
    code = UnicodeAttribute()
    name = UnicodeAttribute()
    emails = ListAttribute(of=UnicodeAttribute, default=list)
    phone = UnicodeAttribute(null=True)
    tax_code = UnicodeAttribute(null=True)
    address = UnicodeAttribute(null=True)
    contact_name = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    locale = UnicodeAttribute(default="vi")
    reminders_paused = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    # Receivable summary, moved only together with the invoices and payments behind it.
    outstanding = NumberAttribute(default=0)
    open_invoices = NumberAttribute(default=0)
    open_invoice_ids = ListAttribute(of=UnicodeAttribute, default=list)
    due_map = MapAttribute(default=dict)
    oldest_due_date = UnicodeAttribute(null=True)
    oldest_due_sort = UnicodeAttribute(default=NOTHING_DUE)
    credit = NumberAttribute(default=0)
    last_reminded_at = UnicodeAttribute(null=True)
    reminder_count = NumberAttribute(default=0)
    # Sort and search keys: normalised name (no diacritics, lower case) and "0000" for never reminded.
    name_sort = UnicodeAttribute()
    search_text = UnicodeAttribute()
    last_reminded_sort = UnicodeAttribute(default=NEVER_REMINDED)
    version = NumberAttribute(default=0)

    by_outstanding = ByOutstanding()
    by_oldest_due = ByOldestDue()
    by_name = ByName()
    by_last_reminded = ByLastReminded()


class UniqueValue(Model):
    """Claims a tenant-unique value (a customer code, an invoice number) inside a transaction."""

    Meta = meta("unique-values")
    tenant_id = UnicodeAttribute(hash_key=True)
    value_key = UnicodeAttribute(range_key=True)  # e.g. "customer_code#KH001"
    owner_id = UnicodeAttribute()


def open_by_due(customer: Customer) -> dict[str, int]:
    """The customer's open amounts keyed by ISO due date, as a plain dict."""
    raw = customer.due_map
    if raw is None:
        return {}
    values = raw.as_dict() if isinstance(raw, MapAttribute) else dict(raw)
    return {str(due): int(amount) for due, amount in values.items()}
