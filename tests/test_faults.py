"""The send path under faults, at scale: a batch of 1,000 overdue customers per fault.

Each test sends one bulk batch to the same 1,000 customers (built once for the module through the
services) while one fault is injected at the AWS boundary (botocore event hooks on the SES client and
on PynamoDB's transaction connection; our own code is never patched). Afterwards, for that batch:

- every reminder that should have been emailed was emailed exactly once (counted per reminder id
  from the ``X-Nhacno-Reminder`` header of what moto's SES accepted): 0 duplicates, 0 lost;
- every reminder is in a final state, with a reason readable through the API where it is not ``sent``;
- the batch's counters agree with its reminders and the scheduler closes it.

Retries come due and stale claims become ``unknown`` by ticking a frozen clock and running the
scheduled Lambda, as in production.
"""

from __future__ import annotations

import email
import threading
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from email import policy
from typing import Any

import pytest
from botocore.exceptions import ClientError
from freezegun import freeze_time

from chalicelib.adapters import aws, clock, queue
from chalicelib.domain.schemas.customers import CustomerIn
from chalicelib.domain.schemas.invoices import InvoiceIn
from chalicelib.services import customers as customer_service
from chalicelib.services import invoices as invoice_service
from chalicelib.services import scheduler
from chalicelib.settings import settings
from chalicelib.store import base
from chalicelib.store.reminders import Reminder
from tests import worker
from tests.conftest import ADMIN_KEY, Api

COUNT = 1_000
NOW = "2026-12-04T03:00:00Z"
FINAL = {"sent", "delivered", "bounced", "complained", "failed", "unknown", "suppressed", "skipped"}


class Tenant:
    def __init__(self, api: Api, frozen: Any) -> None:
        self.api, self.frozen = api, frozen
        self.tenant_id = api.key.split(".")[1]


@pytest.fixture(scope="module")
def tenant(module_client: Any) -> Iterator[Tenant]:
    """One tenant with 1,000 customers, each owing one overdue invoice; the clock frozen for the module."""
    freezer = freeze_time(NOW)
    frozen = freezer.start()
    try:
        admin = Api(module_client, ADMIN_KEY)
        api = admin.as_(admin.post("/v1/admin/tenants", {"name": "Công ty Chịu Lỗi"}).data["api_key"])
        tenant_id = api.key.split(".")[1]
        for i in range(COUNT):
            customer = customer_service.create(tenant_id, CustomerIn(
                code=f"F{i:05d}", name=f"Công ty Khách hàng {i}", emails=[f"ketoan{i}@khach{i}.vn"]))
            invoice_service.create(tenant_id, InvoiceIn(
                customer_id=customer.customer_id, number=f"HDF{i:06d}", issue_date="2026-10-01",
                due_date="2026-11-15", amount=1_000_000 + i))
        yield Tenant(api, frozen)
    finally:
        freezer.stop()


# --- helpers -------------------------------------------------------------------------------------


def start_batch(t: Tenant) -> str:
    # What a scenario left behind (a retry's delayed message) names only final reminders; start clean.
    # (Not PurgeQueue: SQS allows one a minute, and the clock here is frozen.)
    while leftovers := worker.receive():
        for message in leftovers:
            aws.client("sqs").delete_message(QueueUrl=queue.queue_url(), ReceiptHandle=message["ReceiptHandle"])
    response = t.api.post("/v1/reminder-batches", {"all": True, "status": "overdue"})
    assert response.status_code == 202, response.body
    return response.data["id"]


def emails_per_reminder(since: int) -> Counter[str]:
    """How many emails SES accepted per reminder id, after the first ``since`` it had already sent."""
    counts: Counter[str] = Counter()
    for sent in worker.sent_emails()[since:]:
        headers = email.message_from_string(sent.raw_data, policy=policy.default)
        counts[str(headers["X-Nhacno-Reminder"])] += 1
    return counts


