"""Reconciliation ("Đối soát chuyển khoản"): turn bank transfers into invoice payments and customer credit.

A bank feed posts each transfer. We store it once per bank ``reference`` (the reference is claimed in
the same transaction that stores it), look for a reminder's transfer memo in its description
(domain/reconciliation.py), and pay that reminder's invoices oldest due first through the payment
service. Whatever is left over is kept as the customer's credit. A transfer that names no known memo,
or whose invoices were already paid, is stored ``unmatched`` for someone to settle by hand.

Safe to retry at every step. A stored transfer is ``pending`` until its outcome is written, and it
carries the invoices it will pay. Each invoice payment is its own transaction and carries the
reference ``<bank reference>#<invoice id>``, which the payment service records at most once per
invoice. The outcome (``matched`` with the payments and credit) is written together with the credit
in one transaction conditioned on ``pending``. A crash midway therefore leaves a ``pending``
transfer, and posting it again (or a concurrent second delivery) finishes the same work without
paying anything twice.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from chalicelib.adapters import clock, ids
from chalicelib.domain import errors
from chalicelib.domain.reconciliation import candidate_codes
from chalicelib.domain.schemas.bank_transactions import BankTransactionIn
from chalicelib.domain.schemas.invoices import PaymentIn
from chalicelib.services import customers, invoices, tenants
from chalicelib.store.bank_transactions import AppliedPayment, BankTransaction, status_key
from chalicelib.store.base import transaction
from chalicelib.store.customers import UniqueValue
from chalicelib.store.invoices import Invoice
from chalicelib.store.paging import query_page
from chalicelib.store.reminders import Reminder
from chalicelib.store.tx import lost_race

NO_MEMO = "No known transfer memo in the description."
ALREADY_PAID = "The reminder's invoices have nothing outstanding."


def reference_key(reference: str) -> str:
    return f"bank_reference#{reference}"


def get(tenant_id: str, transaction_id: str) -> BankTransaction:
    try:
        return BankTransaction.get(tenant_id, transaction_id)
    except DoesNotExist:
        raise errors.NotFound(detail=f"No bank transaction {transaction_id}.") from None


# --- receiving a transfer ---------------------------------------------------------------------------

def receive(tenant_id: str, data: BankTransactionIn) -> tuple[BankTransaction, bool]:
    """Store a transfer once per reference and settle what its memo names: (transaction, first time)."""
    earlier = _by_reference(tenant_id, data.reference)
    if earlier is not None:
        return _again(tenant_id, earlier, data), False
    now = clock.now_iso()
    txn = BankTransaction(
        tenant_id, ids.new_id("btx"), reference=data.reference, bank_bin=data.bank_bin,
        account_number=data.account_number, amount=data.amount, description=data.description,
        transaction_time=data.transaction_time, received_at=now, updated_at=now, invoice_ids=[], payments=[],
    )
    reminder = find_reminder(tenant_id, data.description)
    targets = _open_invoices_of(tenant_id, reminder) if reminder is not None else []
    if reminder is not None:
        txn.memo_code, txn.reminder_id, txn.customer_id = reminder.memo_code, reminder.reminder_id, reminder.customer_id
    if targets:
        txn.matched_by, txn.invoice_ids = "memo", [invoice.invoice_id for invoice in targets]
        _set_status(txn, "pending")
    else:
        txn.note = ALREADY_PAID if reminder is not None else NO_MEMO
        _set_status(txn, "unmatched")
    claim = UniqueValue(tenant_id, reference_key(data.reference), owner_id=txn.transaction_id)
    try:
        with transaction() as tx:
            tx.save(claim, condition=UniqueValue.value_key.does_not_exist())
            tx.save(txn, condition=BankTransaction.transaction_id.does_not_exist())
    except TransactWriteError as exc:
        if not lost_race(exc):
            raise
        earlier = _by_reference(tenant_id, data.reference)  # a concurrent delivery of the same transfer won
        if earlier is None:
            raise
        return _again(tenant_id, earlier, data), False
    return (settle(tenant_id, txn) if txn.status == "pending" else txn), True


def _by_reference(tenant_id: str, reference: str) -> BankTransaction | None:
    try:
        owner = UniqueValue.get(tenant_id, reference_key(reference)).owner_id
    except DoesNotExist:
        return None
    return BankTransaction.get(tenant_id, owner)


def _again(tenant_id: str, earlier: BankTransaction, data: BankTransactionIn) -> BankTransaction:
    """The same reference posted again: the first outcome, after finishing it if a crash interrupted it."""
    if int(earlier.amount) != data.amount or earlier.account_number != data.account_number:
        raise errors.Conflict(detail=f"Reference {data.reference} was already used for a transfer of "
                                     f"{int(earlier.amount)} to {earlier.account_number}.")
    return settle(tenant_id, earlier) if earlier.status == "pending" else earlier


def find_reminder(tenant_id: str, description: str) -> Reminder | None:
    """The tenant's reminder whose memo code the description quotes (the newest, should two share one)."""
    for code in candidate_codes(description):
        keys = list(Reminder.by_memo_code.query(tenant_id, Reminder.memo_code == code))
        if keys:
            newest = max(keys, key=lambda key: key.reminder_id)
            try:
                return Reminder.get(tenant_id, newest.reminder_id)
            except DoesNotExist:
                continue
    return None


