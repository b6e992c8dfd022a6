"""Paging the receivables list over 2,000 customers: every sort and status, no duplicates, nothing missing.

The customers and invoices are batch-written in a module fixture (one service call per customer would take
minutes on moto), but every customer's receivable summary is computed by the services' own functions
(``customers.move_open_amount``, the search keys), exactly as creating the invoices through the API would.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from freezegun import freeze_time

from chalicelib.domain.schemas.customers import CustomerIn
from chalicelib.domain.text import fold
from chalicelib.services import customers as customer_service
from chalicelib.store.customers import Customer, UniqueValue
from chalicelib.store.invoices import Invoice
from tests.conftest import ADMIN_KEY, Api

COUNT = 2_000
NOW = "2026-12-04T03:00:00Z"
TODAY = date(2026, 12, 4)
NAMES = ["Công ty TNHH Ánh Dương", "Cửa hàng Bình An", "Công ty Cổ phần Đại Việt", "Nhà sách Phương Nam",
         "Tạp hóa Út Hiền", "Xưởng gỗ Đức Thành", "Công ty Ô Tô Sài Gòn", "Quán cà phê Ême"]


@pytest.fixture(scope="module")
def tenant(module_client):
    with freeze_time(NOW):
        admin = Api(module_client, ADMIN_KEY)
        api = admin.as_(admin.post("/v1/admin/tenants", {"name": "Công ty Nhiều Khách"}).data["api_key"])
        tenant_id = api.key.split(".")[1]
        expected: dict[str, dict] = {}
        with Customer.batch_write() as customers, Invoice.batch_write() as invoices, \
                UniqueValue.batch_write() as claims:
            for i in range(COUNT):
                data = CustomerIn(code=f"PG{i:05d}", name=f"{NAMES[i % len(NAMES)]} {i * 7919 % COUNT:04d}")
                customer = Customer(tenant_id, f"cus_pg{i:05d}", created_at=NOW, updated_at=NOW, **data.model_dump())
                customer_service._search_keys(customer)
                claims.save(UniqueValue(tenant_id, customer_service.code_key(data.code), owner_id=customer.customer_id))
                for j in range(i % 4):
                    invoice_id = f"inv_pg{i:05d}_{j}"
                    due = (TODAY + timedelta(days=(i * 7 + j * 13) % 240 - 150)).isoformat()
                    amount = 1_000 * (i % 37 + 1) + j
                    customer_service.move_open_amount(customer, {due: amount}, invoice_id, is_open=True)
                    invoices.save(Invoice(tenant_id, invoice_id, customer_id=customer.customer_id,
                                          customer_key=f"{tenant_id}#{customer.customer_id}",
                                          due_sort=f"{due}#{invoice_id}", number=f"PG{i:05d}-{j}",
                                          issue_date="2026-01-01", due_date=due, amount=amount, amount_paid=0,
                                          status="unpaid", payments=[], created_at=NOW, updated_at=NOW))
                    claims.save(UniqueValue(tenant_id, f"invoice_number#PG{i:05d}-{j}", owner_id=invoice_id))
                if i % 3 == 0:  # what customers.mark_reminded writes
                    at = f"2026-11-{i % 28 + 1:02d}T0{i % 10}:00:00Z"
                    customer.last_reminded_at = customer.last_reminded_sort = at
                    customer.reminder_count = 1
                customers.save(customer)
                expected[customer.customer_id] = {"name": customer.name, "outstanding": int(customer.outstanding)}
        yield api, expected


def _walk(api, query: str, limit: int) -> list[dict]:
    rows, cursor, pages = [], None, 0
    while True:
        url = f"/v1/receivables?{query}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(url)
        assert page.status_code == 200, page.body
        pages += 1
        assert len(page.data["items"]) <= limit
        rows += page.data["items"]
        cursor = page.data["next_cursor"]
        if cursor is None:
            break
        assert len(page.data["items"]) == limit  # only the last page may be short
        assert pages <= COUNT // limit + 2
    return rows


ORDER = {
    "outstanding": (lambda r: -r["outstanding"]),
    "days_overdue": (lambda r: r["oldest_due_date"] or "9999-12-31"),
    "name": (lambda r: fold(r["name"])),
    "last_reminded": (lambda r: r["last_reminded_at"] or "0000"),
}
WANTED = {
    "all": lambda r: True,
    "open": lambda r: r["outstanding"] > 0,
    "overdue": lambda r: r["overdue_amount"] > 0,
}
CASES = [(sort, "all", 50) for sort in ORDER]
CASES += [(sort, status, 200) for sort in ORDER for status in ("open", "overdue")]


@pytest.mark.parametrize("sort, status, limit", CASES)
def test_paging_returns_every_matching_customer_once_in_order(tenant, sort, status, limit):
    api, expected = tenant
    with freeze_time(NOW):
        rows = _walk(api, f"status={status}&sort={sort}", limit)
    ids = [row["customer_id"] for row in rows]
    assert len(ids) == len(set(ids)), "a customer appeared twice"
    keys = [ORDER[sort](row) for row in rows]
    assert keys == sorted(keys), "rows out of order"
    assert all(WANTED[status](row) for row in rows)
    if status == "all":
        assert set(ids) == set(expected)
    elif status == "open":
        assert set(ids) == {cid for cid, c in expected.items() if c["outstanding"] > 0}
    for row in rows:
        assert row["outstanding"] == expected[row["customer_id"]]["outstanding"]
        assert row["outstanding"] == sum(row["aging"].values())


def test_overdue_page_walk_matches_summary_and_all_walk(tenant):
    api, _ = tenant
    with freeze_time(NOW):
        everyone = _walk(api, "status=all&sort=name", 200)
        overdue = {r["customer_id"] for r in _walk(api, "status=overdue&sort=outstanding", 200)}
        summary = api.get("/v1/receivables/summary").data
    assert overdue == {r["customer_id"] for r in everyone if r["overdue_amount"] > 0}
    assert summary["customers"] == COUNT
    assert summary["customers_overdue"] == len(overdue)
    assert summary["outstanding"] == sum(r["outstanding"] for r in everyone)
    assert summary["overdue_amount"] == sum(r["overdue_amount"] for r in everyone)


def test_search_over_many_customers(tenant):
    api, expected = tenant
    with freeze_time(NOW):
        by_code = _walk(api, "status=all&sort=name&q=PG00042", 50)
        by_name = _walk(api, "status=all&sort=name&q=dai viet", 200)
    assert [r["code"] for r in by_code] == ["PG00042"]
    assert {r["customer_id"] for r in by_name} == {cid for cid, c in expected.items() if "Đại Việt" in c["name"]}
    assert len(by_name) == COUNT // len(NAMES)


def test_customer_totals_equal_the_sum_of_their_invoices(tenant):
    api, _ = tenant
    for cid in ("cus_pg00003", "cus_pg01002", "cus_pg01999"):
        customer = api.get(f"/v1/customers/{cid}").data
        invoices = api.get(f"/v1/customers/{cid}/invoices?status=open").data["items"]
        assert customer["outstanding"] == sum(i["outstanding"] for i in invoices) > 0
        assert customer["open_invoices"] == len(invoices)
