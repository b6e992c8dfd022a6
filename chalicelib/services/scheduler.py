"""The scheduled function: keeps every reminder moving to a final state, and runs automatic reminders.

Each run, for each tenant:
(a) reminders still ``queued`` past their time are put on the queue again (a due retry, or a message
    that was lost), and given up as ``failed`` after the configured number of attempts; ``sending``
    claims older than the worker's timeout become ``unknown`` (the send may or may not have happened,
    so it is never repeated automatically: the user decides);
(b) the tenant's automatic reminder rules create today's reminders (services/auto_reminders.py);
(c) running batches whose reminders are all final are closed.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib.adapters import clock
from chalicelib.services import auto_reminders, batches, delivery
from chalicelib.settings import settings
from chalicelib.store.base import transaction
from chalicelib.store.reminders import Reminder, ReminderBatch
from chalicelib.store.tenants import Tenant
from chalicelib.store.tx import lost_race

log = logging.getLogger("nhacno.scheduler")


def run() -> dict[str, int]:
    """One scheduled run over every tenant; returns counts for the log."""
    totals: dict[str, int] = defaultdict(int)
    # The one place that walks all tenants: a scheduled job, not a request path.
    for tenant in Tenant.scan(attributes_to_get=["tenant_id"]):
        try:
            counts = run_tenant(tenant.tenant_id)
        except Exception:  # one tenant's trouble must not stop retries and reminders for the others
            log.exception("scheduled run failed for tenant %s", tenant.tenant_id)
            totals["tenants_failed"] += 1
            continue
        for name, value in counts.items():
            totals[name] += value
    log.info("scheduled run %s", dict(totals))
    return dict(totals)


def run_tenant(tenant_id: str) -> dict[str, int]:
    counts = settle_pending(tenant_id)
    counts["auto_reminders"] = auto_reminders.run(tenant_id)
    counts["batches_closed"] = batches.close_finished(tenant_id)
    return counts


def settle_pending(tenant_id: str) -> dict[str, int]:
    now = clock.now_iso()
    keys = [(tenant_id, item.reminder_id) for item in Reminder.by_pending.query(tenant_id, Reminder.pending_at <= now)]
    counts = {"requeued": 0, "failed": 0, "unknown": 0}
    if not keys:
        return counts
    requeue: list[str] = []
    for reminder in Reminder.batch_get(keys):
        if reminder.status == "queued":
            if int(reminder.attempts or 0) >= settings.max_send_attempts:
                counts["failed"] += _finish(reminder, "failed", reminder.last_error or "Gave up after retries.",
                                            Reminder.status == "queued")
            else:
                later = clock.iso(clock.now(), plus_seconds=300)
                reminder.update([Reminder.pending_at.set(later)], condition=Reminder.status == "queued")
                requeue.append(reminder.reminder_id)
        elif reminder.status == "sending" and (reminder.claimed_at or "") <= clock.iso(
                clock.now(), plus_seconds=-settings.worker_timeout_seconds):
            reason = ("The worker stopped before recording whether SES accepted the email. It was not sent again "
                      "automatically: check the recipient's inbox, then send a new reminder if needed.")
            counts["unknown"] += _finish(reminder, "unknown", reason, Reminder.claim == reminder.claim)
    if requeue:
        delivery.enqueue(tenant_id, requeue)
    counts["requeued"] = len(requeue)
    return counts


def _finish(reminder: Reminder, status: str, reason: str, condition: Any) -> int:
    """Move one reminder to a final state with its batch's counter, or nothing if it moved meanwhile."""
    actions = delivery.final_outcome(reminder, status, reason).actions
    try:
        with transaction() as tx:
            tx.update(reminder, actions, condition=condition & (Reminder.status == reminder.status))
            if reminder.batch_id:
                tx.update(ReminderBatch(reminder.tenant_id, reminder.batch_id),
                          [getattr(ReminderBatch, delivery.COUNTER[status]).add(1)])
    except TransactWriteError as exc:
        if lost_race(exc):
            return 0
        raise
    return 1
