"""The receivables list ("Quản lý khoản phải thu") and the tenant-wide summary.

Each sort has its own index on the customer table, so a page of 50 rows is one Query whatever the
sort, and paging over thousands of customers is DynamoDB's, not an in-memory sort. ``status=overdue``
is a key condition on the oldest-due index (oldest open due date before today) and a filter elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from chalicelib.domain import aging
from chalicelib.domain.text import fold
from chalicelib.services import customers
from chalicelib.store.customers import NOTHING_DUE, Customer, open_by_due
from chalicelib.store.paging import query_page

TABLE_KEYS = ("tenant_id", "customer_id")


@dataclass(frozen=True)
class Sort:
    index: Any
    range_attr: str
    descending_by_default: bool


SORTS = {
    "outstanding": Sort(Customer.by_outstanding, "outstanding", True),
    # Oldest due date first means most days overdue first: ascending on the index.
    "days_overdue": Sort(Customer.by_oldest_due, "oldest_due_sort", False),
    "name": Sort(Customer.by_name, "name_sort", False),
    "last_reminded": Sort(Customer.by_last_reminded, "last_reminded_sort", False),
}


def list_rows(tenant_id: str, today: date, *, status: str, sort: str, order: str | None, q: str | None,
              cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
    spec = SORTS[sort]
    forward = not spec.descending_by_default if order is None else order == "asc"
    if sort == "days_overdue" and order is not None:
        forward = order == "desc"  # "desc" by days overdue == ascending oldest due date
    range_condition = None
    filters = []
    if sort == "outstanding" and status == "open":
        range_condition = Customer.outstanding > 0
    elif sort == "days_overdue" and status == "open":
        range_condition = Customer.oldest_due_sort < NOTHING_DUE
    elif sort == "days_overdue" and status == "overdue":
        range_condition = Customer.oldest_due_sort < today.isoformat()
    elif status == "open":
        filters.append(Customer.outstanding > 0)
    elif status == "overdue":
        filters.append(Customer.oldest_due_sort < today.isoformat())
    if q and fold(q):
        filters.append(Customer.search_text.contains(fold(q)))
    filter_condition = None
    for condition in filters:
        filter_condition = condition if filter_condition is None else filter_condition & condition
    items, next_cursor = query_page(
        Customer, lambda **kw: spec.index.query(tenant_id, range_condition, **kw),
        (*TABLE_KEYS, spec.range_attr),
        list_name=f"receivables:{status}:{sort}:{forward}:{fold(q or '')}", tenant_id=tenant_id,
        cursor=cursor, limit=limit, scan_index_forward=forward, filter_condition=filter_condition,
    )
    return [customers.receivable_row(item, today) for item in items], next_cursor


SUMMARY_ATTRIBUTES = ["customer_id", "due_map", "outstanding", "open_invoices", "credit"]


def summary(tenant_id: str, today: date) -> dict[str, Any]:
    """Totals over every customer with something open (one index Query, paged), plus customer counts."""
    total = aging.Aging()
    open_invoices = credit = with_outstanding = overdue = 0
    for customer in Customer.by_oldest_due.query(tenant_id, Customer.oldest_due_sort < NOTHING_DUE,
                                                 attributes_to_get=SUMMARY_ATTRIBUTES):
        row = aging.age(open_by_due(customer), today)
        total.outstanding += row.outstanding
        total.overdue_amount += row.overdue_amount
        for bucket, amount in row.buckets.items():
            total.buckets[bucket] += amount
        open_invoices += int(customer.open_invoices or 0)
        credit += int(customer.credit or 0)
        with_outstanding += 1
        overdue += row.overdue_amount > 0
    for customer in Customer.by_outstanding.query(tenant_id, Customer.outstanding <= 0,
                                                  filter_condition=Customer.credit > 0,
                                                  attributes_to_get=["customer_id", "credit"]):
        credit += int(customer.credit or 0)
    return {
        "outstanding": total.outstanding,
        "overdue_amount": total.overdue_amount,
        "open_invoices": open_invoices,
        "credit": credit,
        "aging": total.buckets,
        "customers": Customer.count(tenant_id),
        "customers_with_outstanding": with_outstanding,
        "customers_overdue": overdue,
        "as_of": today.isoformat(),
    }
