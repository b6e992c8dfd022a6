"""Invoices and payments. Each change moves the invoice and its customer's totals in one transaction.

Both items are conditioned on the versions read, so concurrent payments on one invoice serialise: the
loser re-reads, re-checks ``amount <= outstanding``, and either lands or is refused. Money adds up.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib.adapters import clock, ids
from chalicelib.domain import errors
from chalicelib.domain.aging import days_overdue
from chalicelib.domain.schemas.invoices import InvoiceIn, InvoicePatch, PaymentIn
from chalicelib.services import customers
from chalicelib.store.base import transaction
from chalicelib.store.customers import Customer, UniqueValue
from chalicelib.store.invoices import Invoice, Payment
from chalicelib.store.paging import query_page
from chalicelib.store.tx import lost_race, retry_on_race

OPEN_STATUSES = ("unpaid", "partially_paid")


def number_key(number: str) -> str:
    return f"invoice_number#{number.upper()}"


def get(tenant_id: str, invoice_id: str) -> Invoice:
    try:
        return Invoice.get(tenant_id, invoice_id)
    except DoesNotExist:
        raise errors.NotFound(detail=f"No invoice {invoice_id}.") from None


def get_many(tenant_id: str, invoice_ids: list[str]) -> dict[str, Invoice]:
    """Invoices by id in BatchGets of up to 100 keys; unknown ids are simply absent."""
    keys = [(tenant_id, invoice_id) for invoice_id in dict.fromkeys(invoice_ids)]
    return {invoice.invoice_id: invoice for invoice in Invoice.batch_get(keys)}


def outstanding(invoice: Invoice) -> int:
    if invoice.status == "void":
        return 0
    return int(invoice.amount) - int(invoice.amount_paid or 0)


def status_for(amount: int, paid: int) -> str:
    if paid <= 0:
        return "unpaid"
    return "paid" if paid >= amount else "partially_paid"


def _commit(invoice: Invoice, customer: Customer, *, new_invoice: bool = False,
            extra: Any = None) -> None:
    """Write the invoice and its customer together, each conditioned on the version that was read."""
    invoice_version, customer_version = invoice.version, customer.version
    invoice.version = invoice_version + 1
    customer.version = customer_version + 1
    invoice.updated_at = clock.now_iso()
    invoice.open_due = invoice.due_sort if invoice.status in OPEN_STATUSES else None
    with transaction() as tx:
        if new_invoice:
            tx.save(invoice, condition=Invoice.invoice_id.does_not_exist())
        else:
            tx.save(invoice, condition=Invoice.version == invoice_version)
        tx.save(customer, condition=Customer.version == customer_version)
        if extra is not None:
            extra(tx)


def create(tenant_id: str, data: InvoiceIn) -> Invoice:
    invoice_id = ids.new_id("inv")
    due = data.due_date.isoformat()

    def step() -> Invoice:
        try:
            customer = Customer.get(tenant_id, data.customer_id)
        except DoesNotExist:
            raise errors.invalid("customer_id", "no such customer") from None
        now = clock.now_iso()
        invoice = Invoice(
            tenant_id, invoice_id, customer_id=customer.customer_id,
            customer_key=f"{tenant_id}#{customer.customer_id}", due_sort=f"{due}#{invoice_id}",
            number=data.number, order_ref=data.order_ref, description=data.description,
            issue_date=data.issue_date.isoformat(), due_date=due, amount=data.amount, amount_paid=0,
            status="unpaid", payments=[], created_at=now, updated_at=now,
        )
        customers.move_open_amount(customer, {due: data.amount}, invoice_id, is_open=True)
        claim = UniqueValue(tenant_id, number_key(data.number), owner_id=invoice_id)
        try:
            _commit(invoice, customer, new_invoice=True,
                    extra=lambda tx: tx.save(claim, condition=UniqueValue.value_key.does_not_exist()))
        except TransactWriteError as exc:
            if lost_race(exc) and _number_taken(tenant_id, data.number):
                raise errors.Conflict(detail=f"An invoice numbered {data.number} already exists.") from None
            raise
        return invoice

    return retry_on_race(step)


def _number_taken(tenant_id: str, number: str) -> bool:
    try:
        UniqueValue.get(tenant_id, number_key(number))
        return True
    except DoesNotExist:
        return False


def update(tenant_id: str, invoice_id: str, patch: InvoicePatch) -> Invoice:
    changes = patch.model_dump(exclude_unset=True)
    for name in ("due_date", "amount"):
        if name in changes and changes[name] is None:
            raise errors.invalid(name, "cannot be null")

    def step() -> Invoice:
        invoice = get(tenant_id, invoice_id)
        if invoice.status == "void":
            raise errors.Conflict(detail="A void invoice cannot be changed.")
        customer = customers.get(tenant_id, invoice.customer_id)
        old_due, old_open = invoice.due_date, outstanding(invoice)
        if "amount" in changes:
            if changes["amount"] < int(invoice.amount_paid or 0):
                raise errors.Conflict(detail=f"The amount cannot go below what was already paid "
                                             f"({invoice.amount_paid}).")
            invoice.amount = changes["amount"]
        if "due_date" in changes:
            new_due = changes["due_date"].isoformat()
            if new_due < invoice.issue_date:
                raise errors.invalid("due_date", "must not be before issue_date")
            invoice.due_date = new_due
            invoice.due_sort = f"{new_due}#{invoice_id}"
        for name in ("order_ref", "description"):
            if name in changes:
                setattr(invoice, name, changes[name])
        invoice.status = status_for(int(invoice.amount), int(invoice.amount_paid or 0))
        now_open = invoice.status in OPEN_STATUSES
        moves: dict[str, int] = {}
        _add(moves, old_due, -old_open)
        _add(moves, invoice.due_date, outstanding(invoice))
        customers.move_open_amount(customer, moves, invoice_id, is_open=now_open)
        _commit(invoice, customer)
        return invoice

    return retry_on_race(step)


def void(tenant_id: str, invoice_id: str) -> Invoice:
    def step() -> Invoice:
        invoice = get(tenant_id, invoice_id)
        if invoice.status == "void":
            raise errors.Conflict(detail="The invoice is already void.")
        if invoice.payments or int(invoice.amount_paid or 0) > 0:
            raise errors.Conflict(detail="An invoice with payments cannot be voided.")
        customer = customers.get(tenant_id, invoice.customer_id)
        customers.move_open_amount(customer, {invoice.due_date: -outstanding(invoice)}, invoice_id, is_open=False)
        invoice.status = "void"
        _commit(invoice, customer)
        return invoice

    return retry_on_race(step)


def record_payment(tenant_id: str, invoice_id: str, data: PaymentIn) -> tuple[Payment, Invoice]:
    payment_id = ids.new_id("pay")

    def step() -> tuple[Payment, Invoice]:
        invoice = get(tenant_id, invoice_id)
        if invoice.status == "void":
            raise errors.Conflict(detail="A void invoice cannot take payments.")
        owed = outstanding(invoice)
        if data.amount > owed:
            raise errors.invalid("amount", f"must be at most the outstanding {owed}")
        payment = Payment(id=payment_id, amount=data.amount, paid_on=data.paid_on.isoformat(), method=data.method,
                          reference=data.reference, created_at=clock.now_iso())
        _pay(tenant_id, invoice, payment)
        return payment, invoice

    return retry_on_race(step)


def record_payment_once(tenant_id: str, invoice_id: str, data: PaymentIn) -> tuple[Payment | None, Invoice]:
    """Pay up to ``data.amount`` of what is outstanding, once per ``data.reference`` on this invoice.

    For reconciliation, where a crash and a retry (or a second worker) replay the same transfer: the
    payment already recorded under the reference is returned instead of a second one, and the check
    runs inside the version-conditioned step, so two writers can never both add it. Nothing
    outstanding (paid meanwhile, or void) -> ``(None, invoice)``.
    """
    if not data.reference:
        raise ValueError("record_payment_once needs a reference")
    payment_id = ids.new_id("pay")

    def step() -> tuple[Payment | None, Invoice]:
        invoice = get(tenant_id, invoice_id)
        for earlier in invoice.payments or []:
            if earlier.reference == data.reference:
                return earlier, invoice
        amount = min(data.amount, outstanding(invoice))
        if amount <= 0:
            return None, invoice
        payment = Payment(id=payment_id, amount=amount, paid_on=data.paid_on.isoformat(), method=data.method,
                          reference=data.reference, created_at=clock.now_iso())
        _pay(tenant_id, invoice, payment)
        return payment, invoice

    return retry_on_race(step)


def _pay(tenant_id: str, invoice: Invoice, payment: Payment) -> None:
    """Add a checked payment to the invoice and move its customer's totals, in one transaction."""
    customer = customers.get(tenant_id, invoice.customer_id)
    invoice.payments = [*(invoice.payments or []), payment]
    invoice.amount_paid = int(invoice.amount_paid or 0) + int(payment.amount)
    invoice.status = status_for(int(invoice.amount), int(invoice.amount_paid))
    closes = invoice.status == "paid"
    customers.move_open_amount(customer, {invoice.due_date: -int(payment.amount)}, invoice.invoice_id,
                               is_open=not closes)
    _commit(invoice, customer)


