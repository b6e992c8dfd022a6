"""The send worker driven as Lambda drives it (tests/worker.py, infra/local_worker.py), with Lambda's own
SQS calls (receive, delete) counted apart from the app's."""

from __future__ import annotations

from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID

from bench.requests import LOG
from chalicelib.adapters import aws, queue
from chalicelib.settings import settings
from infra import local_worker


class _LambdasSqs:
    """The SQS client as the Lambda event source mapping uses it: its deletes are not the app's requests."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def delete_message(self, **kwargs: Any) -> Any:
        with LOG.as_harness():
            return self._client.delete_message(**kwargs)


def drain(*, rounds: int = 100_000) -> int:
    """Run the worker until the queue is empty; returns the SQS messages handled."""
    import app as app_module  # the module's handlers are the wrapped Lambda entry points

    sqs = aws.client("sqs")
    url = queue.queue_url()
    arn = f"arn:aws:sqs:{settings.region}:{DEFAULT_ACCOUNT_ID}:{settings.queue_name}"
    handled = 0
    for _ in range(rounds):
        with LOG.as_harness():
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0,
                                           WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            return handled
        result = local_worker.deliver(app_module.send_worker, _LambdasSqs(sqs), url, arn, settings.region, messages)
        if result.get("batchItemFailures"):
            raise RuntimeError(f"the worker reported failures: {result['batchItemFailures']}")
        handled += len(messages)
    raise RuntimeError("the queue never drained")
