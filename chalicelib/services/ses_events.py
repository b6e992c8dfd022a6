"""SES delivery, bounce and complaint events (through SNS) for sent reminders.

Events find their reminder by the message tags the worker set (tenant and reminder ids). They are
idempotent and may arrive in any order: each event is kept once (by its SNS message id), and the
status only moves up ``sent`` < ``delivered`` < ``bounced`` < ``complained``. A permanent bounce or a
complaint puts the addresses on the tenant's suppression list, so later reminders skip them.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.adapters import clock
from chalicelib.services import suppressions
from chalicelib.store.reminders import Reminder
from chalicelib.store.tx import lost_race

log = logging.getLogger("nhacno.ses_events")

RANK = {"queued": 0, "sending": 0, "unknown": 0, "failed": 0, "sent": 1, "delivered": 2, "bounced": 3,
        "complained": 4}


def handle(message: str | dict[str, Any], message_id: str) -> str | None:
    """Apply one SES event; returns the reminder's status afterwards (None when it is not ours)."""
    event = json.loads(message) if isinstance(message, str) else message
    kind = (event.get("eventType") or event.get("notificationType") or "").lower()
    mail = event.get("mail") or {}
    tags = mail.get("tags") or {}
    tenant_id = (tags.get("tenant_id") or [None])[0]
    reminder_id = (tags.get("reminder_id") or [None])[0]
    if not tenant_id or not reminder_id or kind not in ("delivery", "bounce", "complaint"):
        log.info("ignored SES event %s (%s)", message_id, kind)
        return None
    status, recipients, detail, suppress = _read(kind, event)
    for _ in range(10):
        try:
            reminder = Reminder.get(tenant_id, reminder_id)
        except DoesNotExist:
            return None
        if any(e.get("id") == message_id for e in reminder.events or []):
            return reminder.status
        entry = {"id": message_id, "type": kind, "at": _event_time(event, kind), "detail": detail,
                 "recipients": recipients}
        events = [*(reminder.events or []), entry]
        actions = [Reminder.events.set(events), Reminder.updated_at.set(clock.now_iso())]
        new_status = reminder.status
        if status and RANK.get(status, 0) > RANK.get(reminder.status, 0):
            new_status = status
            actions += [Reminder.status.set(status), Reminder.pending_at.remove()]
        try:
            reminder.update(actions, condition=Reminder.updated_at == reminder.updated_at)
        except UpdateError as exc:
            if lost_race(exc):
                continue
            raise
        if suppress:
            for email in recipients:
                suppressions.suppress(tenant_id, email, "complaint" if kind == "complaint" else "bounce", reminder_id)
        return new_status
    raise RuntimeError(f"could not apply SES event {message_id} to {reminder_id}")


def _read(kind: str, event: dict[str, Any]) -> tuple[str | None, list[str], str | None, bool]:
    if kind == "delivery":
        delivery = event.get("delivery") or {}
        return "delivered", list(delivery.get("recipients") or []), delivery.get("smtpResponse"), False
    if kind == "bounce":
        bounce = event.get("bounce") or {}
        recipients = [r.get("emailAddress", "") for r in bounce.get("bouncedRecipients") or []]
        permanent = bounce.get("bounceType") == "Permanent"
        detail = f"{bounce.get('bounceType')}/{bounce.get('bounceSubType')}"
        return ("bounced" if permanent else None), [r for r in recipients if r], detail, permanent
    complaint = event.get("complaint") or {}
    recipients = [r.get("emailAddress", "") for r in complaint.get("complainedRecipients") or []]
    return "complained", [r for r in recipients if r], complaint.get("complaintFeedbackType"), True


def _event_time(event: dict[str, Any], kind: str) -> str:
    body = event.get(kind) or {}
    return str(body.get("timestamp") or (event.get("mail") or {}).get("timestamp") or clock.now_iso())
