"""Customers ("Thông tin chung"): create, read, change, delete, and a customer's invoices."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from tests import factories

PROBLEM = "application/problem+json"


def _fields(response) -> list[str]:
    assert response.headers["Content-Type"] == PROBLEM, response.body
    return [error["field"] for error in response.data.get("errors", [])]


def test_created_customer_reads_back_with_empty_receivable_summary(api):
    body = {"code": "KH-001", "name": "Công ty TNHH Hoàng Long", "emails": ["ketoan@hoanglong.vn"],
            "phone": "0901 234 567", "tax_code": "0312345678", "address": "12 Lê Lợi, Quận 1, TP.HCM",
            "contact_name": "Chị Lan", "note": "Gọi trước khi gửi", "locale": "vi"}
    created = api.post("/v1/customers", body)
    assert created.status_code == 201
    customer = created.data
    for name, value in body.items():
        assert customer[name] == value
    assert customer["id"].startswith("cus_")
    assert customer["outstanding"] == 0 and customer["open_invoices"] == 0
    assert customer["aging"] == {"current": 0, "d1_30": 0, "d31_60": 0, "d61_90": 0, "d90_plus": 0}
    assert customer["reminders_paused"] is False
    assert api.get(f"/v1/customers/{customer['id']}").data == customer


@pytest.mark.parametrize("name", ["Công ty Cổ phần Đầu tư Phát triển Nguyễn Thị Ánh Hường",
                                  "Cửa hàng 🌸 Hoa Mai 🇻🇳", "Nhà sách 👨‍👩‍👧 Gia Đình", "株式会社 サクラ"])
def test_unicode_names_round_trip_unchanged(api, name):
    created = factories.customer(api, name=name, note="Ghi chú: khách quen ☕")
    again = api.get(f"/v1/customers/{created['id']}").data
    assert again["name"] == name
    assert again["note"] == "Ghi chú: khách quen ☕"
    assert name.encode() in api.get(f"/v1/customers/{created['id']}").body


@pytest.mark.parametrize("name", ["Công ty\nABC", "Công ty\rABC", "Công ty\r\nABC", "A\x00B", "A\tB"])
def test_names_with_line_breaks_or_control_characters_are_refused(api, name):
    response = api.post("/v1/customers", {"code": "KH1", "name": name})
    assert response.status_code == 422
    assert _fields(response) == ["name"]


def test_duplicate_code_is_409_case_insensitively(api):
    factories.customer(api, code="KH-777")
    for code in ("KH-777", "kh-777"):
        response = api.post("/v1/customers", {"code": code, "name": "Bản sao"})
        assert response.status_code == 409
        assert response.headers["Content-Type"] == PROBLEM


@pytest.mark.parametrize("body, field", [
    ({"name": "Thiếu mã"}, "code"),
    ({"code": "KH1"}, "name"),
    ({"code": "KH 1", "name": "A"}, "code"),
    ({"code": "KH1", "name": ""}, "name"),
    ({"code": "KH1", "name": "A", "emails": ["không-phải-email"]}, "emails.0"),
    ({"code": "KH1", "name": "A", "emails": "a@b.vn"}, "emails"),
    ({"code": "KH1", "name": "A", "locale": "fr"}, "locale"),
    ({"code": "KH1", "name": "A", "reminders_paused": "yes"}, "reminders_paused"),
    ({"code": "KH1", "name": "A", "nickname": "x"}, "nickname"),
    ({"code": "KH1", "name": "x" * 201}, "name"),
])
def test_invalid_customer_is_422_naming_the_field(api, body, field):
    response = api.post("/v1/customers", body)
    assert response.status_code == 422
    assert field in _fields(response)
    assert api.get("/v1/receivables?status=all").data["items"] == []


def test_patch_changes_only_given_fields(api):
    customer = factories.customer(api, phone="0901")
    response = api.patch(f"/v1/customers/{customer['id']}", {"name": "Tên mới", "reminders_paused": True})
    assert response.status_code == 200
    assert response.data["name"] == "Tên mới"
    assert response.data["reminders_paused"] is True
    assert response.data["phone"] == "0901"
    assert response.data["code"] == customer["code"]
    assert api.get(f"/v1/customers/{customer['id']}").data["name"] == "Tên mới"


def test_patch_can_clear_optional_fields_but_not_required_ones(api):
    customer = factories.customer(api, phone="0901")
    assert api.patch(f"/v1/customers/{customer['id']}", {"phone": None}).data["phone"] is None
    response = api.patch(f"/v1/customers/{customer['id']}", {"name": None})
    assert response.status_code == 422
    assert _fields(response) == ["name"]


def test_changing_code_frees_the_old_one_and_refuses_a_taken_one(api):
    first = factories.customer(api, code="KH-A")
    factories.customer(api, code="KH-B")
    taken = api.patch(f"/v1/customers/{first['id']}", {"code": "kh-b"})
    assert taken.status_code == 409
    assert api.get(f"/v1/customers/{first['id']}").data["code"] == "KH-A"
    assert api.patch(f"/v1/customers/{first['id']}", {"code": "KH-C"}).status_code == 200
    assert api.post("/v1/customers", {"code": "KH-A", "name": "Dùng lại mã cũ"}).status_code == 201


def test_patch_with_unknown_field_or_bad_type_is_422(api):
    customer = factories.customer(api)
    assert _fields(api.patch(f"/v1/customers/{customer['id']}", {"colour": "đỏ"})) == ["colour"]
    assert _fields(api.patch(f"/v1/customers/{customer['id']}", {"emails": [1]})) == ["emails.0"]


def test_delete_customer_then_it_is_gone_and_its_code_is_free(api):
    customer = factories.customer(api, code="KH-DEL")
    assert api.delete(f"/v1/customers/{customer['id']}").status_code == 204
    assert api.get(f"/v1/customers/{customer['id']}").status_code == 404
    assert api.delete(f"/v1/customers/{customer['id']}").status_code == 404
    assert api.post("/v1/customers", {"code": "KH-DEL", "name": "Mới"}).status_code == 201


def test_delete_customer_with_open_invoices_is_409_until_they_are_settled(api):
    customer = factories.customer(api)
    invoice = factories.invoice(api, customer["id"], amount=100_000)
    response = api.delete(f"/v1/customers/{customer['id']}")
    assert response.status_code == 409
    assert response.headers["Content-Type"] == PROBLEM
    assert api.get(f"/v1/customers/{customer['id']}").status_code == 200
    assert factories.pay(api, invoice["id"], 100_000).status_code == 201
    assert api.delete(f"/v1/customers/{customer['id']}").status_code == 204


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_unknown_customer_is_404(api, method):
    response = getattr(api, method)("/v1/customers/cus_nope", **({"body": {"name": "x"}} if method == "patch" else {}))
    assert response.status_code == 404
    assert response.headers["Content-Type"] == PROBLEM
    assert api.get("/v1/customers/cus_nope/invoices").status_code == 404


@freeze_time("2026-12-04T03:00:00Z")
def test_customer_invoices_list_newest_due_first_and_filters_by_status(api):
    customer = factories.customer(api)
    early = factories.invoice(api, customer["id"], issue_date="2026-10-01", due_date="2026-10-15", amount=100)
    late = factories.invoice(api, customer["id"], issue_date="2026-10-01", due_date="2026-12-30", amount=200)
    middle = factories.invoice(api, customer["id"], issue_date="2026-10-01", due_date="2026-11-15", amount=300)
    void = factories.invoice(api, customer["id"], issue_date="2026-10-01", due_date="2026-11-01", amount=400)
    factories.pay(api, early["id"], 100)
    api.post(f"/v1/invoices/{void['id']}/void")

    def ids(status: str) -> list[str]:
        return [i["id"] for i in api.get(f"/v1/customers/{customer['id']}/invoices?status={status}").data["items"]]

    assert ids("all") == [late["id"], middle["id"], void["id"], early["id"]]
    assert api.get(f"/v1/customers/{customer['id']}/invoices").data["items"][0]["id"] == late["id"]
    assert ids("open") == [late["id"], middle["id"]]
    assert ids("paid") == [early["id"]]
    assert ids("void") == [void["id"]]
    assert _fields(api.get(f"/v1/customers/{customer['id']}/invoices?status=late")) == ["status"]


def test_customer_invoices_page_through_with_cursor(api):
    customer = factories.customer(api)
    made = [factories.invoice(api, customer["id"], due_date=f"2026-12-{day:02d}")["id"] for day in range(1, 8)]
    seen, cursor = [], None
    while True:
        url = f"/v1/customers/{customer['id']}/invoices?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(url).data
        assert len(page["items"]) <= 3
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made))


def test_create_customer_with_idempotency_key_replays_and_creates_once(api):
    body = {"code": "KH-IDEM", "name": "Công ty Một Lần"}
    first = api.post("/v1/customers", body, headers={"Idempotency-Key": "abc-123"})
    second = api.post("/v1/customers", body, headers={"Idempotency-Key": "abc-123"})
    assert first.status_code == second.status_code == 201
    assert second.data == first.data
    assert second.headers.get("Idempotency-Replayed") == "true"
    assert "Idempotency-Replayed" not in first.headers
    rows = api.get("/v1/receivables?status=all").data["items"]
    assert [row["code"] for row in rows] == ["KH-IDEM"]


def test_same_idempotency_key_with_different_body_is_422_and_creates_nothing(api):
    api.post("/v1/customers", {"code": "KH-1", "name": "A"}, headers={"Idempotency-Key": "k"})
    response = api.post("/v1/customers", {"code": "KH-2", "name": "B"}, headers={"Idempotency-Key": "k"})
    assert response.status_code == 422
    assert _fields(response) == ["Idempotency-Key"]
    assert [row["code"] for row in api.get("/v1/receivables?status=all").data["items"]] == ["KH-1"]


def test_idempotency_keys_are_per_tenant(api, other):
    body = {"code": "KH-1", "name": "A"}
    mine = api.post("/v1/customers", body, headers={"Idempotency-Key": "same"})
    theirs = other.post("/v1/customers", body, headers={"Idempotency-Key": "same"})
    assert theirs.status_code == 201
    assert "Idempotency-Replayed" not in theirs.headers
    assert theirs.data["id"] != mine.data["id"]
