"""Bulk reminders ("Gửi mail nhắc nợ nhiều khách hàng"): create at once, expand page by page.

The API stores the batch and puts one ``expand`` message on the queue; it never walks the customers
itself, so 10,000 customers return in one bounded request. The expander takes a page of customers,
writes their reminders (``queued``, or ``skipped`` with a reason), queues them with SendMessageBatch
(50 reminders a message, 10 messages a call), and queues the next page. Reminder ids are derived from
the batch and customer ids, so an expand message delivered twice writes nothing twice.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError

from chalicelib.adapters import clock, ids, queue
from chalicelib.domain import errors
from chalicelib.domain.schemas.reminders import BatchIn, ReminderChoices
from chalicelib.services import delivery, reminders, tenants
from chalicelib.services import reminder_settings as defaults
from chalicelib.store.base import transaction
from chalicelib.store.customers import NOTHING_DUE, Customer
from chalicelib.store.paging import query_page
from chalicelib.store.reminders import Reminder, ReminderBatch
from chalicelib.store.tx import lost_race

PAGE = 250
REQUEST_PART_CHARS = 150_000
PART_MARK = "#request#"  # batch_id of the items that hold a big request, next to their batch


def create(tenant_id: str, data: BatchIn) -> ReminderBatch:
    """Store the batch and put one ``expand`` message on the queue: bounded work, whatever the tenant's size.

    ``total`` is known at once for a list of customer ids; for ``all`` it grows as the expander walks
    the customers (counting them here would read every one of them inside the request).
    """
    tenant = tenants.get(tenant_id)
    if data.template_id:
        defaults.template_source(tenant_id, data.template_id, field_name="template_id")
    if data.sender:
        defaults.require_sendable(tenant_id, data.sender)
    for customer_id, override in data.overrides.items():
        if override.bank_account_id:
            defaults.bank_account(tenant_id, override.bank_account_id, required=True,
                                  field_name=f"overrides.{customer_id}.bank_account_id")
    today = clock.today(tenants.timezone_of(tenant)).isoformat()
    total = len(data.customer_ids) if data.customer_ids else 0
    request = data.model_dump(mode="json")
    request["today"] = today
    batch_id = ids.new_id("bat")
    now = clock.now_iso()
    stored, parts = _split_request(tenant_id, batch_id, request, now)
    batch = ReminderBatch(tenant_id, batch_id, status="running", created_at=now, request=stored, total=total)
    if parts:
        with transaction() as tx:
            tx.save(batch, condition=ReminderBatch.batch_id.does_not_exist())
            for part in parts:
                tx.save(part, condition=ReminderBatch.batch_id.does_not_exist())
    else:
        batch.save(condition=ReminderBatch.batch_id.does_not_exist())
    batch.request = request
    queue.send({"kind": "expand", "tenant_id": tenant_id, "batch_id": batch.batch_id, "cursor": None})
    return batch


def _split_request(tenant_id: str, batch_id: str, request: dict[str, Any],
                   now: str) -> tuple[dict[str, Any], list[ReminderBatch]]:
    """A request too big for one item (10,000 ids with overrides pass 400 KB) goes in parts beside the batch."""
    text = json.dumps(request, separators=(",", ":"))  # ASCII: escaping a part at most doubles it
    if len(text) <= REQUEST_PART_CHARS:
        return request, []
    chunks = [text[i:i + REQUEST_PART_CHARS] for i in range(0, len(text), REQUEST_PART_CHARS)]
    parts = [ReminderBatch(tenant_id, f"{batch_id}{PART_MARK}{n:03d}", status="part", created_at=now,
                           request={"chunk": chunk}) for n, chunk in enumerate(chunks)]
    return {"parts": len(parts)}, parts


def _request_of(batch: ReminderBatch) -> dict[str, Any]:
    request = batch.request or {}
    if "parts" not in request:
        return request
    keys = [(batch.tenant_id, f"{batch.batch_id}{PART_MARK}{n:03d}") for n in range(int(request["parts"]))]
    found = {part.batch_id: part.request["chunk"] for part in ReminderBatch.batch_get(keys)}
    return json.loads("".join(found[batch_id] for _tenant, batch_id in keys))


def _status_condition(status: str, today: str) -> Any:
    if status == "overdue":
        return Customer.oldest_due_sort < today
    return Customer.oldest_due_sort < NOTHING_DUE


def reminder_id_for(batch_id: str, customer_id: str) -> str:
    """The same batch and customer always give the same reminder id (replays write nothing new)."""
    digest = hashlib.sha256(f"{batch_id}:{customer_id}".encode()).hexdigest()[:20]
    return f"rem_{batch_id.rsplit('_', 1)[-1][:10]}{digest}"


def expand(tenant_id: str, batch_id: str, cursor: str | None) -> None:
    try:
        batch = ReminderBatch.get(tenant_id, batch_id)
    except DoesNotExist:
        return
    if batch.expanded or (batch.expand_cursor or "") != (cursor or ""):
        return  # done already, or a duplicate of a page whose successor is already on its way
    request = _request_of(batch)
    if request.get("customer_ids"):
        start = int(cursor or 0)
        wanted = request["customer_ids"][start:start + PAGE]
        found = {c.customer_id: c for c in Customer.batch_get([(tenant_id, cid) for cid in wanted])}
        page: list[tuple[str, Customer | None]] = [(cid, found.get(cid)) for cid in wanted]
        next_cursor = str(start + PAGE) if start + PAGE < len(request["customer_ids"]) else None
    else:
        items, next_cursor = query_page(
            Customer, lambda **kw: Customer.by_oldest_due.query(
                tenant_id, _status_condition(request.get("status", "open"), request["today"]), **kw),
            ("tenant_id", "customer_id", "oldest_due_sort"), list_name=f"batch:{batch_id}", tenant_id=tenant_id,
            cursor=cursor, limit=PAGE)
        page = [(c.customer_id, c) for c in items]
    queued = _write_page(tenant_id, batch, request, page, count_total=not request.get("customer_ids"))
    delivery.enqueue(tenant_id, queued)
    now = clock.now_iso()
    moves = [ReminderBatch.expand_cursor.set(next_cursor or ""), ReminderBatch.expand_at.set(now)]
    if not next_cursor:
        moves.append(ReminderBatch.expanded.set(now))
    same_page = ReminderBatch.expand_cursor == (cursor or "")
    if not cursor:
        same_page = same_page | ReminderBatch.expand_cursor.does_not_exist()
    try:
        ReminderBatch(tenant_id, batch_id).update(actions=moves, condition=same_page)
    except UpdateError as exc:
        if lost_race(exc):
            return  # a concurrent duplicate moved the cursor and queues the next page itself
        raise
    if next_cursor:
        queue.send({"kind": "expand", "tenant_id": tenant_id, "batch_id": batch_id, "cursor": next_cursor})


STALLED_EXPAND_SECONDS = 900


def _resume_if_stalled(batch: ReminderBatch) -> bool:
    """Queue the expander again for a batch whose next page was never queued (a crash between moving
    the cursor and sending the message); the cursor guard makes a needless resume harmless."""
    last = batch.expand_at or batch.created_at
    if batch.expanded or last > clock.iso(clock.now(), plus_seconds=-STALLED_EXPAND_SECONDS):
        return False
    queue.send({"kind": "expand", "tenant_id": batch.tenant_id, "batch_id": batch.batch_id,
                "cursor": batch.expand_cursor or None})
    batch.update(actions=[ReminderBatch.expand_at.set(clock.now_iso())])
    return True


def _write_page(tenant_id: str, batch: ReminderBatch, request: dict[str, Any],
                page: list[tuple[str, Customer | None]], *, count_total: bool) -> list[str]:
    """Write each customer's reminder once; return the ids that are queued for sending.

    Up to 99 reminders and the batch's counters (skipped; total too for an ``all`` batch, which learns
    its size as it goes) go in one transaction, every put conditioned on the reminder not existing yet:
    a replayed page (or a customer met twice because a payment moved it in the index) fails the
    transaction and falls back to one put at a time, which re-queues what is still queued and counts
    nothing twice.
    """
    overrides = request.get("overrides") or {}
    fresh: list[Reminder] = []
    for customer_id, customer in page:
        override = overrides.get(customer_id) or {}
        choices = ReminderChoices.model_construct(
            template_id=request.get("template_id"), sender=request.get("sender"),
            extra_recipients=override.get("extra_recipients") or [], bank_account_id=override.get("bank_account_id"),
            invoice_ids=override.get("invoice_ids"), amount=override.get("amount"))
        reason = _skip_reason(customer)
        owner = customer or Customer(tenant_id, customer_id, code=customer_id)
        reminder = reminders.new_email_reminder(tenant_id, owner, reminder_id_for(batch.batch_id, customer_id), None,
                                                choices, source="batch", batch_id=batch.batch_id,
                                                status="skipped" if reason else "queued")
        reminder.last_error = reason
        fresh.append(reminder)
    queued: list[str] = []
    for start in range(0, len(fresh), 99):
        chunk = fresh[start:start + 99]
        try:
            _save_together(tenant_id, batch.batch_id, chunk, count_total)
            queued += [r.reminder_id for r in chunk if r.status == "queued"]
        except TransactWriteError as exc:
            if not lost_race(exc):
                raise
            for reminder in chunk:
                try:
                    _save_together(tenant_id, batch.batch_id, [reminder], count_total)
                    written = reminder
                except TransactWriteError as single:
                    if not lost_race(single):
                        raise
                    written = Reminder.get(tenant_id, reminder.reminder_id)
                if written.status == "queued":
                    queued.append(written.reminder_id)
    return queued


def _save_together(tenant_id: str, batch_id: str, chunk: list[Reminder], count_total: bool) -> None:
    skipped = sum(1 for r in chunk if r.status == "skipped")
    counters = [ReminderBatch.skipped.add(skipped)] if skipped else []
    if count_total:
        counters.append(ReminderBatch.total.add(len(chunk)))
    with transaction() as tx:
        for reminder in chunk:
            tx.save(reminder, condition=Reminder.reminder_id.does_not_exist())
        if counters:
            tx.update(ReminderBatch(tenant_id, batch_id), counters)


def _skip_reason(customer: Customer | None) -> str | None:
    if customer is None:
        return "No such customer."
    if customer.reminders_paused:
        return "Reminders are paused for this customer."
    if int(customer.outstanding or 0) <= 0:
        return "Nothing is outstanding."
    if not customer.emails:
        return "The customer has no email address."
    return None


def get(tenant_id: str, batch_id: str) -> ReminderBatch:
    if PART_MARK in batch_id:  # a part of a big request is not a batch
        raise errors.NotFound(detail=f"No reminder batch {batch_id}.")
    try:
        return ReminderBatch.get(tenant_id, batch_id)
    except DoesNotExist:
        raise errors.NotFound(detail=f"No reminder batch {batch_id}.") from None


def view(batch: ReminderBatch) -> dict[str, Any]:
    sent, failed, skipped = int(batch.sent or 0), int(batch.failed or 0), int(batch.skipped or 0)
    total = int(batch.total or 0)
    return {"id": batch.batch_id, "total": total, "queued": max(0, total - sent - failed - skipped), "sent": sent,
            "failed": failed, "skipped": skipped, "status": batch.status, "created_at": batch.created_at,
            "finished_at": batch.finished_at}


def close_finished(tenant_id: str) -> int:
    """Mark running batches whose every reminder reached a final state as ``done`` (the scheduler)."""
    closed = 0
    for batch in ReminderBatch.query(tenant_id, filter_condition=ReminderBatch.status == "running"):
        if _resume_if_stalled(batch):
            continue
        finished = int(batch.sent or 0) + int(batch.failed or 0) + int(batch.skipped or 0)
        if batch.expanded and finished >= int(batch.total or 0):
            batch.update(actions=[ReminderBatch.status.set("done"), ReminderBatch.finished_at.set(clock.now_iso())],
                         condition=ReminderBatch.status == "running")
            closed += 1
    return closed


def reminders_of(tenant_id: str, batch_id: str, cursor: str | None, limit: int) -> tuple[list[Reminder], str | None]:
    get(tenant_id, batch_id)
    return query_page(
        Reminder, lambda **kw: Reminder.by_batch.query(f"{tenant_id}#{batch_id}", **kw),
        ("tenant_id", "reminder_id", "batch_key"), list_name=f"batch-reminders:{batch_id}", tenant_id=tenant_id,
        cursor=cursor, limit=limit)
