"""The send machinery under faults: throttling, duplicate and concurrent deliveries, crashes, lost
messages, SES events and suppression. One reminder id -> at most one email; nothing silently lost."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError
from freezegun import freeze_time

from chalicelib.adapters import aws, queue
from chalicelib.settings import settings
from chalicelib.store import base
from tests import factories, worker
from tests.conftest import dynamodb_transactions_like_aws

NOW = "2026-12-04T03:00:00Z"


@pytest.fixture
def app(client):
    from app import app as chalice_app

    return chalice_app


def run_scheduler() -> None:
    import app as app_module

    app_module.scheduler({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}, "id": "x",
                          "account": "123456789012", "time": NOW, "region": settings.region, "resources": [],
                          "version": "0"}, None)


def owing_customers(api, n: int) -> list[dict]:
    out = []
    for i in range(n):
        customer = factories.customer(api, emails=[f"kh{i}@example.vn"])
        factories.invoice(api, customer["id"], due_date="2026-11-20", amount=1_000_000 + i)
        out.append(customer)
    return out


def send_to(api, customers) -> list[str]:
    ids = []
    for customer in customers:
        response = api.post(f"/v1/customers/{customer['id']}/reminders", {})
        assert response.status_code == 202, response.body
        ids.append(response.data["id"])
    return ids


class SesThrottle:
    """Fault injection at the AWS boundary: SES answers Throttling to the calls chosen."""

    def __init__(self, throttle_when) -> None:
        self.calls = 0
        self.throttle_when = throttle_when

    def __call__(self, **kwargs) -> None:
        self.calls += 1
        if self.throttle_when(self.calls):
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}},
                              "SendRawEmail")


def inject_ses(handler) -> None:
    aws.client("ses").meta.events.register("before-call.email.SendRawEmail", handler)


def statuses(api, ids) -> dict[str, int]:
    counts: dict[str, int] = {}
    for rid in ids:
        status = api.get(f"/v1/reminders/{rid}").data["status"]
        counts[status] = counts.get(status, 0) + 1
    return counts


def test_throttled_sends_go_back_to_queue_and_are_sent_once_later(api, app):
    with freeze_time(NOW) as frozen:
        customers = owing_customers(api, 6)
        ids = send_to(api, customers)
        throttle = SesThrottle(lambda call: call % 2 == 1)  # every other first attempt is throttled
        inject_ses(throttle)
        worker.drain(app)
        first = statuses(api, ids)
        assert first == {"sent": 3, "queued": 3}
        retrying = [api.get(f"/v1/reminders/{rid}").data for rid in ids]
        retrying = [r for r in retrying if r["status"] == "queued"]
        assert all(r["attempts"] == 1 and r["next_attempt_at"] and "Throttling" in r["last_error"] for r in retrying)

        throttle.throttle_when = lambda call: False  # SES recovers
        frozen.tick(timedelta(minutes=20))
        run_scheduler()
        worker.drain(app)
        assert statuses(api, ids) == {"sent": 6}
        assert len(worker.sent_emails()) == 6


def test_a_reminder_that_keeps_being_throttled_fails_with_the_reason_after_max_attempts(api, app):
    with freeze_time(NOW) as frozen:
        [rid] = send_to(api, owing_customers(api, 1))
        inject_ses(SesThrottle(lambda call: True))
        for _ in range(settings.max_send_attempts + 2):
            worker.drain(app)
            frozen.tick(timedelta(minutes=30))
            run_scheduler()
        reminder = api.get(f"/v1/reminders/{rid}").data
        assert reminder["status"] == "failed"
        assert reminder["attempts"] == settings.max_send_attempts
        assert "Throttling" in reminder["last_error"]
        assert worker.sent_emails() == []


def test_permanent_ses_error_fails_at_once_with_the_message(api, app):
    with freeze_time(NOW):
        [rid] = send_to(api, owing_customers(api, 1))

        def reject(**kwargs):
            raise ClientError({"Error": {"Code": "MessageRejected", "Message": "Email address is not verified."}},
                              "SendRawEmail")

        inject_ses(reject)
        worker.drain(app)
        reminder = api.get(f"/v1/reminders/{rid}").data
        assert reminder["status"] == "failed"
        assert "MessageRejected" in reminder["last_error"]


def test_crash_after_ses_accepted_never_resends_and_ends_unknown(api, app):
    with freeze_time(NOW) as frozen:
        [rid] = send_to(api, owing_customers(api, 1))
        sent_once = {"ses": False, "crashed": False}

        def after_send(**kwargs):
            sent_once["ses"] = True

        def crash_on_record(**kwargs):
            if sent_once["ses"] and not sent_once["crashed"]:
                sent_once["crashed"] = True
                raise RuntimeError("Lambda ran out of time")

        aws.client("ses").meta.events.register("after-call.email.SendRawEmail", after_send)
        base.transaction()  # make sure the shared connection exists, then hook its client
        base._connection.client.meta.events.register("before-call.dynamodb.TransactWriteItems", crash_on_record)

        messages = worker.receive()
        result = worker.deliver(app, messages)
        assert result["batchItemFailures"]  # SQS will deliver it again
        assert api.get(f"/v1/reminders/{rid}").data["status"] == "sending"
        worker.deliver(app, messages)  # the redelivery finds the claim and sends nothing
        assert len(worker.sent_emails()) == 1

        frozen.tick(timedelta(seconds=settings.worker_timeout_seconds + 1))
        run_scheduler()
        reminder = api.get(f"/v1/reminders/{rid}").data
        assert reminder["status"] == "unknown"
        assert "not sent again" in reminder["last_error"]
        frozen.tick(timedelta(hours=2))
        run_scheduler()
        worker.drain(app)
        assert len(worker.sent_emails()) == 1


def test_two_workers_on_the_same_messages_send_each_reminder_once(api, app):
    with freeze_time(NOW), dynamodb_transactions_like_aws():
        ids = send_to(api, owing_customers(api, 20))
        messages = []
        while batch := worker.receive():
            messages += batch
            for m in batch:
                aws.client("sqs").change_message_visibility(QueueUrl=queue.queue_url(),
                                                            ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=600)
        assert len(messages) == 20
        errors: list[BaseException] = []

        def work() -> None:
            try:
                for start in range(0, len(messages), 10):
                    worker.deliver(app, messages[start:start + 10], delete=False)
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(worker.sent_emails()) == 20
        assert statuses(api, ids) == {"sent": 20}


def test_a_lost_queue_message_is_requeued_by_the_scheduler(api, app):
    with freeze_time(NOW) as frozen:
        [rid] = send_to(api, owing_customers(api, 1))
        aws.client("sqs").purge_queue(QueueUrl=queue.queue_url())
        frozen.tick(timedelta(minutes=6))
        run_scheduler()
        worker.drain(app)
        assert api.get(f"/v1/reminders/{rid}").data["status"] == "sent"
        assert len(worker.sent_emails()) == 1


def ses_sns(api, rid: str, kind: str, recipients, message_id: str | None = None, **extra) -> None:
    import app as app_module

    tenant_id = api.key.split(".")[1]
    app_module.ses_events(worker.sns_event(worker.ses_event(kind, tenant_id, rid, recipients, **extra), message_id),
                          None)


def test_delivery_event_marks_delivered_and_is_idempotent(api, app):
    with freeze_time(NOW):
        [rid] = send_to(api, owing_customers(api, 1))
        worker.drain(app)
        ses_sns(api, rid, "Delivery", ["kh0@example.vn"], message_id="evt-1")
        ses_sns(api, rid, "Delivery", ["kh0@example.vn"], message_id="evt-1")
        reminder = api.get(f"/v1/reminders/{rid}").data
        assert reminder["status"] == "delivered"
        assert len(reminder["events"]) == 1


def test_permanent_bounce_suppresses_the_address_and_later_reminders_skip_it(api, app):
    with freeze_time(NOW):
        [customer] = owing_customers(api, 1)
        [rid] = send_to(api, [customer])
        worker.drain(app)
        ses_sns(api, rid, "Bounce", ["kh0@example.vn"])
        ses_sns(api, rid, "Delivery", ["kh0@example.vn"])  # late, out of order: bounced stays
        assert api.get(f"/v1/reminders/{rid}").data["status"] == "bounced"
        suppressed = api.get("/v1/suppressions").data["items"]
        assert [s["email"] for s in suppressed] == ["kh0@example.vn"]

        [again] = send_to(api, [customer])
        worker.drain(app)
        reminder = api.get(f"/v1/reminders/{again}").data
        assert reminder["status"] == "suppressed"
        assert len(worker.sent_emails()) == 1


def test_transient_bounce_is_recorded_without_suppressing(api, app):
    with freeze_time(NOW):
        [rid] = send_to(api, owing_customers(api, 1))
        worker.drain(app)
        ses_sns(api, rid, "Bounce", ["kh0@example.vn"], bounce_type="Transient")
        reminder = api.get(f"/v1/reminders/{rid}").data
        assert reminder["status"] == "sent"
        assert reminder["events"][0]["type"] == "bounce"
        assert api.get("/v1/suppressions").data["items"] == []


def test_complaint_marks_complained_and_suppresses(api, app):
    with freeze_time(NOW):
        [rid] = send_to(api, owing_customers(api, 1))
        worker.drain(app)
        ses_sns(api, rid, "Delivery", ["kh0@example.vn"])
        ses_sns(api, rid, "Complaint", ["kh0@example.vn"])
        assert api.get(f"/v1/reminders/{rid}").data["status"] == "complained"
        assert [s["email"] for s in api.get("/v1/suppressions").data["items"]] == ["kh0@example.vn"]


def test_only_the_tenants_own_verified_senders_or_the_system_sender_may_send(api, other, app):
    with freeze_time(NOW):
        [customer] = owing_customers(api, 1)
        path = f"/v1/customers/{customer['id']}/reminders"
        assert api.post(path, {"sender": "ketoan@minhanh.vn"}).status_code == 422
        assert other.post("/v1/senders", {"email": "ketoan@binhminh.vn"}).status_code == 201
        assert api.post(path, {"sender": "ketoan@binhminh.vn"}).status_code == 422  # the other tenant's
        assert api.post("/v1/senders", {"email": "ketoan@minhanh.vn"}).status_code == 201
        response = api.post(path, {"sender": "ketoan@minhanh.vn"})
        assert response.status_code == 202
        worker.drain(app)
        reminder = api.get(f"/v1/reminders/{response.data['id']}").data
        assert reminder["status"] == "sent" and reminder["sender"] == "ketoan@minhanh.vn"
