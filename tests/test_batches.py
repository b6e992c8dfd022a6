"""Bulk reminders ("Gửi mail nhắc nợ nhiều khách hàng"): create at once, expand in the worker, count, close."""

from __future__ import annotations

import email
from collections import Counter
from datetime import timedelta
from email import policy
from typing import Any
from unittest import mock

import pytest
from freezegun import freeze_time

from chalicelib.adapters import aws, queue
from chalicelib.domain.schemas.customers import CustomerIn
from chalicelib.domain.schemas.invoices import InvoiceIn
from chalicelib.services import customers as customer_service
from chalicelib.services import invoices as invoice_service
from chalicelib.services import scheduler
from tests import factories, worker
from tests.conftest import dynamodb_transactions_like_aws

NOW = "2026-12-04T03:00:00Z"
ACCOUNT = {"bank_bin": "970436", "account_number": "0071000123456", "account_name": "Công ty TNHH Minh Anh"}


@pytest.fixture
def app(client):
    from app import app as chalice_app

    return chalice_app


def run_scheduled_lambda() -> None:
    import app as app_module  # the module's handlers are the wrapped Lambda entry points

    app_module.scheduler({"version": "0", "id": "e1", "detail-type": "Scheduled Event", "source": "aws.events",
                          "account": "123456789012", "time": NOW, "region": "ap-southeast-1", "resources": [],
                          "detail": {}}, None)


def tenant_of(api: Any) -> str:
    return api.key.split(".")[1]


def owing(api: Any, **fields: Any) -> dict[str, Any]:
    customer = factories.customer(api, **fields)
    factories.invoice(api, customer["id"], due_date="2026-11-20", amount=2_000_000)
    return customer


def batch_reminders(api: Any, batch_id: str) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        path = f"/v1/reminder-batches/{batch_id}/reminders?limit=200" + (f"&cursor={cursor}" if cursor else "")
        response = api.get(path)
        assert response.status_code == 200, response.body
        items += response.data["items"]
        cursor = response.data["next_cursor"]
        if not cursor:
            return items


def parsed(sent: Any) -> Any:
    return email.message_from_bytes(sent.raw_data.encode(), policy=policy.default)


def text_of(sent: Any) -> str:
    return parsed(sent).get_body(("plain",)).get_content()


def recipients_of(sent: Any) -> list[str]:
    """The addresses in the To header of an email SES sent."""
    return sorted(address.addr_spec for address in parsed(sent)["To"].addresses)


def counts(view: dict[str, Any]) -> dict[str, Any]:
    return {name: view[name] for name in ("total", "queued", "sent", "failed", "skipped", "status")}


@freeze_time(NOW)
def test_batch_returns_at_once_then_worker_sends_counts_live_and_scheduler_closes_it(api, app):
    ready = [owing(api, emails=[f"ketoan{i}@khach{i}.vn"]) for i in range(3)]
    nothing_due = factories.customer(api)
    paused = owing(api, reminders_paused=True)
    no_email = owing(api, emails=[])
    chosen = [c["id"] for c in [*ready, nothing_due, paused, no_email]]

    response = api.post("/v1/reminder-batches", {"customer_ids": chosen})

    assert response.status_code == 202, response.body
    assert response.data["total"] == 6 and response.data["status"] == "running"
    batch_id = response.data["id"]
    assert worker.sent_emails() == []  # the API only stored the batch and one message
    assert counts(api.get(f"/v1/reminder-batches/{batch_id}").data) == {
        "total": 6, "queued": 6, "sent": 0, "failed": 0, "skipped": 0, "status": "running"}

    worker.drain(app)

    assert sorted(r for s in worker.sent_emails() for r in recipients_of(s)) == sorted(
        c["emails"][0] for c in ready)
    assert counts(api.get(f"/v1/reminder-batches/{batch_id}").data) == {
        "total": 6, "queued": 0, "sent": 3, "failed": 0, "skipped": 3, "status": "running"}
    run_scheduled_lambda()
    done = api.get(f"/v1/reminder-batches/{batch_id}").data
    assert counts(done) == {"total": 6, "queued": 0, "sent": 3, "failed": 0, "skipped": 3, "status": "done"}
    assert done["finished_at"] == NOW

    by_customer = {r["customer_id"]: r for r in batch_reminders(api, batch_id)}
    assert set(by_customer) == set(chosen)
    assert all(by_customer[c["id"]]["status"] == "sent" for c in ready)
    assert all(r["batch_id"] == batch_id for r in by_customer.values())
    assert by_customer[nothing_due["id"]]["status"] == "skipped"
    assert "outstanding" in by_customer[nothing_due["id"]]["last_error"]
    assert by_customer[paused["id"]]["status"] == "skipped"
    assert "paused" in by_customer[paused["id"]]["last_error"]
    assert by_customer[no_email["id"]]["status"] == "skipped"
    assert "email" in by_customer[no_email["id"]]["last_error"]
    history = api.get(f"/v1/customers/{ready[0]['id']}/reminders").data["items"]
    assert [h["batch_id"] for h in history] == [batch_id]


