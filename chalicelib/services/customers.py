"""Customers: create, read, change, delete; and the receivable summary kept on each customer."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from chalicelib.adapters import clock, ids
from chalicelib.domain import aging, errors
from chalicelib.domain.schemas.customers import CustomerIn, CustomerPatch
from chalicelib.domain.text import fold
from chalicelib.store.base import transaction
from chalicelib.store.customers import NOTHING_DUE, Customer, UniqueValue, open_by_due
from chalicelib.store.tx import lost_race, retry_on_race

_PROFILE_FIELDS = ("code", "name", "emails", "phone", "tax_code", "address", "contact_name", "note", "locale",
                   "reminders_paused")


def code_key(code: str) -> str:
    return f"customer_code#{code.upper()}"


def get(tenant_id: str, customer_id: str) -> Customer:
    try:
        return Customer.get(tenant_id, customer_id)
    except DoesNotExist:
        raise errors.NotFound(detail=f"No customer {customer_id}.") from None


def _search_keys(customer: Customer) -> None:
    customer.name_sort = f"{fold(customer.name)}#{customer.customer_id}"
    customer.search_text = f"{fold(customer.name)} {customer.code.lower()}"


def create(tenant_id: str, data: CustomerIn) -> Customer:
    now = clock.now_iso()
    customer = Customer(tenant_id, ids.new_id("cus"), created_at=now, updated_at=now, **data.model_dump())
    customer.emails = unique_emails(data.emails)
    _search_keys(customer)
    try:
        with transaction() as tx:
            tx.save(UniqueValue(tenant_id, code_key(data.code), owner_id=customer.customer_id),
                    condition=UniqueValue.value_key.does_not_exist())
            tx.save(customer, condition=Customer.customer_id.does_not_exist())
    except TransactWriteError as exc:
        if lost_race(exc):
            raise errors.Conflict(detail=f"A customer with code {data.code} already exists.") from None
        raise
    return customer


def update(tenant_id: str, customer_id: str, patch: CustomerPatch) -> Customer:
    changes = patch.model_dump(exclude_unset=True)
    for name in ("code", "name", "locale", "reminders_paused", "emails"):
        if name in changes and changes[name] is None:
            raise errors.invalid(name, "cannot be null")

    def step() -> Customer:
        customer = get(tenant_id, customer_id)
        old_code, version = customer.code, customer.version
        for name, value in changes.items():
            setattr(customer, name, unique_emails(value) if name == "emails" else value)
        _search_keys(customer)
        customer.updated_at = clock.now_iso()
        customer.version = version + 1
        recode = customer.code.upper() != old_code.upper()
        try:
            with transaction() as tx:
                if recode:
                    tx.save(UniqueValue(tenant_id, code_key(customer.code), owner_id=customer_id),
                            condition=UniqueValue.value_key.does_not_exist())
                    tx.delete(UniqueValue(tenant_id, code_key(old_code)),
                              condition=UniqueValue.owner_id == customer_id)
                tx.save(customer, condition=Customer.version == version)
        except TransactWriteError as exc:
            if recode and lost_race(exc) and _code_taken(tenant_id, customer.code, customer_id):
                raise errors.Conflict(detail=f"A customer with code {customer.code} already exists.") from None
            raise
        return customer

    return retry_on_race(step)


def _code_taken(tenant_id: str, code: str, customer_id: str) -> bool:
    try:
        return UniqueValue.get(tenant_id, code_key(code)).owner_id != customer_id
    except DoesNotExist:
        return False


def delete(tenant_id: str, customer_id: str) -> None:
    customer = get(tenant_id, customer_id)
    if customer.open_invoices > 0:
        raise errors.Conflict(detail="This customer still has open invoices; settle or void them first.")
    try:
        with transaction() as tx:
            tx.delete(customer, condition=(Customer.version == customer.version) & (Customer.open_invoices == 0))
            tx.delete(UniqueValue(tenant_id, code_key(customer.code)), condition=UniqueValue.owner_id == customer_id)
    except TransactWriteError as exc:
        if lost_race(exc):
            raise errors.Conflict(detail="The customer changed meanwhile; try again.") from None
        raise


def mark_reminded(tenant_id: str, customer_id: str, at: str) -> None:
    """Count a reminder on the customer and move ``last_reminded_at`` forward (never back).

    The version moves too, so a concurrent money write that read the customer before this retries
    instead of overwriting the count.
    """
    Customer(tenant_id, customer_id).update(
        actions=[Customer.reminder_count.add(1), Customer.version.add(1)],
        condition=Customer.customer_id.exists(),
    )
    try:
        Customer(tenant_id, customer_id).update(
            actions=[Customer.last_reminded_at.set(at), Customer.last_reminded_sort.set(at),
                     Customer.version.add(1)],
            condition=Customer.last_reminded_at.does_not_exist() | (Customer.last_reminded_at < at),
        )
    except UpdateError as exc:
        if not lost_race(exc):
            raise


def add_credit(tx: Any, tenant_id: str, customer_id: str, amount: int) -> None:
    """Keep ``amount`` (an over-payment) as the customer's credit, inside the caller's transaction.

    An ADD, so concurrent credits both count; the version moves too, so an invoice or payment write
    that read the customer before this (and saves the whole item) loses its condition and retries
    instead of writing the old credit back.
    """
    tx.update(Customer(tenant_id, customer_id), actions=[Customer.credit.add(amount), Customer.version.add(1)],
              condition=Customer.customer_id.exists())


def unique_emails(emails: list[str]) -> list[str]:
    """Addresses in their first spelling, each once whatever its case."""
    seen: dict[str, str] = {}
    for email in emails:
        seen.setdefault(email.lower(), email)
    return list(seen.values())


# --- the receivable summary -------------------------------------------------------------------------

def move_open_amount(customer: Customer, changes: Mapping[str, int], invoice_id: str, *, is_open: bool) -> None:
    """Apply one invoice's open-amount changes per due date to its customer's summary.

    In memory only; the caller writes the customer in the same transaction as the invoice. The
    customer also keeps the ids of its open invoices, so a reminder finds them without a query.
    """
    due_map = open_by_due(customer)
    for due, delta in changes.items():
        amount = due_map.get(due, 0) + int(delta)
        if amount < 0:
            raise errors.Conflict(detail="The customer's totals do not add up; refusing the change.")
        if amount:
            due_map[due] = amount
        else:
            due_map.pop(due, None)
    customer.due_map = due_map
    customer.outstanding = sum(due_map.values())
    open_ids = [known for known in (customer.open_invoice_ids or []) if known != invoice_id]
    customer.open_invoice_ids = [*open_ids, invoice_id] if is_open else open_ids
    customer.open_invoices = len(customer.open_invoice_ids)
    customer.oldest_due_date = min(due_map) if due_map else None
    customer.oldest_due_sort = customer.oldest_due_date or NOTHING_DUE
    customer.updated_at = clock.now_iso()


def receivable_row(customer: Customer, today: date) -> dict[str, Any]:
    summary = aging.age(open_by_due(customer), today)
    return {
        "customer_id": customer.customer_id,
        "code": customer.code,
        "name": customer.name,
        "emails": list(customer.emails or []),
        "outstanding": int(customer.outstanding or 0),
        "overdue_amount": summary.overdue_amount,
        "open_invoices": int(customer.open_invoices or 0),
        "oldest_due_date": summary.oldest_due_date,
        "max_days_overdue": summary.max_days_overdue,
        "last_reminded_at": customer.last_reminded_at,
        "reminder_count": int(customer.reminder_count or 0),
        "credit": int(customer.credit or 0),
        "reminders_paused": bool(customer.reminders_paused),
        "aging": summary.buckets,
    }


def customer_view(customer: Customer, today: date) -> dict[str, Any]:
    row = receivable_row(customer, today)
    row.update({name: getattr(customer, name) for name in _PROFILE_FIELDS})
    row.update(id=customer.customer_id, created_at=customer.created_at, updated_at=customer.updated_at)
    row["emails"] = list(customer.emails or [])
    return row
