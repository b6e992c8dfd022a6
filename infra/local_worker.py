"""The local stack's Lambda stand-ins: an SQS poller feeding real SQS events to the send worker, and the
scheduled function every ``NHACNO_SCHEDULE_SECONDS`` (30 by default).

Both call the very handlers ``app.py`` registers, with events shaped as Lambda delivers them (each
record keeps the messageId SQS gave it); a message is deleted only when the handler did not report
it failed, as SQS's partial batch responses do.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("nhacno.local")


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """A Lambda SQS event for messages as ReceiveMessage returned them."""
    return {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"], "attributes": {},
        "messageAttributes": {}, "md5OfBody": m.get("MD5OfBody", ""), "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn, "awsRegion": region} for m in messages]}


def schedule_event(region: str) -> dict[str, Any]:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"version": "0", "id": "local", "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": now, "region": region, "resources": [], "detail": {}}


def deliver(handler: Any, sqs: Any, queue_url: str, queue_arn: str, region: str,
            messages: list[dict[str, Any]]) -> dict[str, Any]:
    """One Lambda invocation of the SQS handler; deletes the messages it did not report failed."""
    result = handler(sqs_event(messages, queue_arn, region), None) or {}
    failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
    for message in messages:
        if message["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return result


class LocalWorkers:
    """Starts the poller and the schedule as daemon threads; ``stop()`` ends both promptly."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.schedule_seconds = float(os.environ.get("NHACNO_SCHEDULE_SECONDS", "30"))

    def start(self) -> None:
        for target, name in ((self._poll, "nhacno-worker"), (self._schedule, "nhacno-scheduler")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=5)

    def _poll(self) -> None:
        import app as app_module
        from chalicelib.adapters import aws, queue
        from chalicelib.settings import settings

        sqs = aws.client("sqs")
        url = queue.queue_url()
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        while not self.stopping.is_set():
            try:
                received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                               VisibilityTimeout=6 * settings.worker_timeout_seconds)
                messages = received.get("Messages", [])
                if messages:
                    deliver(app_module.send_worker, sqs, url, arn, settings.region, messages)
            except Exception:  # keep polling: the handler already recorded what it could
                log.exception("local worker round failed")
                self.stopping.wait(1)

    def _schedule(self) -> None:
        import app as app_module
        from chalicelib.settings import settings

        while not self.stopping.wait(self.schedule_seconds):
            try:
                app_module.scheduler(schedule_event(settings.region), None)
            except Exception:
                log.exception("local scheduled run failed")