def batch_reminders(api: Api, batch_id: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    cursor = None
    for _ in range(COUNT // 200 + 3):
        path = f"/v1/reminder-batches/{batch_id}/reminders?limit=200" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(path)
        assert page.status_code == 200, page.body
        found.update({r["id"]: r for r in page.data["items"]})
        cursor = page.data["next_cursor"]
        if not cursor:
            return found
    raise AssertionError("the batch's reminders never ended")


def settle(t: Tenant, drain: Callable[[], None], *, rounds: int = 12) -> None:
    """Work the queue, then let time pass and the scheduler run, until nothing is queued or sending."""
    for _ in range(rounds):
        drain()
        pending = list(Reminder.by_pending.query(t.tenant_id))
        if not pending and not worker.receive():
            break
        t.frozen.tick(timedelta(minutes=20))  # past any backoff and past the worker's timeout
        scheduler.run()
    else:
        raise AssertionError("reminders never settled")
    scheduler.run()  # closes the batch


def drain_once() -> None:
    from app import app

    worker.drain(app)


def check(t: Tenant, batch_id: str, since: int, *, emailed: set[str] | None = None,
          expected_status: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """The invariants every scenario ends with; returns the batch's reminders by id."""
    reminders = batch_reminders(t.api, batch_id)
    assert len(reminders) == COUNT, len(reminders)
    per_reminder = emails_per_reminder(since)
    duplicates = {rid: n for rid, n in per_reminder.items() if n > 1}
    assert duplicates == {}, f"{len(duplicates)} reminders were emailed more than once"
    should_email = set(reminders) if emailed is None else emailed
    assert set(per_reminder) == should_email, (
        f"lost: {len(should_email - set(per_reminder))}, unexpected: {len(set(per_reminder) - should_email)}")
    statuses = Counter(r["status"] for r in reminders.values())
    assert set(statuses) <= FINAL, statuses
    for rid, reminder in reminders.items():
        want = (expected_status or {}).get(rid, "sent")
        assert reminder["status"] == want, (rid, reminder["status"], reminder["last_error"])
        if reminder["status"] != "sent":
            assert reminder["last_error"], reminder
        else:
            assert reminder["sent_at"] and reminder["subject"] and reminder["html"]
    view = t.api.get(f"/v1/reminder-batches/{batch_id}").data
    assert view["status"] == "done", view
    assert view["total"] == COUNT and view["queued"] == 0
    assert view["sent"] == statuses["sent"]
    assert view["failed"] == statuses["failed"] + statuses["unknown"]
    return reminders


def tag(params: dict[str, Any], name: str) -> str:
    return next(t["Value"] for t in params.get("Tags", []) if t["Name"] == name)


class Hooks:
    """botocore event handlers registered for one scenario, always removed afterwards."""

    def __init__(self) -> None:
        self.registered: list[tuple[Any, str, Callable[..., Any]]] = []

    def on(self, client: Any, event: str, handler: Callable[..., Any]) -> None:
        client.meta.events.register(event, handler)
        self.registered.append((client, event, handler))

    def __enter__(self) -> Hooks:
        return self

    def __exit__(self, *exc: Any) -> None:
        for client, event, handler in self.registered:
            client.meta.events.unregister(event, handler)


def transaction_client() -> Any:
    base.transaction()  # the shared transaction connection exists from here on
    return base._connection.client


def chosen(reminder_id: str, percent: int) -> bool:
    """A fixed, well-spread choice of reminders (crc32 of the id), the same on every run."""
    return zlib.crc32(reminder_id.encode()) % 100 < percent


def updates(params: dict[str, Any]) -> list[dict[str, Any]]:
    return [item["Update"] for item in params.get("TransactItems", []) if "Update" in item]


def is_claim(params: dict[str, Any]) -> bool:
    """The worker's claim transaction: reminders ``queued`` -> ``sending``, each setting ``claimed_at``."""
    found = updates(params)
    return bool(found) and all("claimed_at" in u.get("ExpressionAttributeNames", {}).values() for u in found)


def is_record(params: dict[str, Any]) -> bool:
    """The worker's record transaction: updates conditioned on its claim token, not a claim itself."""
    found = updates(params)
    return bool(found) and not is_claim(params) and any(
        "claim" in u.get("ExpressionAttributeNames", {}).values() and "ConditionExpression" in u for u in found)


# --- the faults ----------------------------------------------------------------------------------


def test_ses_throttling_30_percent_of_first_attempts_retries_each_once_and_sends_every_reminder(tenant):
    batch_id = start_batch(tenant)
    since = len(worker.sent_emails())
    throttled: set[str] = set()
    attempted: set[str] = set()

    def throttle(params: dict[str, Any], **_: Any) -> None:
        rid = tag(params, "reminder_id")
        first = rid not in attempted
        attempted.add(rid)
        if first and chosen(rid, 30):
            throttled.add(rid)
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}},
                              "SendRawEmail")

    with Hooks() as hooks:
        hooks.on(aws.client("ses"), "before-parameter-build.email.SendRawEmail", throttle)
        settle(tenant, drain_once)

    reminders = check(tenant, batch_id, since)
    assert 240 <= len(throttled) <= 360, len(throttled)
    assert {rid for rid, r in reminders.items() if r["attempts"] == 2} == throttled
    assert all(r["attempts"] == 1 for rid, r in reminders.items() if rid not in throttled)