@freeze_time(NOW)
def test_overrides_set_amount_bank_account_and_extra_recipients_per_customer(api, app):
    account = api.post("/v1/bank-accounts", ACCOUNT)
    assert account.status_code == 201, account.body
    special = owing(api, emails=["ketoan@hoanglong.vn"])
    plain = owing(api, emails=["ketoan@binhminh.vn"])
    overrides = {special["id"]: {"amount": 500_000, "bank_account_id": account.data["id"],
                                 "extra_recipients": ["giamdoc@hoanglong.vn"]}}

    response = api.post("/v1/reminder-batches", {"customer_ids": [special["id"], plain["id"]],
                                                 "overrides": overrides})
    assert response.status_code == 202, response.body
    worker.drain(app)

    sent = {tuple(recipients_of(s)): s for s in worker.sent_emails()}
    assert set(sent) == {("giamdoc@hoanglong.vn", "ketoan@hoanglong.vn"), ("ketoan@binhminh.vn",)}
    special_text = text_of(sent[("giamdoc@hoanglong.vn", "ketoan@hoanglong.vn")])
    assert "500.000 ₫" in special_text and "0071000123456" in special_text
    plain_text = text_of(sent[("ketoan@binhminh.vn",)])
    assert "2.000.000 ₫" in plain_text and "500.000 ₫" not in plain_text
    by_customer = {r["customer_id"]: r for r in batch_reminders(api, response.data["id"])}
    assert by_customer[special["id"]]["amount"] == 500_000
    assert by_customer[plain["id"]]["amount"] == 2_000_000


@freeze_time(NOW)
def test_all_overdue_reminds_only_customers_with_something_overdue(api, app):
    late = owing(api)
    not_yet = factories.customer(api)
    factories.invoice(api, not_yet["id"], due_date="2026-12-20")
    due_today = factories.customer(api)
    factories.invoice(api, due_today["id"], due_date="2026-12-04")
    factories.customer(api)  # nothing open

    response = api.post("/v1/reminder-batches", {"all": True, "status": "overdue"})
    assert response.status_code == 202, response.body
    worker.drain(app)
    scheduler.run()

    assert [recipients_of(s) for s in worker.sent_emails()] == [late["emails"]]
    assert counts(api.get(f"/v1/reminder-batches/{response.data['id']}").data) == {
        "total": 1, "queued": 0, "sent": 1, "failed": 0, "skipped": 0, "status": "done"}


@freeze_time(NOW)
def test_all_open_reminds_every_customer_with_something_open_and_skips_paused_ones(api, app):
    late = owing(api)
    not_yet = factories.customer(api)
    factories.invoice(api, not_yet["id"], due_date="2026-12-20")
    paused = owing(api, reminders_paused=True)
    factories.customer(api)  # nothing open: not part of the batch at all

    response = api.post("/v1/reminder-batches", {"all": True})
    worker.drain(app)
    scheduler.run()

    assert sorted(r for s in worker.sent_emails() for r in recipients_of(s)) == sorted(
        [*late["emails"], *not_yet["emails"]])
    assert counts(api.get(f"/v1/reminder-batches/{response.data['id']}").data) == {
        "total": 3, "queued": 0, "sent": 2, "failed": 0, "skipped": 1, "status": "done"}
    skipped = [r for r in batch_reminders(api, response.data["id"]) if r["status"] == "skipped"]
    assert [r["customer_id"] for r in skipped] == [paused["id"]]


