"""Invoices, each carrying its payments, and the per-customer index the Invoices tab reads."""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.store.base import index_meta, meta


class Payment(MapAttribute):
    id = UnicodeAttribute()
    amount = NumberAttribute()
    paid_on = UnicodeAttribute()
    method = UnicodeAttribute()
    reference = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


class ByCustomer(GlobalSecondaryIndex):
    Meta = index_meta("by_customer", AllProjection())
    customer_key = UnicodeAttribute(hash_key=True)  # "<tenant_id>#<customer_id>"
    due_sort = UnicodeAttribute(range_key=True)  # "<due_date>#<invoice_id>"


class ByOpenDue(GlobalSecondaryIndex):
    """Sparse: only open invoices, by due date. The automatic reminder rules read it."""

    Meta = index_meta("by_open_due", AllProjection())
    tenant_id = UnicodeAttribute(hash_key=True)
    open_due = UnicodeAttribute(range_key=True)  # "<due_date>#<invoice_id>" while open


class Invoice(Model):
    Meta = meta("invoices")
    tenant_id = UnicodeAttribute(hash_key=True)
    invoice_id = UnicodeAttribute(range_key=True)
    customer_id = UnicodeAttribute()
    customer_key = UnicodeAttribute()
    due_sort = UnicodeAttribute()
    open_due = UnicodeAttribute(null=True)
    number = UnicodeAttribute()
    order_ref = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    issue_date = UnicodeAttribute()
    due_date = UnicodeAttribute()
    amount = NumberAttribute()
    amount_paid = NumberAttribute(default=0)
    status = UnicodeAttribute(default="unpaid")  # unpaid | partially_paid | paid | void
    payments = ListAttribute(of=Payment, default=list)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute(default=0)

    by_customer = ByCustomer()
    by_open_due = ByOpenDue()
