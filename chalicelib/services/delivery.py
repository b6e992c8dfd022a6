"""The send worker: claim, re-check, render, send through SES, record. One SES send per reminder, ever.

A message names up to 25 reminders of one tenant. For each, independently:

1. Claim it with a conditional write (``queued`` -> ``sending`` with a fresh claim token). A second
   delivery of the same message, or a second worker, finds nothing to claim and sends nothing.
2. Re-check at send time: invoices paid meanwhile -> ``skipped``; every recipient suppressed ->
   ``suppressed``; paused customer (bulk and automatic sends) -> ``skipped``.
3. Render (the VietQR as an inline ``cid:`` image, the pay page link) and send. SES throttling and
   other retryable errors put it back to ``queued`` with exponential backoff and jitter; permanent
   errors -> ``failed``; a send whose answer was lost -> ``unknown`` (never re-sent automatically).
4. Record the outcome conditioned on the claim token, with the exact subject, html and text sent,
   together with the customer's ``last_reminded_at``/``reminder_count`` and the batch's counters in
   one transaction, so the counts never drift from the reminders.

A crash after SES accepted but before the record leaves the reminder ``sending``; the scheduler turns
stale claims into ``unknown``. Nothing is lost, nothing is sent twice.
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib.adapters import clock, ids, mailer, queue
from chalicelib.domain import errors, vietqr
from chalicelib.domain.schemas.reminders import ReminderChoices
from chalicelib.services import invoices, pay_links, reminders, suppressions
from chalicelib.services import reminder_settings as defaults
from chalicelib.settings import settings
from chalicelib.store.base import transaction
from chalicelib.store.customers import Customer
from chalicelib.store.invoices import Invoice
from chalicelib.store.reminders import Reminder, ReminderBatch
from chalicelib.store.tx import lost_race

log = logging.getLogger("nhacno.delivery")

# Reminders named by one send message: a larger message spreads the claim, reads and record of the
# worker over more emails (requests per email), a smaller one bounds one record's work.
REMINDERS_PER_MESSAGE = 50
RECORD_CHUNK = 25  # reminders + their customers + the batch stay under a transaction's 100 items
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 900
# Where each final status is counted on its batch.
COUNTER = {"sent": "sent", "failed": "failed", "unknown": "failed", "skipped": "skipped", "suppressed": "skipped"}
# The VietQR travels as an inline image part the html names as <img src="cid:vietqr">: mail clients that
# block data: URIs (Gmail, Outlook) still show it.
QR_CID = "vietqr"


@dataclass
class Outcome:
    """What happened to one claimed reminder, to be written conditioned on the claim."""

    reminder: Reminder
    status: str
    actions: list[Any] = field(default_factory=list)
    reminded: bool = False  # counts on the customer (an email went out)
    retry_in: int | None = None


def backoff_seconds(attempts: int) -> int:
    """Exponential backoff with full jitter: 30 s, 60 s, 120 s ... capped at 15 minutes."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return int(random.uniform(ceiling / 2, ceiling))


def enqueue(tenant_id: str, reminder_ids: list[str]) -> None:
    """Put reminders on the send queue, ``REMINDERS_PER_MESSAGE`` a message, ten messages a call."""
    queue.send_many([{"kind": "send", "tenant_id": tenant_id,
                      "reminder_ids": reminder_ids[i:i + REMINDERS_PER_MESSAGE]}
                     for i in range(0, len(reminder_ids), REMINDERS_PER_MESSAGE)])


def handle(message: dict[str, Any]) -> None:
    """One SQS message body."""
    kind = message.get("kind")
    if kind == "send":
        send(str(message["tenant_id"]), [str(i) for i in message["reminder_ids"]])
    elif kind == "expand":
        from chalicelib.services import batches

        batches.expand(str(message["tenant_id"]), str(message["batch_id"]), message.get("cursor"))
    else:
        log.error("unknown message kind %r; dropped", kind)


