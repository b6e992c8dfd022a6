"""Reminding one customer: preview, copy text, send through the worker, manual log, history, review."""

from __future__ import annotations

import email
from email import policy

import pytest
from freezegun import freeze_time

from tests import factories, worker

NOW = "2026-12-04T03:00:00Z"


@pytest.fixture
def app(client):
    from app import app as chalice_app

    return chalice_app


@pytest.fixture
def owing(api):
    """A customer with two open invoices (one overdue) and one paid invoice."""
    with freeze_time(NOW):
        customer = factories.customer(api, name="Công ty TNHH Hoàng Long", emails=["ketoan@hoanglong.vn"])
        late = factories.invoice(api, customer["id"], number="HD-0001", due_date="2026-11-20", amount=2_000_000)
        soon = factories.invoice(api, customer["id"], number="HD-0002", due_date="2026-12-20", amount=1_500_000)
        paid = factories.invoice(api, customer["id"], number="HD-0003", due_date="2026-11-01", amount=700_000)
        assert factories.pay(api, paid["id"], 700_000).status_code == 201
    return {"customer": customer, "late": late, "soon": soon, "paid": paid}


@freeze_time(NOW)
def test_preview_defaults_to_every_open_invoice_their_outstanding_and_the_system_sender(api, owing):
    response = api.post(f"/v1/customers/{owing['customer']['id']}/reminders/preview", {})
    assert response.status_code == 200, response.body
    preview = response.data
    assert preview["amount"] == 3_500_000
    assert [i["number"] for i in preview["invoices"]] == ["HD-0001", "HD-0002"]
    assert "no-reply@nhacno.vn" in preview["from"]
    assert preview["to"] == ["ketoan@hoanglong.vn"]
    assert "3.500.000 ₫" in preview["html"] and "3.500.000 ₫" in preview["text"]
    assert "Hoàng Long" in preview["html"]
    assert "\n" not in preview["subject"]


@freeze_time(NOW)
def test_preview_escapes_customer_data_in_html(api):
    customer = factories.customer(api, name="<script>alert(1)</script> & Co")
    factories.invoice(api, customer["id"])
    preview = api.post(f"/v1/customers/{customer['id']}/reminders/preview", {}).data
    assert "<script>alert(1)</script>" not in preview["html"]
    assert "&lt;script&gt;" in preview["html"]


@freeze_time(NOW)
def test_preview_with_chosen_invoice_amount_and_extra_recipients(api, owing):
    body = {"invoice_ids": [owing["late"]["id"]], "amount": 500_000,
            "extra_recipients": ["giamdoc@hoanglong.vn", "KETOAN@hoanglong.vn"]}
    preview = api.post(f"/v1/customers/{owing['customer']['id']}/reminders/preview", body).data
    assert preview["amount"] == 500_000
    assert [i["number"] for i in preview["invoices"]] == ["HD-0001"]
    assert preview["to"] == ["ketoan@hoanglong.vn", "giamdoc@hoanglong.vn"]


@freeze_time(NOW)
@pytest.mark.parametrize("body, field", [
    ({"amount": 3_500_001}, "amount"),
    ({"amount": 0}, "amount"),
    ({"invoice_ids": ["inv_nope"]}, "invoice_ids"),
    ({"template_id": "tpl_nope"}, "template_id"),
    ({"sender": "someone@elsewhere.vn"}, "sender"),
    ({"bank_account_id": "bank_nope"}, "bank_account_id"),
    ({"extra_recipients": ["not-an-email"]}, "extra_recipients.0"),
])
def test_preview_refuses_bad_choices_naming_the_field(api, owing, body, field):
    response = api.post(f"/v1/customers/{owing['customer']['id']}/reminders/preview", body)
    assert response.status_code == 422, response.body
    assert field in [e["field"] for e in response.data["errors"]]


@freeze_time(NOW)
def test_paid_invoice_cannot_be_reminded(api, owing):
    response = api.post(f"/v1/customers/{owing['customer']['id']}/reminders/preview",
                        {"invoice_ids": [owing["paid"]["id"]]})
    assert response.status_code == 422


@freeze_time(NOW)
def test_customer_with_nothing_open_cannot_be_reminded(api):
    customer = factories.customer(api)
    response = api.post(f"/v1/customers/{customer['id']}/reminders", {})
    assert response.status_code == 409


@freeze_time(NOW)
def test_copy_text_is_short_plain_text_with_amount_invoices_and_memo(api, owing):
    response = api.post(f"/v1/customers/{owing['customer']['id']}/reminders/text", {})
    assert response.status_code == 200
    text = response.data["text"]
    assert "<" not in text
    assert "3.500.000 ₫" in text
    assert "HD-0001" in text and "HD-0002" in text
    assert "Nội dung CK:" in text
    assert len(text) < 1000


@freeze_time(NOW)
def test_send_queues_then_worker_sends_exactly_what_is_stored(api, owing, app):
    customer_id = owing["customer"]["id"]
    response = api.post(f"/v1/customers/{customer_id}/reminders", {})
    assert response.status_code == 202
    assert response.data["status"] == "queued"
    assert worker.sent_emails() == []  # the API never calls SES

    worker.drain(app)

    sent = worker.sent_emails()
    assert len(sent) == 1
    reminder = api.get(f"/v1/reminders/{response.data['id']}").data
    assert reminder["status"] == "sent"
    assert reminder["sent_at"] == NOW
    assert reminder["to"] == ["ketoan@hoanglong.vn"]
    assert reminder["amount"] == 3_500_000
    assert sorted(reminder["invoice_ids"]) == sorted([owing["late"]["id"], owing["soon"]["id"]])
    message = email.message_from_string(sent[0].raw_data, policy=policy.default)
    assert message["Subject"] == reminder["subject"]
    assert "Minh Anh" in message["From"]  # the company's name shows in From
    assert message.get_body(("html",)).get_content().strip() == reminder["html"].strip()
    assert message.get_body(("plain",)).get_content().strip() == reminder["text"].strip()

    row = api.get(f"/v1/customers/{customer_id}").data
    assert row["reminder_count"] == 1
    assert row["last_reminded_at"] == NOW


