"""Receivables: aging that moves with the calendar (in the tenant's time zone), search, cursors, summary."""

from __future__ import annotations

import base64

import pytest
from freezegun import freeze_time

from tests import factories

ZERO = {"current": 0, "d1_30": 0, "d31_60": 0, "d61_90": 0, "d90_plus": 0}


def _row(api, customer_id, status="all"):
    rows = [r for r in api.get(f"/v1/receivables?status={status}&limit=200").data["items"]
            if r["customer_id"] == customer_id]
    return rows[0] if rows else None


def test_aging_moves_with_the_calendar_without_any_write(api):
    with freeze_time("2026-12-04T03:00:00Z") as clock:
        customer = factories.customer(api, name="Công ty Thời Gian")
        due_today = factories.invoice(api, customer["id"], issue_date="2026-11-01", due_date="2026-12-04", amount=100)
        late_14 = factories.invoice(api, customer["id"], issue_date="2026-11-01", due_date="2026-11-20", amount=200)
        late_64 = factories.invoice(api, customer["id"], issue_date="2026-09-01", due_date="2026-10-01", amount=400)
        future = factories.invoice(api, customer["id"], issue_date="2026-12-01", due_date="2027-01-10", amount=800)

        def days(invoice):
            return api.get(f"/v1/invoices/{invoice['id']}").data["days_overdue"]

        assert [days(i) for i in (due_today, late_14, late_64, future)] == [0, 14, 64, 0]
        assert api.get(f"/v1/invoices/{due_today['id']}").data["overdue"] is False
        expected = {"outstanding": 1500, "overdue_amount": 600, "max_days_overdue": 64,
                    "oldest_due_date": "2026-10-01",
                    "aging": {**ZERO, "current": 900, "d1_30": 200, "d61_90": 400}}
        for view in (api.get(f"/v1/customers/{customer['id']}").data, _row(api, customer["id"])):
            assert {k: view[k] for k in expected} == expected
        summary = api.get("/v1/receivables/summary").data
        assert summary["as_of"] == "2026-12-04"
        assert summary["aging"] == expected["aging"] and summary["overdue_amount"] == 600
        assert summary["customers_overdue"] == 1

        clock.tick(31 * 24 * 3600)  # 2027-01-04, nothing written since

        assert [days(i) for i in (due_today, late_14, late_64, future)] == [31, 45, 95, 0]
        assert api.get(f"/v1/invoices/{due_today['id']}").data["overdue"] is True
        expected = {"outstanding": 1500, "overdue_amount": 700, "max_days_overdue": 95,
                    "oldest_due_date": "2026-10-01",
                    "aging": {**ZERO, "current": 800, "d31_60": 300, "d90_plus": 400}}
        for view in (api.get(f"/v1/customers/{customer['id']}").data, _row(api, customer["id"])):
            assert {k: view[k] for k in expected} == expected
        summary = api.get("/v1/receivables/summary").data
        assert summary["as_of"] == "2027-01-04" and summary["aging"] == expected["aging"]
        invoices = api.get(f"/v1/customers/{customer['id']}/invoices").data["items"]
        assert {i["number"]: i["days_overdue"] for i in invoices} == {
            due_today["number"]: 31, late_14["number"]: 45, late_64["number"]: 95, future["number"]: 0}


@pytest.mark.parametrize("instant, overdue_days", [
    ("2026-12-04T16:59:59Z", 0),  # 23:59:59 on 4 December in Hà Nội: due today, not late
    ("2026-12-04T17:00:00Z", 1),  # midnight in Vietnam: already 5 December there
    ("2026-12-04T18:00:00Z", 1),
])
def test_today_is_the_tenants_day_in_vietnam(api, instant, overdue_days):
    with freeze_time("2026-12-01T03:00:00Z"):
        customer = factories.customer(api)
        invoice = factories.invoice(api, customer["id"], issue_date="2026-11-01", due_date="2026-12-04", amount=500)
    with freeze_time(instant):
        seen = api.get(f"/v1/invoices/{invoice['id']}").data
        assert seen["days_overdue"] == overdue_days and seen["overdue"] is (overdue_days > 0)
        overdue_rows = api.get("/v1/receivables?status=overdue").data["items"]
        assert [r["customer_id"] for r in overdue_rows] == ([customer["id"]] if overdue_days else [])
        assert api.get("/v1/receivables/summary").data["as_of"] == ("2026-12-05" if overdue_days else "2026-12-04")


