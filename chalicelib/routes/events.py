"""Event entrypoints: the SQS send worker, SES events through SNS, and the schedule.

Each record of an SQS batch is handled on its own: a record that fails is logged and left for SQS to
redeliver (its reminder is still ``queued``), and the others are not sent again, because the batch as
a whole succeeds and every reminder's claim makes a second delivery send nothing.
"""

from __future__ import annotations

import json
import logging
from typing import Any

log = logging.getLogger("nhacno.events")


def on_send_queue(event: Any) -> dict[str, Any]:
    from chalicelib.services import delivery
    from chalicelib.services import reminder_settings as defaults

    failures = []
    with defaults.remembered():  # one look-up per template, sender and account for the whole invocation
        for record in event:
            message_id = record.to_dict().get("messageId", "")
            try:
                delivery.handle(json.loads(record.body))
            except Exception:
                log.exception("send record failed; left for redelivery", extra={"message_id": message_id})
                failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}


def on_ses_event(event: Any) -> None:
    from chalicelib.services import ses_events

    ses_events.handle(event.message, event.to_dict().get("Records", [{}])[0].get("Sns", {}).get("MessageId", ""))


def on_schedule(event: Any) -> None:
    from chalicelib.services import scheduler

    scheduler.run()
