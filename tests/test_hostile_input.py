"""A corpus of hostile input: each is refused with a clear 4xx problem+json and changes nothing, or, where
the value is legitimate data (a customer named ``<script>``), it is carried safely: escaped in the email
html and on the pay page, and never able to add a header to an email."""

from __future__ import annotations

import email
import json
from email import policy
from typing import Any

import pytest
from freezegun import freeze_time

from chalicelib.services import pay_links
from tests import factories, worker

NOW = "2026-12-04T03:00:00Z"
PROBLEM = "application/problem+json"
SCRIPT = '<script>alert("xss")</script><img src=x onerror=alert(1)>'


def refused(response: Any, *statuses: int) -> dict[str, Any]:
    assert response.status_code in statuses, (response.status_code, response.body[:500])
    assert response.headers["Content-Type"] == PROBLEM
    body = json.loads(response.body)
    assert body["status"] == response.status_code and body["title"] and body["detail"]
    return body


def state(api: Any) -> Any:
    return (api.get("/v1/receivables/summary").data, api.get("/v1/receivables?status=all&limit=200").data,
            api.get("/v1/templates?limit=200").data)


@pytest.fixture
def app(client):
    from app import app as chalice_app

    return chalice_app


SANDBOX_ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ self.__init__.__globals__.__builtins__ }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ customer.__class__ }}",
    "{{ (1).__class__.__base__.__subclasses__() }}",
    "{% set x = namespace() %}{{ x.__init__.__globals__ }}",
    "{% include '/etc/passwd' %}",
    "{% import 'os' as os %}",
    "{{ lipsum.__globals__['os'] }}",
]


@pytest.mark.parametrize("source", SANDBOX_ESCAPES)
def test_template_that_reaches_outside_the_sandbox_is_refused_and_changes_nothing(api, source):
    before = state(api)
    body = refused(api.post("/v1/templates", {"name": "Độc", "subject": "Nhắc nợ", "html": source,
                                              "text": "x", "locale": "vi"}), 422)
    assert "html" in json.dumps(body["errors"])
    assert state(api) == before


RESOURCE_BOMBS = ["{{ 'a' * 100000000 }}", "{% for i in range(100000000) %}x{% endfor %}",
                  "{{ '%s' * 9999999 }}", "{{ 9 ** 64 ** 64 ** 64 }}",
                  # Before rendering.py bounded chained powers this pinned a worker's CPU for minutes.
                  "{% set x = 9 ** 64 ** 64 ** 64 ** 64 %}{{ x > 1 }}"]


@freeze_time(NOW)
@pytest.mark.parametrize("source", RESOURCE_BOMBS)
def test_a_template_that_would_eat_memory_or_time_is_refused_when_saved_or_rendered(api, source):
    customer = factories.customer(api)
    factories.invoice(api, customer["id"])
    created = api.post("/v1/templates", {"name": "Bom", "subject": "Nhắc nợ", "html": source, "text": "x",
                                         "locale": "vi"})
    if created.status_code != 201:
        refused(created, 422)
        return
    preview = api.post(f"/v1/customers/{customer['id']}/reminders/preview", {"template_id": created.data["id"]})
    refused(preview, 422)


@freeze_time(NOW)
@pytest.mark.parametrize("field", ["name", "contact_name", "address", "note"])
def test_html_in_customer_fields_is_escaped_in_the_email_and_on_the_pay_page(api, app, field):
    customer = factories.customer(api, **{field: SCRIPT})
    factories.invoice(api, customer["id"], due_date="2026-11-20", amount=1_000_000)
    template = api.post("/v1/templates", {
        "name": "Mọi trường", "subject": "Nhắc nợ {{ customer.name }}", "locale": "vi",
        "html": "<p>{{ customer.name }} {{ customer.contact_name }} {{ customer.address }} {{ customer.note }} "
                "{{ customer.code }}</p>",
        "text": "{{ customer.name }}"})
    assert template.status_code == 201, template.body
    queued = api.post(f"/v1/customers/{customer['id']}/reminders", {"template_id": template.data["id"]})
    assert queued.status_code == 202, queued.body
    worker.drain(app)
    reminder = api.get(f"/v1/reminders/{queued.data['id']}").data
    assert reminder["status"] == "sent", reminder
    [sent] = worker.sent_emails()
    html = email.message_from_string(sent.raw_data, policy=policy.default).get_body(("html",)).get_content()
    for raw in ("<script>", "<img src=x"):
        assert raw not in html and raw not in reminder["html"]
    assert "&lt;script&gt;" in html
    token = pay_links.token_for(api.key.split(".")[1], reminder["id"])
    page = api.client.http.get(f"/pay/{token}")  # an html page, not JSON
    assert page.status_code == 200
    text = page.body.decode()
    for raw in ("<script>alert", "<img src=x"):
        assert raw not in text
    if field == "name":
        assert "&lt;script&gt;" in text


CRLF_NAMES = ["Công ty A\r\nBcc: attacker@evil.vn", "Công ty A\nSubject: pwned", "Công ty A\rX-Injected: 1",
              "Công ty A\u2028Bcc: x@evil.vn"]


