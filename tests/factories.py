"""Small factories that build data through the API, as a user would."""

from __future__ import annotations

import itertools
from typing import Any

_seq = itertools.count(1)


def customer(api: Any, **fields: Any) -> dict[str, Any]:
    n = next(_seq)
    body = {"code": f"KH{n:05d}", "name": f"Công ty Khách hàng {n}", "emails": [f"ketoan{n}@example.vn"], **fields}
    response = api.post("/v1/customers", body)
    assert response.status_code == 201, response.body
    return response.data


def invoice(api: Any, customer_id: str, **fields: Any) -> dict[str, Any]:
    n = next(_seq)
    body = {"customer_id": customer_id, "number": f"HD{n:06d}", "issue_date": "2026-11-01",
            "due_date": "2026-12-01", "amount": 1_500_000, **fields}
    response = api.post("/v1/invoices", body)
    assert response.status_code == 201, response.body
    return response.data


def pay(api: Any, invoice_id: str, amount: int, **fields: Any) -> Any:
    return api.post(f"/v1/invoices/{invoice_id}/payments", {"amount": amount, "paid_on": "2026-12-02", **fields})
