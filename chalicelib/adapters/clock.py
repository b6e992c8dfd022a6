"""The one clock: every "now" and "today" in the app comes from here (tests freeze it)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


def now() -> datetime:
    return datetime.now(UTC)


def now_iso() -> str:
    """RFC 3339 in UTC with a Z, to the second, as the API shows timestamps."""
    return iso(now())


def iso(moment: datetime, *, plus_seconds: float = 0) -> str:
    return (moment.astimezone(UTC) + timedelta(seconds=plus_seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def today(tz_name: str = DEFAULT_TIMEZONE) -> date:
    """Today's date in the tenant's time zone."""
    return now().astimezone(zone(tz_name)).date()
