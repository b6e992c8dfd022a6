"""Drive the event handlers the way Lambda would: real SQS messages, hand-built events.

Chalice's own test helper gives every SQS record the same messageId; these events carry the ids
SQS gave each message, and a message is deleted only when the handler did not report it failed.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from chalicelib.adapters import aws, queue
from chalicelib.settings import settings
from infra import local_worker


def receive(max_messages: int = 10) -> list[dict[str, Any]]:
    result = aws.client("sqs").receive_message(QueueUrl=queue.queue_url(), MaxNumberOfMessages=max_messages,
                                               VisibilityTimeout=0, WaitTimeSeconds=0)
    return result.get("Messages", [])


def deliver(app: Any, messages: list[dict[str, Any]], *, delete: bool = True) -> dict[str, Any]:
    """Hand messages to the worker as one Lambda invocation; delete those it did not report failed."""
    import app as app_module  # the module's handlers are the wrapped Lambda entry points

    arn = f"arn:aws:sqs:{settings.region}:{DEFAULT_ACCOUNT_ID}:{settings.queue_name}"
    if delete:
        return local_worker.deliver(app_module.send_worker, aws.client("sqs"), queue.queue_url(), arn,
                                    settings.region, messages)
    return app_module.send_worker(local_worker.sqs_event(messages, arn, settings.region), None) or {}


def drain(app: Any, *, rounds: int = 10_000) -> int:
    """Run the worker until the queue is empty (messages delayed for later stay); returns messages handled."""
    handled = 0
    for _ in range(rounds):
        messages = receive()
        if not messages:
            return handled
        deliver(app, messages)
        handled += len(messages)
    raise AssertionError("the queue never drained")


def sent_emails() -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][settings.region].sent_messages)


def ses_event(kind: str, tenant_id: str, reminder_id: str, recipients: list[str], **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"eventType": kind, "mail": {"messageId": "m-" + reminder_id, "timestamp":
                            "2026-12-04T08:00:00Z", "tags": {"tenant_id": [tenant_id], "reminder_id": [reminder_id]}}}
    if kind == "Delivery":
        body["delivery"] = {"recipients": recipients, "timestamp": "2026-12-04T08:00:05Z", "smtpResponse": "250 ok"}
    elif kind == "Bounce":
        body["bounce"] = {"bounceType": extra.get("bounce_type", "Permanent"), "bounceSubType": "General",
                          "bouncedRecipients": [{"emailAddress": r} for r in recipients]}
    elif kind == "Complaint":
        body["complaint"] = {"complainedRecipients": [{"emailAddress": r} for r in recipients],
                             "complaintFeedbackType": "abuse"}
    return body


def sns_event(message: dict[str, Any], message_id: str | None = None) -> dict[str, Any]:
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": "arn:sub", "Sns": {
        "Type": "Notification", "MessageId": message_id or str(uuid.uuid4()), "TopicArn": "arn:topic",
        "Subject": None, "Message": json.dumps(message), "Timestamp": "2026-12-04T08:00:05Z",
        "MessageAttributes": {}}}]}
