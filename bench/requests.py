"""Count every AWS request the app makes, by service and operation, with a botocore event hook.

``request-created`` fires once per HTTP attempt (retries included) on every client, boto3's and
PynamoDB's alike, before moto's stub answers in ``before-send``. The hook goes on the botocore session
PynamoDB shares across models (chalicelib/store/base.py) before any model makes a client, and on each
client of chalicelib/adapters/aws.py: clients copy their session's handlers when they are created.

Requests made while ``harness()`` is active are the bench's own stand-in for Lambda (SQS receive and
delete around the worker) and are counted apart: they are AWS's work in production, not ours.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

HOOK_ID = "nhacno-bench-request-counter"
SERVICES = ("sqs", "ses")  # the services chalicelib/adapters/aws.py hands out


class RequestLog:
    def __init__(self) -> None:
        self.app: Counter[tuple[str, str]] = Counter()
        self.harness: Counter[tuple[str, str]] = Counter()
        self._local = threading.local()
        self._lock = threading.Lock()

    def __call__(self, event_name: str, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        target = self.harness if getattr(self._local, "harness", False) else self.app
        with self._lock:
            target[(service, operation)] += 1

    def reset(self) -> None:
        with self._lock:
            self.app.clear()
            self.harness.clear()

    @contextmanager
    def as_harness(self) -> Iterator[None]:
        before = getattr(self._local, "harness", False)
        self._local.harness = True
        try:
            yield
        finally:
            self._local.harness = before

    def total(self, service: str | None = None) -> int:
        return sum(n for (svc, _), n in self.app.items() if service is None or svc == service)

    def snapshot(self) -> Counter[tuple[str, str]]:
        with self._lock:
            return Counter(self.app)


LOG = RequestLog()


def hook_pynamodb() -> None:
    """Before any PynamoDB client exists: every model's client is made from this one session."""
    from pynamodb.connection import base

    base.get_session().register("request-created", LOG, unique_id=HOOK_ID)


def hook_adapters() -> None:
    """After each fresh in-memory AWS: the adapters' clients (made anew by ``aws.reset()``)."""
    from chalicelib.adapters import aws

    for service in SERVICES:
        aws.client(service).meta.events.register("request-created", LOG, unique_id=HOOK_ID)


@contextmanager
def counting() -> Iterator[RequestLog]:
    LOG.reset()
    yield LOG