def test_every_sqs_message_delivered_twice_sends_each_reminder_once(tenant):
    from app import app

    batch_id = start_batch(tenant)
    since = len(worker.sent_emails())
    deliveries = Counter[str]()

    def twice() -> None:
        for _ in range(100_000):
            messages = worker.receive()
            if not messages:
                return
            worker.deliver(app, messages, delete=False)
            worker.deliver(app, messages)  # the redelivery, then SQS deletes them
            deliveries.update(m["MessageId"] for m in messages)
        raise AssertionError("the queue never drained")

    settle(tenant, twice)
    check(tenant, batch_id, since)
    print(f"\ndelivered twice: {len(deliveries)} messages")


def test_two_workers_on_the_same_messages_send_each_reminder_once(tenant):
    from app import app

    batch_id = start_batch(tenant)
    since = len(worker.sent_emails())
    failures: list[BaseException] = []

    def both_workers() -> None:
        for _ in range(1_000):
            messages: list[dict[str, Any]] = []
            while batch := aws.client("sqs").receive_message(
                    QueueUrl=queue.queue_url(), MaxNumberOfMessages=10, VisibilityTimeout=600).get("Messages"):
                messages += batch
            if not messages:
                return

            def work(order: list[dict[str, Any]]) -> None:
                try:
                    for start in range(0, len(order), 10):
                        worker.deliver(app, order[start:start + 10], delete=False)
                except BaseException as exc:  # surfaced below
                    failures.append(exc)

            # Same messages, one worker front to back and the other back to front: they meet in the middle.
            threads = [threading.Thread(target=work, args=(messages,)),
                       threading.Thread(target=work, args=(messages[::-1],))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=600)
                assert not thread.is_alive()
            for message in messages:
                aws.client("sqs").delete_message(QueueUrl=queue.queue_url(), ReceiptHandle=message["ReceiptHandle"])
        raise AssertionError("the queue never drained")

    settle(tenant, both_workers)
    assert failures == []
    check(tenant, batch_id, since)