def send(tenant_id: str, reminder_ids: list[str]) -> list[Outcome]:
    token = ids.new_id("clm")
    claimed = claim(tenant_id, reminder_ids, token)
    if not claimed:
        return []
    customers_by_id = {c.customer_id: c for c in Customer.batch_get(
        [(tenant_id, cid) for cid in dict.fromkeys(r.customer_id for r in claimed)])}
    wanted: list[str] = []
    for reminder in claimed:
        customer = customers_by_id.get(reminder.customer_id)
        wanted.extend(reminder.invoice_ids or (customer.open_invoice_ids if customer else []) or [])
    invoices_by_id = invoices.get_many(tenant_id, wanted) if wanted else {}
    suppressed = suppressions.is_suppressed(
        tenant_id, [e for r in claimed for e in _recipients(r, customers_by_id.get(r.customer_id))])
    outcomes = [deliver(tenant_id, r, customers_by_id.get(r.customer_id), invoices_by_id, suppressed)
                for r in claimed]
    record(tenant_id, outcomes, token)
    retries = [o for o in outcomes if o.retry_in is not None]
    for outcome in retries:
        queue.send({"kind": "send", "tenant_id": tenant_id, "reminder_ids": [outcome.reminder.reminder_id]},
                   delay_seconds=outcome.retry_in or 0)
    return outcomes


def claim(tenant_id: str, reminder_ids: list[str], token: str) -> list[Reminder]:
    """Claim every reminder that is ``queued`` and due; all in one transaction when none was taken."""
    now = clock.now_iso()
    stale_at = clock.iso(clock.now(), plus_seconds=settings.worker_timeout_seconds)
    found = {r.reminder_id: r for r in Reminder.batch_get([(tenant_id, rid) for rid in dict.fromkeys(reminder_ids)])}
    ready = [r for r in found.values() if r.status == "queued" and (r.next_attempt_at or "") <= now]
    if not ready:
        return []

    def actions(reminder: Reminder) -> list[Any]:
        return [Reminder.status.set("sending"), Reminder.claim.set(token), Reminder.claimed_at.set(now),
                Reminder.attempts.add(1), Reminder.pending_at.set(stale_at), Reminder.updated_at.set(now)]

    def condition() -> Any:
        return (Reminder.status == "queued") & (
            Reminder.next_attempt_at.does_not_exist() | (Reminder.next_attempt_at <= now))

    try:
        with transaction() as tx:
            for reminder in ready:
                tx.update(reminder, actions(reminder), condition=condition())
        return [_claimed(r, token, now, stale_at) for r in ready]
    except TransactWriteError as exc:
        if not lost_race(exc):
            raise
    won = []
    for reminder in ready:  # someone else holds some of them: claim one by one
        try:
            reminder.update(actions(reminder), condition=condition())
            won.append(reminder)
        except UpdateError as exc:
            if not lost_race(exc):
                raise
    return won


def _claimed(reminder: Reminder, token: str, now: str, stale_at: str) -> Reminder:
    reminder.status, reminder.claim, reminder.claimed_at, reminder.pending_at = "sending", token, now, stale_at
    reminder.attempts = int(reminder.attempts or 0) + 1
    return reminder


def _recipients(reminder: Reminder, customer: Customer | None) -> list[str]:
    if reminder.to:
        return list(reminder.to)
    emails = list(customer.emails or []) if customer else []
    return reminders.recipients(emails, list(reminder.extra_recipients or []))


