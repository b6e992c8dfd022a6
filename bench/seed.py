"""Tenants with thousands of customers and invoices, written fast and checked against the real API.

Creating 10,000 customers and 30,000 invoices through the services is 40,000 transactions: minutes in
moto. Here the items are computed with the services' own functions (``customers.move_open_amount``,
the customer search keys, the invoice fields of ``invoices.create``, a version step per write) and
written straight into moto's tables (the items a BatchWriteItem would write). ``check_against_api`` then creates one
customer with the same invoices through the API and compares the stored items attribute by attribute,
and reads a seeded customer back through the API: a drift between this module and the services fails
the bench instead of skewing it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from unittest import mock

from chalicelib.adapters import clock, ids
from chalicelib.domain.schemas.customers import CustomerIn
from chalicelib.services import customers as customer_service
from chalicelib.services import invoices as invoice_service
from chalicelib.store.customers import Customer, UniqueValue
from chalicelib.store.invoices import Invoice

# Values that differ between any two customers or invoices, whoever made them.
VOLATILE = {"customer_id", "invoice_id", "created_at", "updated_at", "code", "name", "emails", "name_sort",
            "search_text", "value_key", "owner_id", "open_invoice_ids", "customer_key", "due_sort", "open_due",
            "number"}


@dataclass
class Seeded:
    tenant_id: str
    customer_ids: list[str] = field(default_factory=list)
    invoices: int = 0


def invoice_plan(rng: random.Random, today: date, n: int) -> list[tuple[date, date, int]]:
    """(issue, due, amount) for ``n`` open invoices: most customers have something overdue, some not yet."""
    plan = []
    for _ in range(n):
        due = today + timedelta(days=rng.randint(-120, 25))
        plan.append((due - timedelta(days=30), due, rng.randrange(500_000, 80_000_000, 1_000)))
    return plan


def customer_item(tenant_id: str, number: int, now: str) -> tuple[Customer, UniqueValue]:
    """A customer as ``customers.create`` stores it, with the claim on its code."""
    data = CustomerIn(code=f"KH{number:06d}", name=f"Công ty TNHH Thương mại Khách hàng {number}",
                      emails=[f"ketoan{number}@khachhang{number}.vn"], phone="0901234567",
                      address=f"{number} Nguyễn Huệ, Quận 1, TP. Hồ Chí Minh", contact_name="Chị Lan")
    customer = Customer(tenant_id, ids.new_id("cus"), created_at=now, updated_at=now, **data.model_dump())
    customer.emails = list(dict.fromkeys(data.emails))
    customer_service._search_keys(customer)  # the service's own name and search keys
    claim = UniqueValue(tenant_id, customer_service.code_key(data.code), owner_id=customer.customer_id)
    return customer, claim


def add_invoice(tenant_id: str, customer: Customer, number: str, issue: date, due: date, amount: int,
                now: str) -> tuple[Invoice, UniqueValue]:
    """An invoice as ``invoices.create`` stores it, moving the customer's summary the same way."""
    invoice_id = ids.new_id("inv")
    due_iso = due.isoformat()
    invoice = Invoice(
        tenant_id, invoice_id, customer_id=customer.customer_id, customer_key=f"{tenant_id}#{customer.customer_id}",
        due_sort=f"{due_iso}#{invoice_id}", number=number, order_ref=None, description=None,
        issue_date=issue.isoformat(), due_date=due_iso, amount=amount, amount_paid=0, status="unpaid", payments=[],
        created_at=now, updated_at=now)
    customer_service.move_open_amount(customer, {due_iso: amount}, invoice_id, is_open=True)
    # invoices._commit: both versions step, the open-due key is set while the invoice is open.
    invoice.version = 1
    customer.version = int(customer.version or 0) + 1
    invoice.open_due = invoice.due_sort if invoice.status in invoice_service.OPEN_STATUSES else None
    claim = UniqueValue(tenant_id, invoice_service.number_key(number), owner_id=invoice_id)
    return invoice, claim


def write(items: list[Any]) -> None:
    """Straight into moto's table, as a BatchWriteItem would leave it: 80,000 items through the fake's
    HTTP layer take minutes. moto re-sums an item's size on every attribute it sets (quadratic); these
    items are a few hundred bytes, far from the 400 KB limit, so the check is skipped while seeding."""
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    from bench.env import dynamodb_backend

    backend = dynamodb_backend()
    with mock.patch.object(LimitedSizeDict, "__setitem__", dict.__setitem__):
        for item in items:
            backend.put_item(item.Meta.table_name, item.serialize())


