"""Payments: partial, full, refused; and 50 concurrent payments on one invoice never overdraw or get lost."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from chalicelib.domain import errors
from chalicelib.domain.schemas.invoices import PaymentIn
from chalicelib.services import invoices as invoice_service
from tests import factories
from tests.conftest import dynamodb_transactions_like_aws

PROBLEM = "application/problem+json"


def _fields(response) -> list[str]:
    assert response.headers["Content-Type"] == PROBLEM, response.body
    return [error["field"] for error in response.data.get("errors", [])]


def test_partial_then_full_payment_settles_invoice_and_customer(api):
    customer = factories.customer(api)
    invoice = factories.invoice(api, customer["id"], amount=1_000_000)
    first = factories.pay(api, invoice["id"], 400_000, method="cash", reference="PT-01")
    assert first.status_code == 201
    assert first.data["payment"]["amount"] == 400_000
    assert first.data["payment"]["method"] == "cash" and first.data["payment"]["reference"] == "PT-01"
    assert first.data["invoice"]["status"] == "partially_paid"
    assert first.data["invoice"]["outstanding"] == 600_000
    assert api.get(f"/v1/customers/{customer['id']}").data["outstanding"] == 600_000
    second = factories.pay(api, invoice["id"], 600_000)
    assert second.data["invoice"]["status"] == "paid" and second.data["invoice"]["outstanding"] == 0
    stored = api.get(f"/v1/invoices/{invoice['id']}").data
    assert [p["amount"] for p in stored["payments"]] == [400_000, 600_000]
    assert stored["payments"][1]["method"] == "bank_transfer"
    after = api.get(f"/v1/customers/{customer['id']}").data
    assert after["outstanding"] == 0 and after["open_invoices"] == 0


def test_second_payment_over_outstanding_is_refused(api):
    customer = factories.customer(api)
    invoice = factories.invoice(api, customer["id"], amount=1_000)
    assert factories.pay(api, invoice["id"], 700).status_code == 201
    refused = factories.pay(api, invoice["id"], 301)
    assert refused.status_code == 422
    assert _fields(refused) == ["amount"]
    assert api.get(f"/v1/invoices/{invoice['id']}").data["amount_paid"] == 700
    assert factories.pay(api, invoice["id"], 300).status_code == 201
    assert factories.pay(api, invoice["id"], 1).status_code == 422


@pytest.mark.parametrize("amount", [0, -1, "500", 500.0, 10.5, None, True])
def test_payment_amount_must_be_a_positive_integer(api, amount):
    customer = factories.customer(api)
    invoice = factories.invoice(api, customer["id"], amount=1_000)
    response = factories.pay(api, invoice["id"], amount)
    assert response.status_code == 422
    assert _fields(response) == ["amount"]
    assert api.get(f"/v1/invoices/{invoice['id']}").data["payments"] == []


@pytest.mark.parametrize("change, field", [({"paid_on": "2026-02-30"}, "paid_on"), ({"method": "bitcoin"}, "method"),
                                           ({"fee": 1}, "fee"), ({"reference": "a\r\nb"}, "reference")])
def test_payment_fields_are_validated(api, change, field):
    customer = factories.customer(api)
    invoice = factories.invoice(api, customer["id"], amount=1_000)
    response = factories.pay(api, invoice["id"], 100, **change)
    assert response.status_code == 422
    assert field in _fields(response)


def test_payment_on_void_invoice_is_409(api):
    customer = factories.customer(api)
    invoice = factories.invoice(api, customer["id"], amount=1_000)
    api.post(f"/v1/invoices/{invoice['id']}/void")
    assert factories.pay(api, invoice["id"], 100).status_code == 409


def test_payment_with_idempotency_key_is_recorded_once(api):
    customer = factories.customer(api)
    invoice = factories.invoice(api, customer["id"], amount=1_000)
    body = {"amount": 100, "paid_on": "2026-12-02"}
    first = api.post(f"/v1/invoices/{invoice['id']}/payments", body, headers={"Idempotency-Key": "pay-1"})
    second = api.post(f"/v1/invoices/{invoice['id']}/payments", body, headers={"Idempotency-Key": "pay-1"})
    assert first.status_code == second.status_code == 201
    assert second.data == first.data and second.headers["Idempotency-Replayed"] == "true"
    assert api.get(f"/v1/invoices/{invoice['id']}").data["amount_paid"] == 100
    other = factories.invoice(api, customer["id"], amount=1_000)
    # The key is scoped to the invoice it was used on: the same key on another invoice is a new payment.
    third = api.post(f"/v1/invoices/{other['id']}/payments", body, headers={"Idempotency-Key": "pay-1"})
    assert third.status_code == 201 and "Idempotency-Replayed" not in third.headers


def test_fifty_concurrent_payments_never_overdraw_or_get_lost(api):
    """50 threads call the service ``record_payment`` directly (Chalice's test client keeps the current
    request on the app object, so it is not thread-safe); each pays 30,000 on a 1,000,000 invoice."""
    customer = factories.customer(api)
    invoice = factories.invoice(api, customer["id"], amount=1_000_000)
    other_invoice = factories.invoice(api, customer["id"], amount=250_000)
    tenant_id = api.key.split(".")[1]
    accepted: list[int] = []
    refused: list[Exception] = []
    crashed: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(50)

    def pay() -> None:
        start.wait()
        try:
            payment, _ = invoice_service.record_payment(
                tenant_id, invoice["id"], PaymentIn(amount=30_000, paid_on=date(2026, 12, 2)))
            with lock:
                accepted.append(int(payment.amount))
        except errors.ValidationFailed as exc:
            with lock:
                refused.append(exc)
        except BaseException as exc:  # any other failure is the bug this test looks for
            with lock:
                crashed.append(exc)

    with dynamodb_transactions_like_aws():
        threads = [threading.Thread(target=pay) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert crashed == []
    assert len(accepted) == 33 and len(refused) == 17  # 33 x 30,000 = 990,000 <= 1,000,000 < 34 x 30,000
    stored = api.get(f"/v1/invoices/{invoice['id']}").data
    assert stored["amount_paid"] == sum(accepted) == sum(p["amount"] for p in stored["payments"]) == 990_000
    assert len(stored["payments"]) == 33 and len({p["id"] for p in stored["payments"]}) == 33
    assert stored["outstanding"] == 10_000 and stored["status"] == "partially_paid"
    totals = api.get(f"/v1/customers/{customer['id']}").data
    open_invoices = api.get(f"/v1/customers/{customer['id']}/invoices?status=open").data["items"]
    assert totals["outstanding"] == sum(i["outstanding"] for i in open_invoices) == 10_000 + 250_000
    assert totals["open_invoices"] == len(open_invoices) == 2
    assert other_invoice["id"] in {i["id"] for i in open_invoices}
