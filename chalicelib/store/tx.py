"""Optimistic concurrency: run a read-check-write step again when a conditional write lost a race.

Every money-moving write is a ``TransactWrite`` whose items are conditioned on the versions that were
read. When another writer got there first, the transaction is cancelled as a whole and the step runs
again on fresh reads (re-checking the business rules), so nothing is overdrawn and nothing is lost.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

from chalicelib.domain import errors

T = TypeVar("T")

RACE_CODES = {"ConditionalCheckFailed", "TransactionConflict", "ConditionalCheckFailedException"}


def lost_race(exc: Exception) -> bool:
    code = getattr(exc, "cause_response_code", None)
    if code == "ConditionalCheckFailedException":
        return True
    if isinstance(exc, TransactWriteError) and code in ("TransactionCanceledException", "TransactionConflictException"):
        reasons = exc.cancellation_reasons or []
        return any(reason is not None and reason.code in RACE_CODES for reason in reasons) or not reasons
    return False


def retry_on_race(step: Callable[[], T], *, attempts: int = 100) -> T:
    for attempt in range(attempts):
        try:
            return step()
        except (TransactWriteError, PutError, UpdateError) as exc:
            if not lost_race(exc) or attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0, min(0.05, 0.002 * (attempt + 1))))
    raise errors.Conflict(detail="Too many concurrent changes; try again.")