def customers_with_invoices(tenant_id: str, count: int, per_customer: int, *, seed: int = 7,
                            chunk: int = 2_000) -> Seeded:
    rng = random.Random(seed)
    today = clock.today()
    now = clock.now_iso()
    out = Seeded(tenant_id)
    pending: list[Any] = []
    for n in range(1, count + 1):
        customer, claim = customer_item(tenant_id, n, now)
        pending.append(claim)
        for k, (issue, due, amount) in enumerate(invoice_plan(rng, today, per_customer)):
            pending.extend(add_invoice(tenant_id, customer, f"HD{n:06d}-{k}", issue, due, amount, now))
            out.invoices += 1
        pending.append(customer)
        out.customer_ids.append(customer.customer_id)
        if len(pending) >= chunk:
            write(pending)
            pending = []
    write(pending)
    return out


def _raw(model: type, key: tuple[str, str]) -> dict[str, Any]:
    """The item as DynamoDB holds it: attribute name -> DynamoDB type and value."""
    item = model.get(*key)
    return {name: (next(iter(value)), value) for name, value in item.serialize().items()}


def _shape(raw: dict[str, Any]) -> dict[str, Any]:
    return {name: (kind if name in VOLATILE else value) for name, (kind, value) in raw.items()}


def check_against_api(api: Any, seeded: Seeded) -> None:
    """Fail loudly unless seeded items are the items the API writes for the same input."""
    tenant_id = seeded.tenant_id
    rng = random.Random(99)
    plan = invoice_plan(rng, clock.today(), 3)
    made = api.post("/v1/customers", {"code": "KHAPI1", "name": "Công ty TNHH Thương mại Khách hàng 0",
                                      "emails": ["ketoan0@khachhang0.vn"], "phone": "0901234567",
                                      "address": "0 Nguyễn Huệ, Quận 1, TP. Hồ Chí Minh", "contact_name": "Chị Lan"})
    assert made.status_code == 201, made.body
    via_api = made.data["id"]
    invoice_ids = []
    for k, (issue, due, amount) in enumerate(plan):
        response = api.post("/v1/invoices", {"customer_id": via_api, "number": f"HDAPI-{k}",
                                             "issue_date": issue.isoformat(), "due_date": due.isoformat(),
                                             "amount": amount})
        assert response.status_code == 201, response.body
        invoice_ids.append(response.data["id"])
    now = clock.now_iso()
    twin, _ = customer_item(tenant_id, 0, now)
    twin_invoices = [add_invoice(tenant_id, twin, f"HDSEED-{k}", issue, due, amount, now)[0]
                     for k, (issue, due, amount) in enumerate(plan)]
    write([twin, *twin_invoices])
    want = _shape(_raw(Customer, (tenant_id, via_api)))
    got = _shape(_raw(Customer, (tenant_id, twin.customer_id)))
    assert got == want, f"seeded customer differs from the API's:\n{got}\n{want}"
    want_inv = _shape(_raw(Invoice, (tenant_id, invoice_ids[0])))
    got_inv = _shape(_raw(Invoice, (tenant_id, twin_invoices[0].invoice_id)))
    assert got_inv == want_inv, f"seeded invoice differs from the API's:\n{got_inv}\n{want_inv}"
    # And a seeded customer reads back through the API with totals equal to the sum of its invoices.
    sample = seeded.customer_ids[len(seeded.customer_ids) // 2]
    view = api.get(f"/v1/customers/{sample}").data
    listed = api.get(f"/v1/customers/{sample}/invoices?limit=50").data["items"]
    assert view["outstanding"] == sum(i["outstanding"] for i in listed) > 0, (view, listed)
    assert view["open_invoices"] == len(listed), (view, listed)
    assert view["overdue_amount"] == sum(i["outstanding"] for i in listed if i["overdue"]), (view, listed)
    for customer_id in (via_api, twin.customer_id):  # leave the tenant as seeded
        for invoice_id in (invoice_ids if customer_id == via_api else [i.invoice_id for i in twin_invoices]):
            Invoice(tenant_id, invoice_id).delete()
        Customer(tenant_id, customer_id).delete()
