"""The receivables flow end to end through the API: customer, invoices, a payment, the list."""

from __future__ import annotations

from freezegun import freeze_time

from tests import factories


@freeze_time("2026-12-04T03:00:00Z")
def test_customer_with_invoices_and_payment_shows_in_receivables(api):
    customer = factories.customer(api, name="Công ty TNHH Hoàng Long")
    overdue = factories.invoice(api, customer["id"], due_date="2026-11-20", amount=2_000_000)
    factories.invoice(api, customer["id"], due_date="2026-12-20", amount=1_000_000)

    paid = factories.pay(api, overdue["id"], 500_000)
    assert paid.status_code == 201, paid.body
    assert paid.data["invoice"]["status"] == "partially_paid"

    rows = api.get("/v1/receivables").data["items"]
    assert len(rows) == 1
    row = rows[0]
    assert row["name"] == "Công ty TNHH Hoàng Long"
    assert row["outstanding"] == 2_500_000
    assert row["overdue_amount"] == 1_500_000
    assert row["open_invoices"] == 2
    assert row["max_days_overdue"] == 14
    assert row["aging"] == {"current": 1_000_000, "d1_30": 1_500_000, "d31_60": 0, "d61_90": 0, "d90_plus": 0}
