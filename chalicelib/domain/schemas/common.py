"""Field types every schema shares: dates, money, emails, names, list pages."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt

MAX_MONEY = 10**15  # a quadrillion đồng: far above any invoice, far below float trouble

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def _iso_date(value: object) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE.match(value):
        raise ValueError("must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a real date") from None


def _email(value: str) -> str:
    value = value.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("must be an email address")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


# Invisible characters real names contain: joiners inside emoji sequences (👨‍👩‍👧) and scripts that need
# them. Everything else that is not printable (CR/LF, other controls, line separators) is refused.
_JOINERS = frozenset("\u200c\u200d")


def _single_line(value: str) -> str:
    for ch in value:
        if ch.isprintable() or ch in _JOINERS or unicodedata.category(ch) == "Zs":
            continue
        raise ValueError("must be one line without control characters")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Money = Annotated[StrictInt, Field(ge=0, le=MAX_MONEY, description="Whole đồng (integer, minor unit).")]
PositiveMoney = Annotated[StrictInt, Field(gt=0, le=MAX_MONEY, description="Whole đồng, greater than 0.")]
Email = Annotated[str, Field(max_length=254, examples=["ke.toan@example.vn"]), AfterValidator(_email)]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(str.strip), AfterValidator(_single_line)]
ShortText = Annotated[str, Field(max_length=200), AfterValidator(_single_line)]
LongText = Annotated[str, Field(max_length=4000)]
Locale = Annotated[str, Field(pattern="^(vi|en)$")]

T = TypeVar("T")


class Input(BaseModel):
    """Request bodies: unknown fields are refused rather than silently dropped."""

    # defer_build: validators are built on first use, not at import (a cold Lambda builds only the
    # models its first request needs).
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True, defer_build=True)


class Page(Output, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class ListQuery(Input):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2000)
