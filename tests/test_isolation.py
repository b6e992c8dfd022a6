"""Two tenants, each trying the other's ids: always 404, nothing changes, and lists never mix."""

from __future__ import annotations

from freezegun import freeze_time

from tests import factories


def _setup(api):
    customer = factories.customer(api, name="Khách riêng")
    invoice = factories.invoice(api, customer["id"], amount=1_000_000, due_date="2026-11-01")
    factories.pay(api, invoice["id"], 100_000)
    spare = factories.invoice(api, customer["id"], amount=5_000)
    return customer, invoice, spare


@freeze_time("2026-12-04T03:00:00Z")
def test_other_tenants_ids_are_404_on_every_route_and_change_nothing(api, other):
    customer, invoice, spare = _setup(api)
    key_id = api.post("/v1/api-keys", {"name": "Phụ"}).data["id"]
    before = (api.get(f"/v1/customers/{customer['id']}").data, api.get(f"/v1/invoices/{invoice['id']}").data,
              api.get(f"/v1/invoices/{spare['id']}").data, api.get("/v1/receivables/summary").data)
    attempts = [
        ("GET", f"/v1/customers/{customer['id']}", None),
        ("PATCH", f"/v1/customers/{customer['id']}", {"name": "Bị sửa"}),
        ("DELETE", f"/v1/customers/{customer['id']}", None),
        ("GET", f"/v1/customers/{customer['id']}/invoices", None),
        ("GET", f"/v1/invoices/{invoice['id']}", None),
        ("PATCH", f"/v1/invoices/{invoice['id']}", {"amount": 100_000}),
        ("POST", f"/v1/invoices/{spare['id']}/void", None),
        ("POST", f"/v1/invoices/{invoice['id']}/payments", {"amount": 900_000, "paid_on": "2026-12-01"}),
        ("DELETE", f"/v1/api-keys/{key_id}", None),
    ]
    for method, path, body in attempts:
        response = other.request(method, path, body)
        assert response.status_code == 404, (method, path, response.body)
        assert response.headers["Content-Type"] == "application/problem+json"
        # Nothing about the other tenant's data; the same answer as for an id that never existed.
        assert "Khách riêng" not in response.body.decode() and "1000000" not in response.body.decode()
        assert response.data["title"] == "Not Found"
    after = (api.get(f"/v1/customers/{customer['id']}").data, api.get(f"/v1/invoices/{invoice['id']}").data,
             api.get(f"/v1/invoices/{spare['id']}").data, api.get("/v1/receivables/summary").data)
    assert after == before
    assert key_id in {k["id"] for k in api.get("/v1/api-keys").data["items"]}


def test_invoice_for_another_tenants_customer_is_refused_and_creates_nothing(api, other):
    customer = factories.customer(api)
    response = other.post("/v1/invoices", {"customer_id": customer["id"], "number": "HD-X", "issue_date": "2026-11-01",
                                           "due_date": "2026-12-01", "amount": 5})
    assert response.status_code == 422
    assert [e["field"] for e in response.data["errors"]] == ["customer_id"]
    assert api.get(f"/v1/customers/{customer['id']}").data["outstanding"] == 0
    assert other.get("/v1/receivables/summary").data["customers"] == 0


def test_codes_and_numbers_are_unique_per_tenant_not_globally(api, other):
    mine = factories.customer(api, code="KH-1")
    theirs = factories.customer(other, code="KH-1")
    factories.invoice(api, mine["id"], number="HD-1")
    factories.invoice(other, theirs["id"], number="HD-1")


@freeze_time("2026-12-04T03:00:00Z")
def test_lists_and_summary_show_only_own_data(api, other):
    _setup(api)
    mine = factories.customer(other, name="Khách của Bình Minh")
    factories.invoice(other, mine["id"], amount=7)
    for status in ("open", "overdue", "all"):
        for sort in ("outstanding", "days_overdue", "name", "last_reminded"):
            rows = other.get(f"/v1/receivables?status={status}&sort={sort}").data["items"]
            assert {row["customer_id"] for row in rows} <= {mine["id"]}
    assert [r["name"] for r in other.get("/v1/receivables?status=all&q=khach").data["items"]] == ["Khách của Bình Minh"]
    summary = other.get("/v1/receivables/summary").data
    assert summary["outstanding"] == 7 and summary["customers"] == 1
    assert [k["name"] for k in other.get("/v1/api-keys").data["items"]] == ["Default key"]


def test_a_cursor_from_another_tenant_is_refused(api, other):
    for n in range(3):
        factories.customer(api, name=f"Khách {n}")
        factories.customer(other, name=f"Khách {n}")
    cursor = api.get("/v1/receivables?status=all&sort=name&limit=1").data["next_cursor"]
    assert cursor
    response = other.get(f"/v1/receivables?status=all&sort=name&limit=1&cursor={cursor}")
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.data["errors"]] == ["cursor"]
