"""Reminders (every email or manual entry in "Lịch sử nhắc nợ") and bulk reminder batches.

A reminder keeps the choices made when it was asked for and, once sent, the exact subject, html and
text SES received. ``pending_at`` is set only while a reminder is not final (queued or sending): the
scheduler reads that sparse index to re-queue due retries and to settle stale claims.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.store.base import index_meta, meta


class ByCustomer(GlobalSecondaryIndex):
    Meta = index_meta("by_customer", AllProjection())
    customer_key = UnicodeAttribute(hash_key=True)  # "<tenant_id>#<customer_id>"
    reminder_id = UnicodeAttribute(range_key=True)  # ULID: newest first when read backwards


class ByBatch(GlobalSecondaryIndex):
    Meta = index_meta("by_batch", AllProjection())
    batch_key = UnicodeAttribute(hash_key=True)  # "<tenant_id>#<batch_id>"
    reminder_id = UnicodeAttribute(range_key=True)


class ByPending(GlobalSecondaryIndex):
    Meta = index_meta("by_pending", KeysOnlyProjection())
    tenant_id = UnicodeAttribute(hash_key=True)
    pending_at = UnicodeAttribute(range_key=True)


class ByMemoCode(GlobalSecondaryIndex):
    """Sparse: only reminders with a transfer memo, by its reminder code ("NN" + this), for reconciliation.

    Keys only: reminders carry their rendered html, and a bank transfer needs one GetItem after the match.
    """

    Meta = index_meta("by_memo_code", KeysOnlyProjection())
    tenant_id = UnicodeAttribute(hash_key=True)
    memo_code = UnicodeAttribute(range_key=True)  # domain.memo.reminder_code(reminder_id), e.g. "7K3QXABC"


class Reminder(Model):
    Meta = meta("reminders")
    tenant_id = UnicodeAttribute(hash_key=True)
    reminder_id = UnicodeAttribute(range_key=True)
    customer_id = UnicodeAttribute()
    customer_key = UnicodeAttribute()
    kind = UnicodeAttribute()  # email | manual
    status = UnicodeAttribute()
    channel = UnicodeAttribute()
    source = UnicodeAttribute(default="api")  # api | batch | auto | manual
    created_at = UnicodeAttribute()
    # The choices (None = the tenant's default, resolved when the email is rendered).
    template_id = UnicodeAttribute(null=True)
    sender = UnicodeAttribute(null=True)
    extra_recipients = ListAttribute(of=UnicodeAttribute, default=list)
    bank_account_id = UnicodeAttribute(null=True)
    invoice_ids = ListAttribute(of=UnicodeAttribute, null=True)
    amount = NumberAttribute(null=True)
    # What went out.
    to = ListAttribute(of=UnicodeAttribute, default=list)
    reply_to = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    html = UnicodeAttribute(null=True)
    text = UnicodeAttribute(null=True)
    payment_memo = UnicodeAttribute(null=True)
    memo_code = UnicodeAttribute(null=True)  # the unique part of payment_memo; keys by_memo_code
    sent_at = UnicodeAttribute(null=True)
    ses_message_id = UnicodeAttribute(null=True)
    # Manual entries.
    reminded_on = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    # Delivery machinery.
    attempts = NumberAttribute(default=0)
    last_error = UnicodeAttribute(null=True)
    next_attempt_at = UnicodeAttribute(null=True)
    claim = UnicodeAttribute(null=True)
    claimed_at = UnicodeAttribute(null=True)
    pending_at = UnicodeAttribute(null=True)
    events = JSONAttribute(default=list)
    batch_id = UnicodeAttribute(null=True)
    batch_key = UnicodeAttribute(null=True)
    auto_steps = ListAttribute(of=UnicodeAttribute, default=list)
    updated_at = UnicodeAttribute(null=True)

    by_customer = ByCustomer()
    by_batch = ByBatch()
    by_pending = ByPending()
    by_memo_code = ByMemoCode()


class ReminderBatch(Model):
    Meta = meta("reminder-batches")
    tenant_id = UnicodeAttribute(hash_key=True)
    batch_id = UnicodeAttribute(range_key=True)
    status = UnicodeAttribute(default="running")  # running | done
    created_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
    request = JSONAttribute()  # what was asked: ids or all+status, template, sender, overrides
    total = NumberAttribute(default=0)
    created = NumberAttribute(default=0)  # reminders written so far by the expander
    expanded = UnicodeAttribute(null=True)  # set when the expander has walked every customer
    # The page the expander is to do next ("" = the first) and when it last moved: a duplicate of an
    # older expand message finds the cursor moved on and stops, so the page chain never forks.
    expand_cursor = UnicodeAttribute(null=True)
    expand_at = UnicodeAttribute(null=True)
    queued = NumberAttribute(default=0)
    sent = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    skipped = NumberAttribute(default=0)


class AutoStep(Model):
    """Marks an (invoice, rule step) as reminded so the scheduler never repeats it."""

    Meta = meta("auto-steps")
    tenant_id = UnicodeAttribute(hash_key=True)
    step_key = UnicodeAttribute(range_key=True)  # "<invoice_id>#<offset>#<repeat>"
    reminder_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
