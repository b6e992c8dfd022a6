"""Bulk reminders ("Gửi mail nhắc nợ nhiều khách hàng")."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.domain.schemas.common import Page
from chalicelib.domain.schemas.reminders import BatchIn, BatchOut, BatchQueued, HistoryQuery, ReminderOut
from chalicelib.routes.http import Call, endpoint
from chalicelib.services import batches, reminders

bp = Blueprint(__name__)
TAG = "Bulk reminders"


@endpoint(bp, "POST", "/v1/reminder-batches", summary="Send reminders to many customers (all, or a selection)",
          tag=TAG, body=BatchIn, response=BatchQueued, status=202, idempotent=True)
def create_batch(call: Call) -> dict[str, Any]:
    batch = batches.create(call.tenant_id, call.body)
    return {"id": batch.batch_id, "total": int(batch.total), "status": batch.status}


@endpoint(bp, "GET", "/v1/reminder-batches/{batch_id}", summary="A batch's live counts", tag=TAG,
          response=BatchOut)
def get_batch(call: Call, batch_id: str) -> dict[str, Any]:
    return batches.view(batches.get(call.tenant_id, batch_id))


@endpoint(bp, "GET", "/v1/reminder-batches/{batch_id}/reminders", summary="A batch's reminders", tag=TAG,
          query=HistoryQuery, response=Page[ReminderOut])
def batch_reminders(call: Call, batch_id: str) -> dict[str, Any]:
    items, cursor = batches.reminders_of(call.tenant_id, batch_id, call.query.cursor, call.query.limit)
    return {"items": [reminders.view(item) for item in items], "next_cursor": cursor}
