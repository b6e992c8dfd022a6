"""The send queue (SQS): single messages from the API, batches of ten from the batch expander."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

from chalicelib.adapters import aws
from chalicelib.settings import settings

MAX_DELAY_SECONDS = 900  # SQS's own ceiling
_url: str | None = None
_lock = threading.Lock()


def queue_url() -> str:
    global _url
    if settings.send_queue_url:
        return settings.send_queue_url
    if _url is None:
        with _lock:
            if _url is None:
                _url = aws.client("sqs").get_queue_url(QueueName=settings.queue_name)["QueueUrl"]
    return _url


def reset() -> None:
    global _url
    _url = None


def send(message: dict[str, Any], delay_seconds: int = 0) -> None:
    aws.client("sqs").send_message(QueueUrl=queue_url(), MessageBody=json.dumps(message),
                                   DelaySeconds=max(0, min(MAX_DELAY_SECONDS, int(delay_seconds))))


def send_many(messages: Sequence[dict[str, Any]]) -> None:
    """SendMessageBatch, ten a call; entries SQS refuses are sent again once, then raised."""
    sqs = aws.client("sqs")
    for start in range(0, len(messages), 10):
        chunk = messages[start:start + 10]
        entries = [{"Id": str(i), "MessageBody": json.dumps(m)} for i, m in enumerate(chunk)]
        result = sqs.send_message_batch(QueueUrl=queue_url(), Entries=entries)
        failed = {f["Id"] for f in result.get("Failed", [])}
        if failed:
            retry = [e for e in entries if e["Id"] in failed]
            again = sqs.send_message_batch(QueueUrl=queue_url(), Entries=retry)
            if again.get("Failed"):
                raise RuntimeError(f"SQS refused {len(again['Failed'])} messages: {again['Failed'][0]}")