def test_crash_after_ses_accepted_before_the_record_never_resends_and_ends_unknown(tenant):
    batch_id = start_batch(tenant)
    since = len(worker.sent_emails())
    accepted_since_record: list[str] = []
    crashed: set[str] = set()
    records = Counter[str]()

    def accepted(params: dict[str, Any], **_: Any) -> None:
        accepted_since_record.append(tag(params, "reminder_id"))

    def crash(params: dict[str, Any], **_: Any) -> None:
        if not is_record(params):
            return
        records["seen"] += 1
        if accepted_since_record and records["seen"] % 3 == 1:  # every third record: the Lambda dies here
            crashed.update(accepted_since_record)
            accepted_since_record.clear()
            raise RuntimeError("Lambda timed out after SES accepted the emails")
        accepted_since_record.clear()

    with Hooks() as hooks:
        hooks.on(aws.client("ses"), "before-parameter-build.email.SendRawEmail", accepted)
        hooks.on(transaction_client(), "before-parameter-build.dynamodb.TransactWriteItems", crash)
        settle(tenant, drain_once)

    assert 200 <= len(crashed) <= 500, len(crashed)
    reminders = check(tenant, batch_id, since, expected_status=dict.fromkeys(crashed, "unknown"))
    assert all("not sent again" in reminders[rid]["last_error"] for rid in crashed)


def test_conditional_failures_mid_batch_lose_nothing_and_send_nothing_twice(tenant):
    """Two real races, made to happen at the DynamoDB boundary:

    - a competing worker claims the first reminder of every fifth claim transaction just before it
      runs (and then dies), so DynamoDB cancels our claim; ours claims the rest one by one, and the
      competitor's reminders become ``unknown`` when their claim goes stale, never emailed;
    - the scheduler's stale-claim sweep marks the first reminder of every fourth record transaction
      ``unknown`` just before the worker records it ``sent``, so that transaction is cancelled too;
      the late record wins with the truth (``sent``) and the batch's counters move from failed to sent.
    """
    batch_id = start_batch(tenant)
    since = len(worker.sent_emails())
    dynamodb = aws.client("dynamodb")
    seen = Counter[str]()
    competitor: set[str] = set()
    swept: set[str] = set()
    busy = threading.local()

    def race(params: dict[str, Any], **_: Any) -> None:
        if getattr(busy, "inside", False):
            return
        first = next((u for u in updates(params) if "reminder_id" in u["Key"]), None)
        if first is None:  # a batch's or a customer's counters only
            return
        rid = first["Key"]["reminder_id"]["S"]
        if rid in competitor:  # the scheduler settling the competitor's stale claim: leave it be
            return
        if is_claim(params):
            seen["claims"] += 1
            if seen["claims"] % 5 == 1:
                competitor.add(rid)
                now = clock.now()
                stale = clock.iso(now, plus_seconds=settings.worker_timeout_seconds)
                dynamodb.update_item(
                    TableName=first["TableName"], Key=first["Key"],
                    UpdateExpression="SET #s = :s, #c = :c, claimed_at = :at, pending_at = :stale",
                    ExpressionAttributeNames={"#s": "status", "#c": "claim"},
                    ExpressionAttributeValues={":s": {"S": "sending"}, ":c": {"S": "clm_competitor"},
                                               ":at": {"S": clock.iso(now)},
                                               ":stale": {"S": stale}})
        elif is_record(params):
            seen["records"] += 1
            if seen["records"] % 4 == 1:
                current = Reminder.get(first["Key"]["tenant_id"]["S"], rid)
                if current.status == "sending":
                    swept.add(rid)
                    busy.inside = True
                    try:
                        scheduler._finish(current, "unknown", "The claim went stale.",
                                          Reminder.claim == current.claim)
                    finally:
                        busy.inside = False

    with Hooks() as hooks:
        hooks.on(transaction_client(), "before-parameter-build.dynamodb.TransactWriteItems", race)
        settle(tenant, drain_once)

    assert len(competitor) >= 3 and len(swept) >= 5, (len(competitor), len(swept))
    reminders = check(tenant, batch_id, since, emailed=set(batch_reminders(tenant.api, batch_id)) - competitor,
                      expected_status=dict.fromkeys(competitor, "unknown"))
    assert all(reminders[rid]["status"] == "sent" for rid in swept)
