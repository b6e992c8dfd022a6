"""Reminders for one customer ("Nhắc nợ") and their history ("Lịch sử nhắc nợ")."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.domain.schemas.common import Page
from chalicelib.domain.schemas.reminders import (
    HistoryQuery,
    ManualReminderIn,
    ReminderChoices,
    ReminderOut,
    ReminderPreview,
    ReminderQueued,
    ReminderText,
)
from chalicelib.routes.http import Call, endpoint
from chalicelib.services import reminders

bp = Blueprint(__name__)
TAG = "Reminders"


@endpoint(bp, "POST", "/v1/customers/{customer_id}/reminders/preview", summary="Preview a reminder (sends nothing)",
          tag=TAG, body=ReminderChoices, response=ReminderPreview, extra_statuses=(409,))
def preview_reminder(call: Call, customer_id: str) -> dict[str, Any]:
    return reminders.preview(call.tenant_id, customer_id, call.body)


@endpoint(bp, "POST", "/v1/customers/{customer_id}/reminders/text",
          summary="The reminder as plain text to copy into SMS or Zalo", tag=TAG, body=ReminderChoices,
          response=ReminderText, extra_statuses=(409,))
def reminder_text(call: Call, customer_id: str) -> dict[str, Any]:
    return {"text": reminders.copy_text(call.tenant_id, customer_id, call.body)}


@endpoint(bp, "POST", "/v1/customers/{customer_id}/reminders", summary="Send a reminder email (queued)", tag=TAG,
          body=ReminderChoices, response=ReminderQueued, status=202, idempotent=True, extra_statuses=(409,))
def send_reminder(call: Call, customer_id: str) -> dict[str, Any]:
    reminder = reminders.queue_email(call.tenant_id, customer_id, call.body)
    return {"id": reminder.reminder_id, "status": reminder.status}


@endpoint(bp, "POST", "/v1/customers/{customer_id}/reminders/manual",
          summary="Log a reminder made by SMS, Zalo, phone or elsewhere", tag=TAG, body=ManualReminderIn,
          response=ReminderOut, status=201, idempotent=True)
def log_manual_reminder(call: Call, customer_id: str) -> dict[str, Any]:
    return reminders.view(reminders.log_manual(call.tenant_id, customer_id, call.body))


@endpoint(bp, "GET", "/v1/customers/{customer_id}/reminders", summary="A customer's reminder history, newest first",
          tag=TAG, query=HistoryQuery, response=Page[ReminderOut])
def reminder_history(call: Call, customer_id: str) -> dict[str, Any]:
    items, cursor = reminders.history(call.tenant_id, customer_id, call.query.cursor, call.query.limit)
    return {"items": [reminders.view(item) for item in items], "next_cursor": cursor}


@endpoint(bp, "GET", "/v1/reminders/{reminder_id}", summary="One reminder, with exactly what was sent", tag=TAG,
          response=ReminderOut)
def get_reminder(call: Call, reminder_id: str) -> dict[str, Any]:
    return reminders.view(reminders.get(call.tenant_id, reminder_id))
