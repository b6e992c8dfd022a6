"""Reconciliation: bank transfers posted by a feed settle the invoices their memo names, once, and stop reminders."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from typing import Any

import pytest
from freezegun import freeze_time

from chalicelib.domain.reconciliation import candidate_codes
from tests import factories, worker

NOW = "2026-12-04T03:00:00Z"
_refs = itertools.count(1)


@pytest.fixture(autouse=True)
def _frozen():
    with freeze_time(NOW):
        yield


@pytest.fixture
def app(client):
    from app import app as chalice_app

    return chalice_app


def transfer(amount: int, description: str, **fields: Any) -> dict[str, Any]:
    return {"account_number": "0023457923442", "bank_bin": "970422", "amount": amount, "description": description,
            "transaction_time": "2026-12-04T09:30:00+07:00", "reference": f"FT2633{next(_refs):06d}", **fields}


def post(api, body: dict[str, Any]):
    return api.post("/v1/bank-transactions", body)


def signed(api, tenant_id: str, secret: str, body: dict[str, Any], *, signature: str | None = None,
           tenant: str | None = None):
    raw = json.dumps(body).encode()
    headers = {"X-Nhacno-Tenant": tenant if tenant is not None else tenant_id,
               "X-Nhacno-Signature": signature if signature is not None
               else hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()}
    return api.request("POST", "/v1/bank-transactions", key="", headers=headers, raw=raw)


def secret_of(api) -> dict[str, Any]:
    response = api.get("/v1/settings/webhook-secret")
    assert response.status_code == 200, response.body
    return response.data


def remind(api, customer_id: str, **choices: Any) -> dict[str, Any]:
    """Queue a reminder email and return it as the API shows it (with its payment memo)."""
    response = api.post(f"/v1/customers/{customer_id}/reminders", choices)
    assert response.status_code == 202, response.body
    return api.get(f"/v1/reminders/{response.data['id']}").data


@pytest.fixture
def owing(api):
    """A customer with two open invoices (older one first) and a reminder about both."""
    customer = factories.customer(api, name="Công ty TNHH Hoàng Long", emails=["ketoan@hoanglong.vn"])
    older = factories.invoice(api, customer["id"], due_date="2026-11-20", amount=2_000_000)
    newer = factories.invoice(api, customer["id"], due_date="2026-12-20", amount=1_500_000)
    reminder = remind(api, customer["id"])
    return {"customer": customer, "older": older, "newer": newer, "reminder": reminder,
            "memo": reminder["payment_memo"]}


def invoice(api, invoice_id: str) -> dict[str, Any]:
    return api.get(f"/v1/invoices/{invoice_id}").data


def customer(api, customer_id: str) -> dict[str, Any]:
    return api.get(f"/v1/customers/{customer_id}").data


# --- authentication ---------------------------------------------------------------------------------

def test_signed_transfer_with_the_tenant_secret_is_accepted(api, owing):
    secret = secret_of(api)
    response = signed(api, secret["tenant_id"], secret["secret"], transfer(2_000_000, owing["memo"]))
    assert response.status_code == 201, response.body
    assert response.data["status"] == "matched"
    assert invoice(api, owing["older"]["id"])["status"] == "paid"


@pytest.mark.parametrize("tamper", ["bad_signature", "other_secret", "no_signature", "no_tenant", "unknown_tenant",
                                    "body_changed"])
def test_bad_or_missing_signature_is_401_and_records_nothing(api, owing, tamper):
    secret = secret_of(api)
    body = transfer(2_000_000, owing["memo"])
    raw = json.dumps(body).encode()
    good = hmac.new(secret["secret"].encode(), raw, hashlib.sha256).hexdigest()
    headers = {"X-Nhacno-Tenant": secret["tenant_id"], "X-Nhacno-Signature": good}
    if tamper == "bad_signature":
        headers["X-Nhacno-Signature"] = "0" * 64
    elif tamper == "other_secret":
        headers["X-Nhacno-Signature"] = hmac.new(b"guessed", raw, hashlib.sha256).hexdigest()
    elif tamper == "no_signature":
        del headers["X-Nhacno-Signature"]
    elif tamper == "no_tenant":
        del headers["X-Nhacno-Tenant"]
    elif tamper == "unknown_tenant":
        headers["X-Nhacno-Tenant"] = "ten_01jzzzzzzzzzzzzzzzzzzzzzzz"
    elif tamper == "body_changed":
        raw = json.dumps({**body, "amount": 3_500_000}).encode()
    response = api.request("POST", "/v1/bank-transactions", key="", headers=headers, raw=raw)
    assert response.status_code == 401, response.body
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert api.get("/v1/bank-transactions").data["items"] == []
    assert invoice(api, owing["older"]["id"])["amount_paid"] == 0


def test_no_key_and_no_signature_is_401(api):
    response = api.request("POST", "/v1/bank-transactions", transfer(1000, "x"), key="")
    assert response.status_code == 401


def test_a_signature_never_opens_other_routes(api):
    secret = secret_of(api)
    raw = b""
    headers = {"X-Nhacno-Tenant": secret["tenant_id"],
               "X-Nhacno-Signature": hmac.new(secret["secret"].encode(), raw, hashlib.sha256).hexdigest()}
    assert api.request("GET", "/v1/bank-transactions", key="", headers=headers).status_code == 401


def test_rotating_the_secret_stops_the_old_one_at_once(api, owing):
    old = secret_of(api)
    assert secret_of(api) == old  # reading does not change it
    rotated = api.post("/v1/settings/webhook-secret")
    assert rotated.status_code == 200 and rotated.data["secret"] != old["secret"]
    assert secret_of(api)["secret"] == rotated.data["secret"]
    body = transfer(2_000_000, owing["memo"])
    assert signed(api, old["tenant_id"], old["secret"], body).status_code == 401
    assert signed(api, old["tenant_id"], rotated.data["secret"], body).status_code == 201


def test_another_tenants_secret_does_not_sign_for_this_tenant(api, other, owing):
    mine, theirs = secret_of(api), secret_of(other)
    assert mine["secret"] != theirs["secret"]
    response = signed(api, mine["tenant_id"], theirs["secret"], transfer(2_000_000, owing["memo"]))
    assert response.status_code == 401


def test_api_key_path_records_the_transfer(api, owing):
    response = post(api, transfer(2_000_000, owing["memo"]))
    assert response.status_code == 201, response.body
    txn = response.data
    assert txn["status"] == "matched" and txn["matched_by"] == "memo"
    assert txn["reminder_id"] == owing["reminder"]["id"] and txn["customer_id"] == owing["customer"]["id"]
    assert txn["transaction_time"] == "2026-12-04T02:30:00Z"
    paid = invoice(api, owing["older"]["id"])
    assert paid["payments"][0]["method"] == "bank_transfer"
    assert paid["payments"][0]["reference"].startswith(txn["reference"])
    assert paid["payments"][0]["paid_on"] == "2026-12-04"


# --- idempotency ------------------------------------------------------------------------------------

def test_the_same_transfer_twice_records_one_payment(api, owing):
    body = transfer(2_500_000, owing["memo"])
    first = post(api, body)
    again = post(api, body)
    assert first.status_code == 201 and again.status_code == 200, again.body
    assert again.data == first.data
    assert invoice(api, owing["older"]["id"])["amount_paid"] == 2_000_000
    assert len(invoice(api, owing["older"]["id"])["payments"]) == 1
    assert invoice(api, owing["newer"]["id"])["amount_paid"] == 500_000
    assert customer(api, owing["customer"]["id"])["outstanding"] == 1_000_000
    assert len(api.get("/v1/bank-transactions").data["items"]) == 1


def test_the_same_reference_with_another_amount_is_409(api, owing):
    body = transfer(2_000_000, owing["memo"])
    assert post(api, body).status_code == 201
    assert post(api, {**body, "amount": 1}).status_code == 409
    assert invoice(api, owing["older"]["id"])["amount_paid"] == 2_000_000


def test_references_are_per_tenant(api, other, owing):
    body = transfer(2_000_000, owing["memo"])
    assert post(api, body).status_code == 201
    theirs = post(other, body)
    assert theirs.status_code == 201 and theirs.data["status"] == "unmatched"


def test_a_crash_midway_then_a_retry_applies_each_invoice_once(api, owing, monkeypatch):
    from chalicelib.services import invoices

    real = invoices.record_payment_once
    calls = {"n": 0}

    def crash_on_second(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("Lambda timed out")
        return real(*args, **kwargs)

    monkeypatch.setattr(invoices, "record_payment_once", crash_on_second)
    body = transfer(4_000_000, owing["memo"])
    assert post(api, body).status_code == 500
    pending = api.get("/v1/bank-transactions").data["items"][0]
    assert pending["status"] == "pending"
    assert invoice(api, owing["older"]["id"])["amount_paid"] == 2_000_000
    retried = post(api, body)
    assert retried.status_code == 200, retried.body
    assert retried.data["status"] == "matched" and retried.data["credit"] == 500_000
    assert [p["amount"] for p in retried.data["payments"]] == [2_000_000, 1_500_000]
    assert len(invoice(api, owing["older"]["id"])["payments"]) == 1
    assert invoice(api, owing["newer"]["id"])["amount_paid"] == 1_500_000
    assert customer(api, owing["customer"]["id"])["credit"] == 500_000
    assert post(api, body).data["credit"] == 500_000
    assert customer(api, owing["customer"]["id"])["credit"] == 500_000


def test_a_crash_before_the_outcome_adds_credit_once_on_retry(api, owing, monkeypatch):
    from chalicelib.services import customers

    real = customers.add_credit
    monkeypatch.setattr(customers, "add_credit", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("crash")))
    body = transfer(3_600_000, owing["memo"])
    assert post(api, body).status_code == 500
    monkeypatch.setattr(customers, "add_credit", real)
    assert post(api, body).data["credit"] == 100_000
    assert post(api, body).status_code == 200
    assert customer(api, owing["customer"]["id"])["credit"] == 100_000
    assert customer(api, owing["customer"]["id"])["outstanding"] == 0


# --- amounts ----------------------------------------------------------------------------------------

def test_partial_payment_goes_to_the_oldest_due_invoice(api, owing):
    txn = post(api, transfer(500_000, owing["memo"])).data
    assert txn["status"] == "matched" and txn["credit"] == 0
    assert [(p["invoice_id"], p["amount"]) for p in txn["payments"]] == [(owing["older"]["id"], 500_000)]
    assert invoice(api, owing["older"]["id"])["status"] == "partially_paid"
    assert invoice(api, owing["newer"]["id"])["amount_paid"] == 0
    assert customer(api, owing["customer"]["id"])["outstanding"] == 3_000_000


def test_exact_payment_settles_every_reminded_invoice(api, owing):
    txn = post(api, transfer(3_500_000, owing["memo"])).data
    assert txn["credit"] == 0 and len(txn["payments"]) == 2
    row = customer(api, owing["customer"]["id"])
    assert row["outstanding"] == 0 and row["open_invoices"] == 0 and row["credit"] == 0
    assert api.get("/v1/receivables/summary").data["outstanding"] == 0


def test_over_payment_is_kept_as_customer_credit(api, owing):
    txn = post(api, transfer(4_000_000, owing["memo"])).data
    assert txn["status"] == "matched" and txn["credit"] == 500_000
    assert customer(api, owing["customer"]["id"])["credit"] == 500_000
    rows = api.get("/v1/receivables?status=all").data
    assert [r["credit"] for r in rows["items"] if r["customer_id"] == owing["customer"]["id"]] == [500_000]


def test_a_reminder_about_one_invoice_pays_only_that_invoice(api, owing):
    reminder = remind(api, owing["customer"]["id"], invoice_ids=[owing["newer"]["id"]])
    txn = post(api, transfer(1_600_000, reminder["payment_memo"])).data
    assert [p["invoice_id"] for p in txn["payments"]] == [owing["newer"]["id"]]
    assert txn["credit"] == 100_000
    assert invoice(api, owing["older"]["id"])["amount_paid"] == 0


# --- matching ---------------------------------------------------------------------------------------

def _noisy(memo: str) -> list[str]:
    customer_code, code = memo.split(" ")
    return [
        memo,
        memo.lower(),
        f"MBVCB.123456.{memo}.CT tu 0011004 CONG TY HOANG LONG",
        f"IBFT {customer_code}{code}",
        f"Chuyển khoản thanh toán {customer_code.lower()}  {code[:5]} {code[5:].lower()}",
        f"TT hóa đơn {code[:2]}{code[2:]}".replace("N", "Ñ", 1),
        f"{code}-{customer_code} FT26338000123",
        f"nhan tu 970422 0023457923442 {code.replace('0', 'O').replace('1', 'I')} chuyen tien",
    ]


@pytest.mark.parametrize("variant", range(8))
def test_memo_is_found_through_case_spacing_diacritics_and_bank_noise(api, owing, variant):
    description = _noisy(owing["memo"])[variant]
    txn = post(api, transfer(100_000, description)).data
    assert txn["status"] == "matched", description
    assert txn["reminder_id"] == owing["reminder"]["id"]


def test_candidate_codes_folds_the_description():
    assert candidate_codes("MBVCB.1.KH00001 nn7k3-qxábc.CT") == ["7K3QXABC"]
    assert candidate_codes("KHNNN7K3QXABC") == ["N7K3QXAB", "7K3QXABC"]
    assert candidate_codes("NGUYEN NNGUYENVAN") == []  # U is never in a reminder code
    assert candidate_codes("no memo at all") == []
    assert len(candidate_codes("NN" * 200)) <= 8


def test_a_transfer_without_a_known_memo_is_unmatched(api, owing):
    txn = post(api, transfer(2_000_000, "CK tien hang thang 11 NN7K3QXABC")).data
    assert txn["status"] == "unmatched" and txn["payments"] == [] and txn["note"]
    assert invoice(api, owing["older"]["id"])["amount_paid"] == 0
    assert customer(api, owing["customer"]["id"])["credit"] == 0


def test_a_memo_whose_invoices_are_already_paid_is_unmatched(api, owing):
    assert post(api, transfer(3_500_000, owing["memo"])).data["status"] == "matched"
    again = post(api, transfer(3_500_000, owing["memo"])).data
    assert again["status"] == "unmatched" and again["reminder_id"] == owing["reminder"]["id"]
    assert again["credit"] == 0
    assert customer(api, owing["customer"]["id"])["credit"] == 0


# --- unmatched, then settled by hand ----------------------------------------------------------------

def test_unmatched_transfer_is_listed_then_matched_by_hand(api, owing):
    txn = post(api, transfer(2_600_000, "chuyen tien cong no thang 11")).data
    matched_one = post(api, transfer(100_000, owing["memo"])).data
    unmatched = api.get("/v1/bank-transactions?status=unmatched").data["items"]
    assert [t["id"] for t in unmatched] == [txn["id"]]
    everything = api.get("/v1/bank-transactions?status=all").data["items"]
    assert [t["id"] for t in everything] == [matched_one["id"], txn["id"]]  # newest first

    body = {"invoice_ids": [owing["newer"]["id"], owing["older"]["id"]]}
    response = api.post(f"/v1/bank-transactions/{txn['id']}/match", body)
    assert response.status_code == 200, response.body
    settled = response.data
    assert settled["status"] == "matched" and settled["matched_by"] == "manual" and settled["note"] is None
    assert [(p["invoice_id"], p["amount"]) for p in settled["payments"]] == [
        (owing["older"]["id"], 1_900_000), (owing["newer"]["id"], 700_000)]
    assert api.get("/v1/bank-transactions?status=unmatched").data["items"] == []
    assert {t["id"] for t in api.get("/v1/bank-transactions?status=matched").data["items"]} == {
        txn["id"], matched_one["id"]}
    assert api.post(f"/v1/bank-transactions/{txn['id']}/match", body).status_code == 409


def test_manual_match_over_what_is_owed_keeps_the_rest_as_credit(api, owing):
    txn = post(api, transfer(2_300_000, "thanh toan")).data
    settled = api.post(f"/v1/bank-transactions/{txn['id']}/match", {"invoice_ids": [owing["older"]["id"]]}).data
    assert settled["credit"] == 300_000
    assert customer(api, owing["customer"]["id"])["credit"] == 300_000


@pytest.mark.parametrize("case", ["unknown", "mixed_customers", "nothing_owed", "empty"])
def test_manual_match_refuses_bad_invoice_choices(api, owing, case):
    txn = post(api, transfer(1_000, "thanh toan")).data
    if case == "unknown":
        ids = ["inv_nope"]
    elif case == "mixed_customers":
        someone = factories.customer(api)
        ids = [owing["older"]["id"], factories.invoice(api, someone["id"])["id"]]
    elif case == "nothing_owed":
        paid = factories.invoice(api, owing["customer"]["id"], amount=1_000)
        assert factories.pay(api, paid["id"], 1_000).status_code == 201
        ids = [paid["id"]]
    else:
        ids = []
    response = api.post(f"/v1/bank-transactions/{txn['id']}/match", {"invoice_ids": ids})
    assert response.status_code == 422, response.body
    assert api.get(f"/v1/bank-transactions/{txn['id']}").data["status"] == "unmatched"


# --- tenancy ----------------------------------------------------------------------------------------

def test_another_tenants_transaction_ids_are_404(api, other, owing):
    txn = post(api, transfer(1_000, "no memo")).data
    assert other.get(f"/v1/bank-transactions/{txn['id']}").status_code == 404
    their_match = other.post(f"/v1/bank-transactions/{txn['id']}/match", {"invoice_ids": [owing["older"]["id"]]})
    assert their_match.status_code == 404
    assert other.get("/v1/bank-transactions").data["items"] == []
    assert api.get(f"/v1/bank-transactions/{txn['id']}").data["status"] == "unmatched"


def test_another_tenants_invoices_cannot_be_matched(api, other, owing):
    txn = other.post("/v1/bank-transactions", transfer(1_000, "no memo")).data
    response = other.post(f"/v1/bank-transactions/{txn['id']}/match", {"invoice_ids": [owing["older"]["id"]]})
    assert response.status_code == 422
    assert invoice(api, owing["older"]["id"])["amount_paid"] == 0


def test_another_tenants_memo_never_matches(api, other, owing):
    txn = post(other, transfer(2_000_000, owing["memo"])).data
    assert txn["status"] == "unmatched" and txn["reminder_id"] is None
    assert invoice(api, owing["older"]["id"])["amount_paid"] == 0


# --- reminders stop ---------------------------------------------------------------------------------

def test_a_payment_between_queueing_and_sending_skips_the_reminder(api, app, owing):
    assert post(api, transfer(3_500_000, owing["memo"])).data["status"] == "matched"
    worker.drain(app)
    reminder = api.get(f"/v1/reminders/{owing['reminder']['id']}").data
    assert reminder["status"] == "skipped", reminder
    assert worker.sent_emails() == []


def test_a_partial_payment_before_sending_still_sends_for_what_is_left(api, app, owing):
    assert post(api, transfer(2_000_000, owing["memo"])).data["status"] == "matched"
    worker.drain(app)
    reminder = api.get(f"/v1/reminders/{owing['reminder']['id']}").data
    assert reminder["status"] == "sent" and reminder["amount"] == 1_500_000
    assert reminder["invoice_ids"] == [owing["newer"]["id"]]


def test_a_reminders_memo_still_matches_after_it_was_sent(api, app, owing):
    worker.drain(app)
    assert api.get(f"/v1/reminders/{owing['reminder']['id']}").data["status"] == "sent"
    assert post(api, transfer(2_000_000, owing["memo"])).data["status"] == "matched"


# --- hostile input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("amount", [-1, 0, 1.5, 2_000_000.0, 10**16, "2000000", True, None])
def test_amounts_that_are_not_positive_whole_dong_are_422(api, owing, amount):
    response = post(api, {**transfer(1, owing["memo"]), "amount": amount})
    assert response.status_code == 422, response.body
    assert response.data["errors"][0]["field"] == "amount"
    assert invoice(api, owing["older"]["id"])["amount_paid"] == 0


@pytest.mark.parametrize("field, value", [
    ("transaction_time", "2026-12-04 09:30"), ("transaction_time", "2026-12-04T09:30:00"),
    ("reference", ""), ("reference", "x" * 101), ("reference", "a\nb"), ("bank_bin", "97042"),
    ("description", "x" * 1001), ("account_number", ""),
])
def test_malformed_transfers_are_422(api, field, value):
    response = post(api, {**transfer(1_000, "x"), field: value})
    assert response.status_code == 422, response.body
    assert response.data["errors"][0]["field"] == field


def test_unknown_fields_are_refused(api):
    assert post(api, transfer(1_000, "x", surprise=1)).status_code == 422


def test_status_filter_is_validated(api):
    assert api.get("/v1/bank-transactions?status=pending").status_code == 422