def _open_invoices_of(tenant_id: str, reminder: Reminder) -> list[Invoice]:
    """The reminded invoices (all the customer's open ones when the reminder named none) still owing."""
    wanted = list(reminder.invoice_ids or [])
    if not wanted:
        try:
            wanted = list(customers.get(tenant_id, reminder.customer_id).open_invoice_ids or [])
        except errors.NotFound:
            return []
    found = invoices.get_many(tenant_id, wanted) if wanted else {}
    owing = [invoice for invoice in found.values()
             if invoice.customer_id == reminder.customer_id and invoices.outstanding(invoice) > 0]
    return oldest_due_first(owing)


def oldest_due_first(items: list[Invoice]) -> list[Invoice]:
    return sorted(items, key=lambda invoice: (invoice.due_date, invoice.number, invoice.invoice_id))


# --- settling ---------------------------------------------------------------------------------------

def settle(tenant_id: str, txn: BankTransaction) -> BankTransaction:
    """Pay a ``pending`` transfer's invoices in order, then write the outcome and any credit once."""
    paid_on = clock.parse(txn.transaction_time).astimezone(clock.zone(tenants.timezone_of(tenants.get(tenant_id))))
    left = int(txn.amount)
    applied: list[AppliedPayment] = []
    for invoice_id in txn.invoice_ids or []:
        if left <= 0:
            break
        data = PaymentIn(amount=left, paid_on=paid_on.date(), method="bank_transfer",
                         reference=f"{txn.reference}#{invoice_id}")
        try:
            payment, _ = invoices.record_payment_once(tenant_id, invoice_id, data)
        except errors.NotFound:
            continue
        if payment is not None:
            applied.append(AppliedPayment(invoice_id=invoice_id, payment_id=payment.id, amount=int(payment.amount)))
            left -= int(payment.amount)
    now = clock.now_iso()
    status = "matched" if applied else "unmatched"
    credit = max(left, 0) if applied else 0
    actions: list[Any] = [BankTransaction.status.set(status),
                          BankTransaction.status_key.set(status_key(tenant_id, status)),
                          BankTransaction.payments.set(applied), BankTransaction.credit.set(credit),
                          BankTransaction.updated_at.set(now), BankTransaction.version.add(1)]
    actions.append(BankTransaction.matched_at.set(now) if applied else BankTransaction.note.set(ALREADY_PAID))
    try:
        with transaction() as tx:
            tx.update(txn, actions, condition=BankTransaction.status == "pending")
            if credit and txn.customer_id:
                customers.add_credit(tx, tenant_id, txn.customer_id, credit)
    except TransactWriteError as exc:
        if not lost_race(exc):
            raise  # another delivery of the same transfer wrote the outcome first; it paid the same way
    return get(tenant_id, txn.transaction_id)


# --- settling by hand -------------------------------------------------------------------------------