@freeze_time(NOW)
def test_second_delivery_of_same_message_sends_no_second_email(api, owing, app):
    api.post(f"/v1/customers/{owing['customer']['id']}/reminders", {})
    messages = worker.receive()
    worker.deliver(app, messages, delete=False)
    worker.deliver(app, messages)  # SQS delivers it again
    assert len(worker.sent_emails()) == 1


@freeze_time(NOW)
def test_invoices_paid_between_queueing_and_sending_skip_the_reminder(api, owing, app):
    response = api.post(f"/v1/customers/{owing['customer']['id']}/reminders",
                        {"invoice_ids": [owing["late"]["id"]]})
    factories.pay(api, owing["late"]["id"], 2_000_000)
    worker.drain(app)
    reminder = api.get(f"/v1/reminders/{response.data['id']}").data
    assert reminder["status"] == "skipped"
    assert "outstanding" in reminder["last_error"]
    assert worker.sent_emails() == []


@freeze_time(NOW)
def test_manual_reminder_shows_in_history_with_sent_ones_newest_first(api, owing, app):
    customer_id = owing["customer"]["id"]
    sent = api.post(f"/v1/customers/{customer_id}/reminders", {}).data
    worker.drain(app)
    manual = api.post(f"/v1/customers/{customer_id}/reminders/manual", {
        "reminded_on": "2026-12-03", "channel": "zalo", "invoice_ids": [owing["late"]["id"]],
        "amount": 2_000_000, "note": "Đã gọi Zalo cho chị Lan"})
    assert manual.status_code == 201, manual.body
    assert manual.data["status"] == "logged" and manual.data["kind"] == "manual"
    history = api.get(f"/v1/customers/{customer_id}/reminders").data["items"]
    assert [h["id"] for h in history] == [manual.data["id"], sent["id"]]
    assert history[0]["note"] == "Đã gọi Zalo cho chị Lan"
    assert api.get(f"/v1/customers/{customer_id}").data["reminder_count"] == 2


@freeze_time(NOW)
def test_manual_reminder_refuses_future_dates_and_foreign_invoices(api, owing, other):
    foreign_customer = factories.customer(other)
    foreign = factories.invoice(other, foreign_customer["id"])
    path = f"/v1/customers/{owing['customer']['id']}/reminders/manual"
    assert api.post(path, {"reminded_on": "2026-12-31", "channel": "sms"}).status_code == 422
    assert api.post(path, {"reminded_on": "2026-12-01", "channel": "fax"}).status_code == 422
    assert api.post(path, {"reminded_on": "2026-12-01", "channel": "sms",
                           "invoice_ids": [foreign["id"]]}).status_code == 422


@freeze_time(NOW)
def test_another_tenant_cannot_see_or_send_reminders(api, other, owing, app):
    customer_id = owing["customer"]["id"]
    sent = api.post(f"/v1/customers/{customer_id}/reminders", {}).data
    for method, path in [("POST", f"/v1/customers/{customer_id}/reminders/preview"),
                         ("POST", f"/v1/customers/{customer_id}/reminders/text"),
                         ("POST", f"/v1/customers/{customer_id}/reminders"),
                         ("POST", f"/v1/customers/{customer_id}/reminders/manual"),
                         ("GET", f"/v1/customers/{customer_id}/reminders"),
                         ("GET", f"/v1/reminders/{sent['id']}")]:
        body = {"reminded_on": "2026-12-01", "channel": "sms"} if path.endswith("manual") else {}
        response = other.request(method, path, body if method == "POST" else None)
        assert response.status_code == 404, (path, response.body)
    worker.drain(app)
    assert len(worker.sent_emails()) == 1


@freeze_time(NOW)
def test_idempotency_key_on_send_queues_one_reminder(api, owing, app):
    path = f"/v1/customers/{owing['customer']['id']}/reminders"
    first = api.post(path, {}, headers={"Idempotency-Key": "send-1"})
    again = api.post(path, {}, headers={"Idempotency-Key": "send-1"})
    assert first.data["id"] == again.data["id"]
    assert api.post(path, {"amount": 1000}, headers={"Idempotency-Key": "send-1"}).status_code == 422
    worker.drain(app)
    assert len(worker.sent_emails()) == 1


@freeze_time(NOW)
def test_customer_without_email_is_reminded_at_the_extra_recipients(api, app):
    customer = factories.customer(api, emails=[])
    factories.invoice(api, customer["id"])
    path = f"/v1/customers/{customer['id']}/reminders"
    assert api.post(path, {}).status_code == 422  # nobody to send to
    response = api.post(path, {"extra_recipients": ["chu.nha@example.vn"]})
    assert response.status_code == 202, response.body
    worker.drain(app)
    reminder = api.get(f"/v1/reminders/{response.data['id']}").data
    assert reminder["status"] == "sent", reminder["last_error"]
    assert reminder["to"] == ["chu.nha@example.vn"]
