"""Invoices ("Hóa đơn"): create, read, change, void; the customer's totals follow every change."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from tests import factories

PROBLEM = "application/problem+json"
pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with freeze_time("2026-12-04T03:00:00Z"):
        yield


def _fields(response) -> list[str]:
    assert response.headers["Content-Type"] == PROBLEM, response.body
    return [error["field"] for error in response.data.get("errors", [])]


def _totals(api, customer_id):
    customer = api.get(f"/v1/customers/{customer_id}").data
    return customer["outstanding"], customer["open_invoices"]


def test_created_invoice_reads_back_unpaid_and_moves_customer_totals(api):
    customer = factories.customer(api)
    body = {"customer_id": customer["id"], "number": "HD-2026/001", "order_ref": "ĐH-15", "issue_date": "2026-11-01",
            "due_date": "2026-12-01", "amount": 12_500_000, "description": "Tiền hàng tháng 11"}
    created = api.post("/v1/invoices", body)
    assert created.status_code == 201
    invoice = created.data
    assert {k: invoice[k] for k in body} == body
    assert invoice["amount_paid"] == 0 and invoice["outstanding"] == 12_500_000
    assert invoice["status"] == "unpaid" and invoice["payments"] == []
    assert invoice["overdue"] is True and invoice["days_overdue"] == 3
    assert api.get(f"/v1/invoices/{invoice['id']}").data == invoice
    assert _totals(api, customer["id"]) == (12_500_000, 1)


def test_duplicate_invoice_number_is_409_and_changes_nothing(api):
    customer = factories.customer(api)
    factories.invoice(api, customer["id"], number="HD-9", amount=100)
    again = api.post("/v1/invoices", {"customer_id": customer["id"], "number": "hd-9", "issue_date": "2026-11-01",
                                      "due_date": "2026-12-01", "amount": 999})
    assert again.status_code == 409
    assert again.headers["Content-Type"] == PROBLEM
    assert _totals(api, customer["id"]) == (100, 1)


@pytest.mark.parametrize("change, field", [
    ({"amount": "1500000"}, "amount"),
    ({"amount": 1500000.0}, "amount"),
    ({"amount": 1500000.5}, "amount"),
    ({"amount": True}, "amount"),
    ({"amount": 0}, "amount"),
    ({"amount": -5}, "amount"),
    ({"amount": 10**16}, "amount"),
    ({"due_date": "2026-02-30"}, "due_date"),
    ({"issue_date": "2026-13-01"}, "issue_date"),
    ({"issue_date": "01/11/2026"}, "issue_date"),
    ({"due_date": "2026-12-01T00:00:00Z"}, "due_date"),
    ({"number": ""}, "number"),
    ({"number": "HD 1"}, "number"),
    ({"customer_id": "cus_unknown"}, "customer_id"),
    ({"discount": 5}, "discount"),
    ({"order_ref": "dòng 1\ndòng 2"}, "order_ref"),
])
def test_invalid_invoice_is_422_naming_the_field(api, change, field):
    customer = factories.customer(api)
    body = {"customer_id": customer["id"], "number": "HD-1", "issue_date": "2026-11-01", "due_date": "2026-12-01",
            "amount": 1_500_000, **change}
    response = api.post("/v1/invoices", body)
    assert response.status_code == 422, response.body
    assert field in _fields(response)
    assert _totals(api, customer["id"]) == (0, 0)


def test_due_date_before_issue_date_is_422(api):
    customer = factories.customer(api)
    response = api.post("/v1/invoices", {"customer_id": customer["id"], "number": "HD-1", "issue_date": "2026-11-02",
                                         "due_date": "2026-11-01", "amount": 1})
    assert response.status_code == 422
    invoice = factories.invoice(api, customer["id"], issue_date="2026-11-01", due_date="2026-11-30")
    assert _fields(api.patch(f"/v1/invoices/{invoice['id']}", {"due_date": "2026-10-01"})) == ["due_date"]


def test_patch_amount_and_due_date_moves_customer_totals(api):
    customer = factories.customer(api)
    invoice = factories.invoice(api, customer["id"], due_date="2026-12-20", amount=1_000_000)
    response = api.patch(f"/v1/invoices/{invoice['id']}", {"amount": 1_200_000, "due_date": "2026-11-20",
                                                           "order_ref": "PO-7", "description": "Sửa"})
    assert response.status_code == 200
    assert response.data["amount"] == 1_200_000 and response.data["outstanding"] == 1_200_000
    assert response.data["due_date"] == "2026-11-20" and response.data["days_overdue"] == 14
    assert response.data["order_ref"] == "PO-7" and response.data["description"] == "Sửa"
    customer_now = api.get(f"/v1/customers/{customer['id']}").data
    assert customer_now["outstanding"] == 1_200_000
    assert customer_now["oldest_due_date"] == "2026-11-20"
    assert customer_now["aging"]["d1_30"] == 1_200_000 and customer_now["aging"]["current"] == 0


def test_patch_amount_below_amount_paid_is_409(api):
    customer = factories.customer(api)
    invoice = factories.invoice(api, customer["id"], amount=1_000_000)
    factories.pay(api, invoice["id"], 600_000)
    response = api.patch(f"/v1/invoices/{invoice['id']}", {"amount": 599_999})
    assert response.status_code == 409
    assert response.headers["Content-Type"] == PROBLEM
    assert api.get(f"/v1/invoices/{invoice['id']}").data["amount"] == 1_000_000
    settled = api.patch(f"/v1/invoices/{invoice['id']}", {"amount": 600_000})
    assert settled.data["status"] == "paid" and settled.data["outstanding"] == 0
    assert _totals(api, customer["id"]) == (0, 0)
    reopened = api.patch(f"/v1/invoices/{invoice['id']}", {"amount": 700_000})
    assert reopened.data["status"] == "partially_paid"
    assert _totals(api, customer["id"]) == (100_000, 1)


def test_patch_refuses_unknown_fields_nulls_and_bad_types(api):
    customer = factories.customer(api)
    invoice = factories.invoice(api, customer["id"])
    assert _fields(api.patch(f"/v1/invoices/{invoice['id']}", {"number": "HD-NEW"})) == ["number"]
    assert _fields(api.patch(f"/v1/invoices/{invoice['id']}", {"amount": None})) == ["amount"]
    assert _fields(api.patch(f"/v1/invoices/{invoice['id']}", {"amount": "5"})) == ["amount"]


def test_void_invoice_takes_it_out_of_the_customer_totals(api):
    customer = factories.customer(api)
    keep = factories.invoice(api, customer["id"], amount=300)
    drop = factories.invoice(api, customer["id"], amount=700)
    response = api.post(f"/v1/invoices/{drop['id']}/void")
    assert response.status_code == 200
    assert response.data["status"] == "void" and response.data["outstanding"] == 0
    assert response.data["overdue"] is False and response.data["days_overdue"] == 0
    assert _totals(api, customer["id"]) == (300, 1)
    assert keep["id"] in [i["id"] for i in api.get(f"/v1/customers/{customer['id']}/invoices?status=open")
                          .data["items"]]


def test_void_twice_or_with_payments_is_409(api):
    customer = factories.customer(api)
    paid = factories.invoice(api, customer["id"], amount=1000)
    factories.pay(api, paid["id"], 1)
    refused = api.post(f"/v1/invoices/{paid['id']}/void")
    assert refused.status_code == 409
    assert api.get(f"/v1/invoices/{paid['id']}").data["status"] == "partially_paid"
    other = factories.invoice(api, customer["id"], amount=5)
    assert api.post(f"/v1/invoices/{other['id']}/void").status_code == 200
    assert api.post(f"/v1/invoices/{other['id']}/void").status_code == 409
    assert api.patch(f"/v1/invoices/{other['id']}", {"amount": 9}).status_code == 409
    assert _totals(api, customer["id"]) == (999, 1)


@pytest.mark.parametrize("method, path", [("get", ""), ("patch", ""), ("post", "/void"), ("post", "/payments")])
def test_unknown_invoice_is_404(api, method, path):
    body = {"amount": 1, "paid_on": "2026-12-01"} if path == "/payments" else ({"amount": 5} if method == "patch"
                                                                                else None)
    response = api.request(method.upper(), f"/v1/invoices/inv_nope{path}", body)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == PROBLEM


def test_create_invoice_with_idempotency_key_creates_once(api):
    customer = factories.customer(api)
    body = {"customer_id": customer["id"], "number": "HD-1", "issue_date": "2026-11-01", "due_date": "2026-12-01",
            "amount": 1_000}
    first = api.post("/v1/invoices", body, headers={"Idempotency-Key": "inv-1"})
    second = api.post("/v1/invoices", body, headers={"Idempotency-Key": "inv-1"})
    assert first.status_code == second.status_code == 201
    assert second.data == first.data and second.headers["Idempotency-Replayed"] == "true"
    assert _totals(api, customer["id"]) == (1_000, 1)
    changed = api.post("/v1/invoices", {**body, "amount": 2_000}, headers={"Idempotency-Key": "inv-1"})
    assert changed.status_code == 422
    assert _totals(api, customer["id"]) == (1_000, 1)


def test_overlong_idempotency_key_is_422(api):
    response = api.post("/v1/customers", {"code": "KH1", "name": "A"}, headers={"Idempotency-Key": "k" * 256})
    assert response.status_code == 422
    assert _fields(response) == ["Idempotency-Key"]