def match(tenant_id: str, transaction_id: str, invoice_ids: list[str]) -> BankTransaction:
    """Settle an unmatched transfer against invoices a person chose: oldest due first, the rest as credit."""
    txn = get(tenant_id, transaction_id)
    chosen = _chosen_invoices(tenant_id, invoice_ids)
    order = [invoice.invoice_id for invoice in chosen]
    if txn.status == "pending" and txn.matched_by == "manual" and list(txn.invoice_ids or []) == order:
        return settle(tenant_id, txn)  # a retry of a match that was interrupted
    if txn.status != "unmatched":
        raise errors.Conflict(detail=f"This bank transaction is already {txn.status}.")
    customer_id = chosen[0].customer_id
    try:
        txn.update(actions=[
            BankTransaction.status.set("pending"), BankTransaction.status_key.set(status_key(tenant_id, "pending")),
            BankTransaction.matched_by.set("manual"), BankTransaction.customer_id.set(customer_id),
            BankTransaction.invoice_ids.set(order), BankTransaction.note.remove(),
            BankTransaction.updated_at.set(clock.now_iso()), BankTransaction.version.add(1),
        ], condition=(BankTransaction.status == "unmatched") & (BankTransaction.version == txn.version))
    except UpdateError as exc:
        if lost_race(exc):
            raise errors.Conflict(detail="The bank transaction changed meanwhile; read it again.") from None
        raise
    settled = settle(tenant_id, txn)
    if settled.status != "matched":
        raise errors.Conflict(detail="The chosen invoices were paid meanwhile; nothing was applied.")
    return settled


def _chosen_invoices(tenant_id: str, invoice_ids: list[str]) -> list[Invoice]:
    found = invoices.get_many(tenant_id, invoice_ids)
    chosen = []
    for invoice_id in dict.fromkeys(invoice_ids):
        invoice = found.get(invoice_id)
        if invoice is None:
            raise errors.invalid("invoice_ids", f"no invoice {invoice_id}")
        chosen.append(invoice)
    if len({invoice.customer_id for invoice in chosen}) > 1:
        raise errors.invalid("invoice_ids", "must all belong to one customer")
    if not any(invoices.outstanding(invoice) > 0 for invoice in chosen):
        raise errors.invalid("invoice_ids", "none of these invoices has anything outstanding")
    return oldest_due_first(chosen)


# --- reading ----------------------------------------------------------------------------------------

def list_transactions(tenant_id: str, status: str, cursor: str | None,
                      limit: int) -> tuple[list[BankTransaction], str | None]:
    """Newest received first; ``all`` reads the table, a status its sparse-by-status index."""
    if status == "all":
        return query_page(BankTransaction, lambda **kw: BankTransaction.query(tenant_id, **kw),
                          ("tenant_id", "transaction_id"), list_name="bank-transactions:all", tenant_id=tenant_id,
                          cursor=cursor, limit=limit, scan_index_forward=False)
    by_status = status_key(tenant_id, status)
    return query_page(BankTransaction, lambda **kw: BankTransaction.by_status.query(by_status, **kw),
                      ("tenant_id", "transaction_id", "status_key"), list_name=f"bank-transactions:{status}",
                      tenant_id=tenant_id, cursor=cursor, limit=limit, scan_index_forward=False)


def view(txn: BankTransaction) -> dict[str, Any]:
    return {
        "id": txn.transaction_id, "reference": txn.reference, "bank_bin": txn.bank_bin,
        "account_number": txn.account_number, "amount": int(txn.amount), "description": txn.description,
        "transaction_time": txn.transaction_time, "received_at": txn.received_at, "status": txn.status,
        "matched_by": txn.matched_by, "memo_code": txn.memo_code, "reminder_id": txn.reminder_id,
        "customer_id": txn.customer_id, "invoice_ids": list(txn.invoice_ids or []),
        "payments": [{"invoice_id": p.invoice_id, "payment_id": p.payment_id, "amount": int(p.amount)}
                     for p in txn.payments or []],
        "credit": int(txn.credit or 0), "note": txn.note, "matched_at": txn.matched_at,
    }


def _set_status(txn: BankTransaction, status: str) -> None:
    txn.status, txn.status_key = status, status_key(txn.tenant_id, status)