def deliver(tenant_id: str, reminder: Reminder, customer: Customer | None, invoices_by_id: dict[str, Invoice],
            suppressed: set[str]) -> Outcome:
    if customer is None:
        return final_outcome(reminder, "failed", "The customer was deleted before the reminder could be sent.")
    if customer.reminders_paused and reminder.source in ("batch", "auto"):
        return final_outcome(reminder, "skipped", "Reminders are paused for this customer.")
    wanted = list(reminder.invoice_ids or customer.open_invoice_ids or [])
    still_open = [i for i in wanted if i in invoices_by_id and invoices.outstanding(invoices_by_id[i]) > 0
                  and invoices_by_id[i].customer_id == customer.customer_id]
    if not still_open:
        return final_outcome(reminder, "skipped", "Nothing is outstanding on the reminded invoices any more.")
    owed = sum(invoices.outstanding(invoices_by_id[i]) for i in still_open)
    amount = min(int(reminder.amount), owed) if reminder.amount else owed
    candidates = _recipients(reminder, customer)
    if not candidates:
        return final_outcome(reminder, "skipped", "The customer has no email address.")
    to = [email for email in candidates if email.lower() not in suppressed]
    if not to:
        return final_outcome(reminder, "suppressed", "Every recipient is on the suppression list.")
    choices = ReminderChoices.model_construct(
        template_id=reminder.template_id, sender=reminder.sender,
        extra_recipients=list(reminder.extra_recipients or []),
        bank_account_id=reminder.bank_account_id, invoice_ids=still_open, amount=amount)
    try:
        c = reminders.compose(tenant_id, customer, choices, memo=reminder.payment_memo,
                              chosen={i: invoices_by_id[i] for i in still_open})
    except errors.NhacnoError as exc:
        return final_outcome(reminder, "failed", f"The reminder could not be composed: {exc}")
    c.to = to
    qr = reminders.qr_payload(c)
    out = reminders.render(c, pay_url=pay_links.url_for(tenant_id, reminder.reminder_id),
                           qr_src=f"cid:{QR_CID}" if qr else None)
    # Attach the code only when the html shows it: a tenant's own template may leave it out, and an
    # unreferenced inline part appears as a stray attachment in many clients.
    images = [mailer.InlineImage(QR_CID, vietqr.png_bytes(qr))] if qr and f"cid:{QR_CID}" in out.html else []
    email = mailer.Email(sender=c.sender, sender_name=defaults.company_name(c.tenant), to=to, subject=out.subject,
                         html=out.html, text=out.text, reply_to=c.reply_to, reference=reminder.reminder_id,
                         images=images, tags={"tenant_id": tenant_id, "reminder_id": reminder.reminder_id})
    content = [Reminder.to.set(to), Reminder.subject.set(out.subject), Reminder.html.set(out.html),
               Reminder.text.set(out.text), Reminder.sender.set(c.sender), Reminder.amount.set(amount),
               Reminder.invoice_ids.set(still_open), Reminder.template_id.set(c.template_id)]
    if c.reply_to:
        content.append(Reminder.reply_to.set(c.reply_to))
    try:
        message_id = mailer.send(email)
    except mailer.SendFailed as exc:
        if exc.unknown:
            return final_outcome(reminder, "unknown", f"The send's outcome is unknown: {exc}", content)
        if exc.retryable and int(reminder.attempts or 0) < settings.max_send_attempts:
            return _retry(reminder, str(exc))
        return final_outcome(reminder, "failed", str(exc), content)
    now = clock.now_iso()
    outcome = final_outcome(reminder, "sent", None, content)
    outcome.actions += [Reminder.sent_at.set(now), Reminder.ses_message_id.set(message_id)]
    outcome.reminded = True
    return outcome


def final_outcome(reminder: Reminder, status: str, reason: str | None, content: list[Any] | None = None) -> Outcome:
    """A final state for a reminder: out of the pending index, with its reason."""
    actions = [*(content or []), Reminder.status.set(status), Reminder.pending_at.remove(),
               Reminder.next_attempt_at.remove(), Reminder.updated_at.set(clock.now_iso())]
    if reason:
        actions.append(Reminder.last_error.set(reason[:1000]))
    return Outcome(reminder, status, actions)