def test_html_in_a_customer_code_is_refused(api):
    refused(api.post("/v1/customers", {"code": "<b>KH</b>", "name": "A", "emails": ["a@b.vn"]}), 422)


@freeze_time(NOW)
@pytest.mark.parametrize("name", CRLF_NAMES)
def test_cr_lf_in_a_name_or_subject_never_adds_an_email_header(api, app, name):
    response = api.post("/v1/customers", {"code": "KH-CRLF", "name": name, "emails": ["kt@khach.vn"]})
    if response.status_code != 201:  # refusing such a name outright is fine too
        refused(response, 422)
        return
    factories.invoice(api, response.data["id"], due_date="2026-11-20")
    template = api.post("/v1/templates", {"name": "CRLF", "subject": "Nhắc {{ customer.name }}\r\nBcc: b@evil.vn",
                                          "html": "<p>{{ customer.name }}</p>", "text": "x", "locale": "vi"})
    if template.status_code != 201:
        refused(template, 422)
        template_id = None
    else:
        template_id = template.data["id"]
    queued = api.post(f"/v1/customers/{response.data['id']}/reminders",
                      {"template_id": template_id} if template_id else {})
    assert queued.status_code == 202, queued.body
    worker.drain(app)
    [sent] = worker.sent_emails()
    message = email.message_from_string(sent.raw_data, policy=policy.default)
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert "\n" not in str(message["Subject"]) and "\r" not in str(message["Subject"])
    assert "pwned" not in (message["Subject"] or "") or "Subject: pwned" in str(message["Subject"]).replace("\n", "")
    assert len(message.get_all("Subject")) == 1
    assert api.get(f"/v1/reminders/{queued.data['id']}").data["status"] == "sent"


def test_a_ten_megabyte_body_is_413_and_creates_nothing(api):
    before = state(api)
    body = json.dumps({"code": "KH1", "name": "A", "note": "x" * (10 * 1024 * 1024)})
    refused(api.post("/v1/customers", raw=body), 413)
    refused(api.post("/v1/reminder-batches", raw=body), 413)
    assert state(api) == before


@pytest.mark.parametrize("path", ["/v1/customers", "/v1/invoices", "/v1/reminder-batches", "/v1/templates",
                                  "/v1/bank-accounts"])
def test_deeply_nested_json_and_invalid_utf8_are_400_everywhere(api, path):
    before = state(api)
    for raw in ("[" * 50_000 + "]" * 50_000, '{"a":' * 20_000 + "1" + "}" * 20_000):
        refused(api.post(path, raw=raw), 400, 422)
    body = refused(api.post(path, raw=b'{"name": "C\xf4ng ty \xff"}'), 400)
    assert "UTF-8" in body["detail"]
    assert state(api) == before


BAD_AMOUNTS = [-1, 0, -(10**15), 10**16, 10**30, 1.5, 1e3, "1000", True, None, [1000], {"v": 1}]


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
def test_negative_huge_float_and_non_integer_amounts_are_422_and_change_nothing(api, amount):
    customer = factories.customer(api)
    invoice = factories.invoice(api, customer["id"], amount=1_000_000)
    before = (state(api), api.get(f"/v1/invoices/{invoice['id']}").data)
    refused(api.post("/v1/invoices", {"customer_id": customer["id"], "number": "HD-BAD", "issue_date": "2026-11-01",
                                      "due_date": "2026-12-01", "amount": amount}), 422)
    refused(api.post(f"/v1/invoices/{invoice['id']}/payments", {"amount": amount, "paid_on": "2026-11-02"}), 422)
    refused(api.patch(f"/v1/invoices/{invoice['id']}", {"amount": amount}), 422)
    assert (state(api), api.get(f"/v1/invoices/{invoice['id']}").data) == before


def test_nan_and_infinity_amounts_are_400(api):
    customer = factories.customer(api)
    for constant in ("NaN", "Infinity", "-Infinity"):
        raw = json.dumps({"customer_id": customer["id"], "number": "HD-N", "issue_date": "2026-11-01",
                          "due_date": "2026-12-01", "amount": 1}).replace('"amount": 1', f'"amount": {constant}')
        refused(api.post("/v1/invoices", raw=raw), 400)


BAD_DATES = ["2026-02-30", "2026-13-01", "2026-00-10", "2025-02-29", "04/12/2026", "2026-1-5", "",
             "2026-12-04T00:00:00Z", "２０２６-01-01", 20261201]


@pytest.mark.parametrize("value", BAD_DATES, ids=repr)
def test_impossible_or_misformatted_dates_are_422_naming_the_field(api, value):
    customer = factories.customer(api)
    before = state(api)
    body = refused(api.post("/v1/invoices", {"customer_id": customer["id"], "number": "HD-D", "issue_date": value,
                                             "due_date": "2026-12-01", "amount": 5}), 422)
    assert "issue_date" in [e["field"] for e in body["errors"]]
    invoice = factories.invoice(api, customer["id"])
    body = refused(api.post(f"/v1/invoices/{invoice['id']}/payments", {"amount": 5, "paid_on": value}), 422)
    assert "paid_on" in [e["field"] for e in body["errors"]]
    assert state(api)[2] == before[2]