def _add(moves: dict[str, int], due: str, delta: int) -> None:
    if delta:
        moves[due] = moves.get(due, 0) + delta


def invoice_view(invoice: Invoice, today: date) -> dict[str, Any]:
    open_amount = outstanding(invoice)
    late = days_overdue(invoice.due_date, today) if open_amount > 0 else 0
    return {
        "id": invoice.invoice_id,
        "customer_id": invoice.customer_id,
        "number": invoice.number,
        "order_ref": invoice.order_ref,
        "description": invoice.description,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "amount": int(invoice.amount),
        "amount_paid": int(invoice.amount_paid or 0),
        "outstanding": open_amount,
        "status": invoice.status,
        "overdue": late > 0,
        "days_overdue": late,
        "payments": [payment_view(p) for p in invoice.payments or []],
        "created_at": invoice.created_at,
        "updated_at": invoice.updated_at,
    }


def payment_view(payment: Payment) -> dict[str, Any]:
    return {"id": payment.id, "amount": int(payment.amount), "paid_on": payment.paid_on, "method": payment.method,
            "reference": payment.reference, "created_at": payment.created_at}


STATUS_FILTERS: Mapping[str, Any] = {
    "open": lambda: Invoice.status.is_in(*OPEN_STATUSES),
    "paid": lambda: Invoice.status == "paid",
    "void": lambda: Invoice.status == "void",
}


def list_for_customer(tenant_id: str, customer_id: str, status: str, cursor: str | None,
                      limit: int) -> tuple[list[Invoice], str | None]:
    customers.get(tenant_id, customer_id)
    condition = STATUS_FILTERS[status]() if status in STATUS_FILTERS else None
    return query_page(
        Invoice, lambda **kw: Invoice.by_customer.query(f"{tenant_id}#{customer_id}", **kw),
        ("tenant_id", "invoice_id", "customer_key", "due_sort"),
        list_name=f"customer-invoices:{customer_id}:{status}", tenant_id=tenant_id, cursor=cursor, limit=limit,
        scan_index_forward=False, filter_condition=condition,
    )