def _retry(reminder: Reminder, reason: str) -> Outcome:
    delay = backoff_seconds(int(reminder.attempts or 1))
    due = clock.iso(clock.now(), plus_seconds=delay)
    actions = [Reminder.status.set("queued"), Reminder.next_attempt_at.set(due), Reminder.last_error.set(reason[:1000]),
               Reminder.pending_at.set(clock.iso(clock.now(), plus_seconds=delay + 60)),
               Reminder.updated_at.set(clock.now_iso())]
    return Outcome(reminder, "queued", actions, retry_in=delay)


def record(tenant_id: str, outcomes: list[Outcome], token: str) -> None:
    """Write outcomes conditioned on our claim, with customer and batch counters, 25 reminders a transaction."""
    for start in range(0, len(outcomes), RECORD_CHUNK):
        chunk = outcomes[start:start + RECORD_CHUNK]
        try:
            _record_together(tenant_id, chunk, token)
        except TransactWriteError as exc:
            if not lost_race(exc):
                raise
            for outcome in chunk:
                _record_late(tenant_id, outcome, token)


def _record_late(tenant_id: str, outcome: Outcome, token: str) -> None:
    """Record one outcome whose reminder moved while we were sending.

    Either the scheduler called the claim stale (``unknown``) or an SES event already arrived
    (``delivered``...). The truth we now hold wins over ``unknown``, and the content of what was sent
    is kept either way; a reminder claimed by someone else is left alone.
    """
    try:
        _record_together(tenant_id, [outcome], token)
        return
    except TransactWriteError as exc:
        if not lost_race(exc):
            raise
    current = Reminder.get(tenant_id, outcome.reminder.reminder_id)
    if current.claim != token or current.status in ("sending", "queued"):
        log.warning("claim lost for %s; outcome %s not recorded", current.reminder_id, outcome.status)
        return
    moved_by_event = current.status in ("delivered", "bounced", "complained")
    actions = [a for a in outcome.actions if not (moved_by_event and _sets_status(a))]
    batch_moves: dict[str, int] = {}
    if current.status == "unknown" and outcome.status in COUNTER:
        batch_moves = {"failed": -1, COUNTER[outcome.status]: 1}
    elif moved_by_event and outcome.status in COUNTER:
        batch_moves = {COUNTER[outcome.status]: 1}
    with transaction() as tx:
        tx.update(current, actions, condition=(Reminder.claim == token) & (Reminder.status == current.status))
        if outcome.reminded:
            tx.update(Customer(tenant_id, current.customer_id), _reminded_actions(1),
                      condition=Customer.customer_id.exists())
        if current.batch_id and batch_moves:
            tx.update(ReminderBatch(tenant_id, current.batch_id),
                      [getattr(ReminderBatch, name).add(n) for name, n in batch_moves.items() if n])


def _sets_status(action: Any) -> bool:
    return bool(getattr(action, "values", None)) and str(action.values[0]) == "status"


def _reminded_actions(count: int) -> list[Any]:
    now = clock.now_iso()
    return [Customer.reminder_count.add(count), Customer.last_reminded_at.set(now),
            Customer.last_reminded_sort.set(now), Customer.version.add(1)]


def _record_together(tenant_id: str, outcomes: list[Outcome], token: str) -> None:
    reminded: dict[str, int] = defaultdict(int)
    counters: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with transaction() as tx:
        for outcome in outcomes:
            tx.update(outcome.reminder, outcome.actions,
                      condition=(Reminder.claim == token) & (Reminder.status == "sending"))
            if outcome.reminded:
                reminded[outcome.reminder.customer_id] += 1
            if outcome.reminder.batch_id and outcome.status in COUNTER:
                counters[outcome.reminder.batch_id][COUNTER[outcome.status]] += 1
        for customer_id, count in reminded.items():
            tx.update(Customer(tenant_id, customer_id), _reminded_actions(count),
                      condition=Customer.customer_id.exists())
        for batch_id, counts in counters.items():
            tx.update(ReminderBatch(tenant_id, batch_id),
                      [getattr(ReminderBatch, name).add(n) for name, n in counts.items()])