@freeze_time("2026-12-04T03:00:00Z")
def test_status_filters_open_overdue_all(api):
    overdue = factories.customer(api)
    factories.invoice(api, overdue["id"], due_date="2026-11-30", amount=10)
    current = factories.customer(api)
    factories.invoice(api, current["id"], due_date="2026-12-31", amount=20)
    settled = factories.customer(api)
    paid = factories.invoice(api, settled["id"], due_date="2026-11-01", amount=30)
    factories.pay(api, paid["id"], 30)
    idle = factories.customer(api)

    def ids(status):
        return {r["customer_id"] for r in api.get(f"/v1/receivables?status={status}").data["items"]}

    assert ids("overdue") == {overdue["id"]}
    assert ids("open") == {overdue["id"], current["id"]}
    assert api.get("/v1/receivables").data == api.get("/v1/receivables?status=open").data
    assert ids("all") == {overdue["id"], current["id"], settled["id"], idle["id"]}
    summary = api.get("/v1/receivables/summary").data
    assert summary["customers"] == 4 and summary["customers_with_outstanding"] == 2
    assert summary["customers_overdue"] == 1 and summary["outstanding"] == 30 and summary["open_invoices"] == 2


def test_search_matches_names_without_diacritics_and_codes(api):
    dai_viet = factories.customer(api, name="Công ty Cổ phần Đại Việt", code="DV-01")
    hoa_mai = factories.customer(api, name="Cửa hàng Hoa Mai", code="HM-22")
    factories.customer(api, name="Nhà sách Phương Nam", code="PN-3")

    def found(q):
        return {r["customer_id"] for r in api.get(f"/v1/receivables?status=all&q={q}").data["items"]}

    assert found("dai viet") == {dai_viet["id"]}
    assert found("Đại Việt") == {dai_viet["id"]}
    assert found("CUA HANG") == {hoa_mai["id"]}
    assert found("hm-22") == {hoa_mai["id"]}
    assert found("HM-22") == {hoa_mai["id"]}
    assert found("khong co") == set()
    assert len(found("%20")) == 3  # a blank search is no search


def _cursor(api, query="status=all&sort=name&limit=1"):
    for n in range(3):
        factories.customer(api, name=f"Khách {n}")
    cursor = api.get(f"/v1/receivables?{query}").data["next_cursor"]
    assert cursor
    return cursor


def _refused(response):
    assert response.status_code == 400, response.body
    assert response.headers["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.data["errors"]] == ["cursor"]


def test_malformed_or_tampered_cursors_are_400_never_500(api):
    cursor = _cursor(api)
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    tampered_payload = base64.urlsafe_b64encode(raw[:16] + raw[16:].replace(b'"k"', b'"K"')).decode().rstrip("=")
    flipped = cursor[:20] + ("A" if cursor[20] != "A" else "B") + cursor[21:]
    for bad in ("abc", "!!!!", "%00", "x" * 64, cursor[:-3], cursor + "AAAA", flipped, tampered_payload,
                base64.urlsafe_b64encode(b"\x00" * 16 + b'{"l":"x"}').decode(), "=", "e30"):
        _refused(api.get(f"/v1/receivables?status=all&sort=name&limit=1&cursor={bad}"))


def test_cursor_from_another_list_is_400(api):
    cursor = _cursor(api)
    for other_list in ("status=all&sort=outstanding", "status=open&sort=name", "status=all&sort=name&order=desc",
                       "status=all&sort=name&q=khach"):
        _refused(api.get(f"/v1/receivables?{other_list}&limit=1&cursor={cursor}"))
    customer = factories.customer(api)
    _refused(api.get(f"/v1/customers/{customer['id']}/invoices?cursor={cursor}"))
    # The same list with another page size is still the same list.
    assert api.get(f"/v1/receivables?status=all&sort=name&limit=2&cursor={cursor}").status_code == 200


def test_cursor_of_one_customers_invoices_does_not_work_for_another(api):
    first, second = factories.customer(api), factories.customer(api)
    for day in (1, 2, 3):
        factories.invoice(api, first["id"], due_date=f"2026-12-0{day}")
    cursor = api.get(f"/v1/customers/{first['id']}/invoices?limit=1").data["next_cursor"]
    _refused(api.get(f"/v1/customers/{second['id']}/invoices?limit=1&cursor={cursor}"))
    _refused(api.get(f"/v1/customers/{first['id']}/invoices?status=open&limit=1&cursor={cursor}"))
