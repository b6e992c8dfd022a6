"""The tenant's suppression list: addresses that bounced or complained and must not be emailed again.

The SES event handler (reminders) fills it through ``suppress``; the sender checks recipients with
``is_suppressed`` (one BatchGet, not one read per address); the tenant can see the list and remove an
address once the problem is fixed. Addresses are kept lower-cased, because SES may report an address
in a different case from the one we sent to.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.exceptions import DeleteError, PutError

from chalicelib.adapters import clock
from chalicelib.domain import errors
from chalicelib.store.paging import query_page
from chalicelib.store.settings_items import Suppression


def normalize(email: str) -> str:
    return email.strip().lower()


def suppress(tenant_id: str, email: str, reason: str, reminder_id: str | None = None) -> None:
    """Put ``email`` on the list; an address already there keeps its first reason and date."""
    item = Suppression(tenant_id, normalize(email), reason=reason, reminder_id=reminder_id,
                       created_at=clock.now_iso())
    try:
        item.save(condition=Suppression.email.does_not_exist())
    except PutError as exc:
        if getattr(exc, "cause_response_code", "") != "ConditionalCheckFailedException":
            raise


def is_suppressed(tenant_id: str, emails: Iterable[str]) -> set[str]:
    """Which of ``emails`` are on the tenant's list, lower-cased (compare with ``email.lower()``)."""
    keys = sorted({normalize(email) for email in emails if email and email.strip()})
    if not keys:
        return set()
    return {item.email for item in Suppression.batch_get([(tenant_id, key) for key in keys],
                                                          attributes_to_get=["tenant_id", "email"])}


def suppression_view(item: Suppression) -> dict[str, Any]:
    return {"email": item.email, "reason": item.reason, "created_at": item.created_at,
            "reminder_id": item.reminder_id}


def list_suppressions(tenant_id: str, cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
    items, next_cursor = query_page(Suppression, lambda **kw: Suppression.query(tenant_id, **kw),
                                    ("tenant_id", "email"), list_name="suppressions", tenant_id=tenant_id,
                                    cursor=cursor, limit=limit)
    return [suppression_view(item) for item in items], next_cursor


def unsuppress(tenant_id: str, email: str) -> None:
    try:
        Suppression(tenant_id, normalize(email)).delete(condition=Suppression.email.exists())
    except DeleteError as exc:
        if getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException":
            raise errors.NotFound(detail=f"{email} is not on the suppression list.") from None
        raise