@freeze_time(NOW)
def test_creating_an_all_batch_reads_no_customers(api, app):
    for _ in range(3):
        owing(api)
    from moto.dynamodb import models as ddb

    touched: list[str] = []
    for name in ("query", "scan"):
        real = getattr(ddb.DynamoDBBackend, name)

        def spy(self: Any, table_name: str, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
            touched.append(table_name)
            return _real(self, table_name, *args, **kwargs)

        mock.patch.object(ddb.DynamoDBBackend, name, spy).start()
    try:
        response = api.post("/v1/reminder-batches", {"all": True})
    finally:
        mock.patch.stopall()
    assert response.status_code == 202, response.body
    assert not [t for t in touched if "customers" in t]  # bounded work: the worker walks the customers
    worker.drain(app)
    scheduler.run()
    assert counts(api.get(f"/v1/reminder-batches/{response.data['id']}").data) == {
        "total": 3, "queued": 0, "sent": 3, "failed": 0, "skipped": 0, "status": "done"}


@freeze_time(NOW)
@pytest.mark.parametrize("body, field", [
    ({}, None),
    ({"all": True, "customer_ids": ["cus_a"]}, None),
    ({"customer_ids": []}, None),
    ({"customer_ids": ["cus_a", "cus_a"]}, None),
    ({"customer_ids": ["cus_a"], "overrides": {"cus_b": {"amount": 1000}}}, None),
    ({"all": True, "status": "paid"}, "status"),
    ({"customer_ids": ["cus_a"], "template_id": "tpl_nope"}, "template_id"),
    ({"customer_ids": ["cus_a"], "sender": "someone@elsewhere.vn"}, "sender"),
    ({"customer_ids": ["cus_a"], "overrides": {"cus_a": {"bank_account_id": "bank_nope"}}},
     "overrides.cus_a.bank_account_id"),
    ({"customer_ids": ["cus_a"], "overrides": {"cus_a": {"amount": 0}}}, None),
    ({"customer_ids": ["cus_a"], "overrides": {"cus_a": {"extra_recipients": ["not-an-email"]}}}, None),
])
def test_batch_refuses_invalid_requests_and_queues_nothing(api, app, body, field):
    response = api.post("/v1/reminder-batches", body)
    assert response.status_code == 422, response.body
    assert response.headers["Content-Type"].startswith("application/problem+json")
    if field:
        assert field in [e["field"] for e in response.data["errors"]]
    assert worker.receive() == []


@freeze_time(NOW)
def test_idempotency_key_creates_one_batch_and_one_round_of_emails(api, app):
    customer = owing(api)
    body = {"customer_ids": [customer["id"]]}
    first = api.post("/v1/reminder-batches", body, headers={"Idempotency-Key": "batch-1"})
    again = api.post("/v1/reminder-batches", body, headers={"Idempotency-Key": "batch-1"})
    assert first.status_code == again.status_code == 202
    assert first.data == again.data
    other_body = api.post("/v1/reminder-batches", {"all": True}, headers={"Idempotency-Key": "batch-1"})
    assert other_body.status_code == 422
    worker.drain(app)
    assert len(worker.sent_emails()) == 1


@freeze_time(NOW)
def test_another_tenant_cannot_read_a_batch_nor_remind_its_customers(api, other, app):
    mine = owing(api)
    batch = api.post("/v1/reminder-batches", {"customer_ids": [mine["id"]]}).data
    assert other.get(f"/v1/reminder-batches/{batch['id']}").status_code == 404
    assert other.get(f"/v1/reminder-batches/{batch['id']}/reminders").status_code == 404

    theirs = owing(other)
    foreign = other.post("/v1/reminder-batches", {"customer_ids": [mine["id"], theirs["id"]]})
    assert foreign.status_code == 202, foreign.body
    worker.drain(app)
    scheduler.run()

    assert sorted(r for s in worker.sent_emails() for r in recipients_of(s)) == sorted(
        [*mine["emails"], *theirs["emails"]])  # once each: from its own tenant's batch
    foreign_reminders = {r["customer_id"]: r for r in batch_reminders(other, foreign.data["id"])}
    assert foreign_reminders[mine["id"]]["status"] == "skipped"
    assert foreign_reminders[mine["id"]]["last_error"] == "No such customer."
    assert foreign_reminders[theirs["id"]]["status"] == "sent"
    assert counts(other.get(f"/v1/reminder-batches/{foreign.data['id']}").data) == {
        "total": 2, "queued": 0, "sent": 1, "failed": 0, "skipped": 1, "status": "done"}
    assert api.get(f"/v1/customers/{mine['id']}/reminders").data["items"][0]["batch_id"] == batch["id"]
    assert len(api.get(f"/v1/customers/{mine['id']}/reminders").data["items"]) == 1


@freeze_time(NOW)
@pytest.mark.parametrize("body", [{"all": True}, "ids"])
def test_expand_message_delivered_twice_writes_and_sends_each_reminder_once(api, app, body):
    chosen = [owing(api) for _ in range(3)] + [factories.customer(api)]
    body = {"customer_ids": [c["id"] for c in chosen]} if body == "ids" else body
    batch = api.post("/v1/reminder-batches", body).data
    expand = worker.receive()
    assert len(expand) == 1
    worker.deliver(app, expand, delete=False)
    worker.deliver(app, expand)  # SQS delivers the same message again
    worker.drain(app)
    scheduler.run()

    assert len(worker.sent_emails()) == 3
    reminders = batch_reminders(api, batch["id"])
    assert len(reminders) == len(body.get("customer_ids") or [1, 2, 3])
    assert len({r["customer_id"] for r in reminders}) == len(reminders)
    view = api.get(f"/v1/reminder-batches/{batch['id']}").data
    assert (view["total"], view["sent"], view["queued"], view["status"]) == (len(reminders), 3, 0, "done")
    assert view["skipped"] == len(reminders) - 3


@freeze_time(NOW)
def test_invoices_paid_after_the_batch_was_created_skip_that_customer(api, app):
    customer = factories.customer(api)
    invoice = factories.invoice(api, customer["id"], due_date="2026-11-20", amount=1_000_000)
    batch = api.post("/v1/reminder-batches", {"customer_ids": [customer["id"]]}).data
    worker.deliver(app, worker.receive())  # expanded: the reminder is queued
    factories.pay(api, invoice["id"], 1_000_000)
    worker.drain(app)
    scheduler.run()
    assert worker.sent_emails() == []
    assert counts(api.get(f"/v1/reminder-batches/{batch['id']}").data) == {
        "total": 1, "queued": 0, "sent": 0, "failed": 0, "skipped": 1, "status": "done"}


@freeze_time(NOW)
def test_batch_of_many_unknown_ids_is_walked_page_by_page_and_all_skipped(api, app):
    ids = [f"cus_unknown{i:05d}" for i in range(620)]
    with dynamodb_transactions_like_aws():
        response = api.post("/v1/reminder-batches", {"customer_ids": ids})
        assert response.status_code == 202, response.body
        assert worker.drain(app) == 3  # one expand message per page of 250, nothing to send
        scheduler.run()
        assert counts(api.get(f"/v1/reminder-batches/{response.data['id']}").data) == {
            "total": 620, "queued": 0, "sent": 0, "failed": 0, "skipped": 620, "status": "done"}
        listed = batch_reminders(api, response.data["id"])
    assert sorted(r["customer_id"] for r in listed) == ids
    assert worker.sent_emails() == []


@freeze_time(NOW)
def test_every_expand_message_delivered_twice_still_walks_each_page_once(api, app):
    ids = [f"cus_unknown{i:05d}" for i in range(620)]
    with dynamodb_transactions_like_aws():
        batch_id = api.post("/v1/reminder-batches", {"customer_ids": ids}).data["id"]
        expand_deliveries = 0
        while messages := worker.receive():
            expand_deliveries += len(messages)
            worker.deliver(app, messages, delete=False)  # SQS hands each one out again
            worker.deliver(app, messages)
        scheduler.run()
        view = counts(api.get(f"/v1/reminder-batches/{batch_id}").data)
    assert expand_deliveries == 3  # pages 0, 250 and 500: the duplicates queued no page of their own
    assert view == {"total": 620, "queued": 0, "sent": 0, "failed": 0, "skipped": 620, "status": "done"}


def test_an_expansion_whose_next_page_message_was_lost_is_resumed_by_the_scheduler(api, app):
    ids = [f"cus_unknown{i:05d}" for i in range(620)]
    with freeze_time(NOW) as frozen, dynamodb_transactions_like_aws():
        batch_id = api.post("/v1/reminder-batches", {"customer_ids": ids}).data["id"]
        worker.deliver(app, worker.receive())  # page 0, which queues page 250 ...
        aws.client("sqs").purge_queue(QueueUrl=queue.queue_url())  # ... and that message is lost
        scheduler.run()
        assert worker.receive() == []  # not stalled yet
        frozen.tick(timedelta(minutes=16))
        scheduler.run()
        worker.drain(app)
        scheduler.run()
        view = counts(api.get(f"/v1/reminder-batches/{batch_id}").data)
    assert view == {"total": 620, "queued": 0, "sent": 0, "failed": 0, "skipped": 620, "status": "done"}


@freeze_time(NOW)
def test_ten_thousand_customer_ids_with_overrides_are_accepted_in_one_request(api, app):
    ids = [f"cus_{i:026d}" for i in range(10_000)]
    overrides = {cid: {"extra_recipients": ["giamdoc@khachhang.vn"]} for cid in ids[:4_000]}
    response = api.post("/v1/reminder-batches", {"customer_ids": ids, "overrides": overrides})
    assert response.status_code == 202, response.body
    assert response.data["total"] == 10_000
    assert len(worker.receive()) == 1


def make_owing_customers(tenant_id: str, n: int, *, due_date: str) -> list[str]:
    made = []
    for i in range(n):
        customer = customer_service.create(tenant_id, CustomerIn(
            code=f"B{due_date[5:7]}{i:05d}", name=f"Công ty Khách hàng {i}", emails=[f"kt{i}.{due_date}@khach.vn"]))
        invoice_service.create(tenant_id, InvoiceIn(
            customer_id=customer.customer_id, number=f"HD{due_date[5:7]}{i:06d}", issue_date="2026-10-01",
            due_date=due_date, amount=1_000_000 + i))
        made.append(customer.customer_id)
    return made


@freeze_time(NOW)
def test_batch_of_two_thousand_overdue_customers_sends_each_one_email(api, app):
    tenant_id = tenant_of(api)
    with dynamodb_transactions_like_aws():
        overdue = make_owing_customers(tenant_id, 2_000, due_date="2026-11-15")
        not_due = make_owing_customers(tenant_id, 5, due_date="2026-12-24")

        response = api.post("/v1/reminder-batches", {"all": True, "status": "overdue"})
        assert response.status_code == 202, response.body
        batch_id = response.data["id"]
        worker.drain(app)
        scheduler.run()
        view = api.get(f"/v1/reminder-batches/{batch_id}").data
        listed = batch_reminders(api, batch_id)
        sent = worker.sent_emails()

    assert counts(view) == {"total": 2_000, "queued": 0, "sent": 2_000, "failed": 0, "skipped": 0,
                            "status": "done"}
    assert len(sent) == 2_000
    per_address = Counter(r for s in sent for r in recipients_of(s))
    assert len(per_address) == 2_000 and set(per_address.values()) == {1}
    assert not [a for a in per_address if "2026-12-24" in a]
    assert len(listed) == 2_000
    assert {r["customer_id"] for r in listed} == set(overdue)
    assert not set(not_due) & {r["customer_id"] for r in listed}
    assert {r["status"] for r in listed} == {"sent"}
