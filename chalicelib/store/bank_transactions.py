"""Bank transactions a bank feed or webhook posted, and how each was reconciled against invoices.

A transaction's ``reference`` (the bank's own id) is claimed per tenant with a ``UniqueValue`` in the
same transaction that stores it, so the same transfer posted twice is stored once. Its ``status`` is
``pending`` while payments are being applied, then ``matched`` or ``unmatched``; ``status_key``
("<tenant_id>#<status>") feeds the per-status list, newest first by the ULID id.
"""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.store.base import index_meta, meta


class AppliedPayment(MapAttribute):
    """One payment this transaction recorded on an invoice."""

    invoice_id = UnicodeAttribute()
    payment_id = UnicodeAttribute()
    amount = NumberAttribute()


class ByStatus(GlobalSecondaryIndex):
    Meta = index_meta("by_status", AllProjection())
    status_key = UnicodeAttribute(hash_key=True)  # "<tenant_id>#<status>"
    transaction_id = UnicodeAttribute(range_key=True)  # ULID: newest first when read backwards


class BankTransaction(Model):
    Meta = meta("bank-transactions")
    tenant_id = UnicodeAttribute(hash_key=True)
    transaction_id = UnicodeAttribute(range_key=True)
    reference = UnicodeAttribute()
    bank_bin = UnicodeAttribute(null=True)
    account_number = UnicodeAttribute()
    amount = NumberAttribute()
    description = UnicodeAttribute()
    transaction_time = UnicodeAttribute()  # RFC 3339 UTC
    received_at = UnicodeAttribute()
    status = UnicodeAttribute()  # pending | matched | unmatched
    status_key = UnicodeAttribute()
    matched_by = UnicodeAttribute(null=True)  # memo | manual
    memo_code = UnicodeAttribute(null=True)  # the reminder code found in the description
    reminder_id = UnicodeAttribute(null=True)
    customer_id = UnicodeAttribute(null=True)
    invoice_ids = ListAttribute(of=UnicodeAttribute, default=list)  # what to settle, oldest due first
    payments = ListAttribute(of=AppliedPayment, default=list)
    credit = NumberAttribute(default=0)  # the part kept as customer credit
    note = UnicodeAttribute(null=True)  # why it is unmatched, in words
    matched_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute()
    version = NumberAttribute(default=0)

    by_status = ByStatus()


def status_key(tenant_id: str, status: str) -> str:
    return f"{tenant_id}#{status}"
