"""Aging of receivables, derived at read time from open amounts per due date and today's date.

Nothing here is stored: a customer keeps ``{due_date: open amount}`` and the buckets, overdue amount and
days overdue follow from "today" in the tenant's time zone, so they are right tomorrow without a write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

BUCKETS = ("current", "d1_30", "d31_60", "d61_90", "d90_plus")


def bucket_for(days_overdue: int) -> str:
    if days_overdue <= 0:
        return "current"
    if days_overdue <= 30:
        return "d1_30"
    if days_overdue <= 60:
        return "d31_60"
    if days_overdue <= 90:
        return "d61_90"
    return "d90_plus"


def days_overdue(due: date | str, today: date) -> int:
    due_date = date.fromisoformat(due) if isinstance(due, str) else due
    return max(0, (today - due_date).days)


@dataclass
class Aging:
    outstanding: int = 0
    overdue_amount: int = 0
    oldest_due_date: str | None = None
    max_days_overdue: int = 0
    buckets: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))


def age(due_map: Mapping[str, int], today: date) -> Aging:
    """Aging from open amounts keyed by ISO due date."""
    result = Aging()
    for due, amount in sorted(due_map.items()):
        amount = int(amount)
        if amount <= 0:
            continue
        late = days_overdue(due, today)
        result.outstanding += amount
        result.buckets[bucket_for(late)] += amount
        if late > 0:
            result.overdue_amount += amount
        if result.oldest_due_date is None:
            result.oldest_due_date = due
            result.max_days_overdue = late
    return result
