"""Tenancy and authentication, swept over every route the OpenAPI document lists.

The routes come from ``GET /v1/openapi.json`` at test time, so a route added tomorrow is attacked
without editing this file. Tenant A first creates one of every resource; then

- every keyed route with a path id, called by tenant B with A's ids, answers 404 problem+json and
  changes nothing (A's view through every GET route is identical before and after);
- every route the document marks with ``security`` answers 401 with no key, a wrong key, and a key
  A has deleted, and changes nothing either.

A path parameter this file has no value for fails the sweep loudly: whoever adds a route with a new
kind of id adds one line to ``A_IDS`` below (or to ``ids_of_a``).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from freezegun import freeze_time

from chalicelib.services import suppressions
from tests import factories
from tests.conftest import ADMIN_KEY, Api

NOW = "2026-12-04T03:00:00Z"
PARAM = re.compile(r"{(\w+)}")
PROBLEM = "application/problem+json"

# Bodies that pass validation, by request schema, so that B's call reaches the view and must answer 404
# (a 422 would prove nothing about tenancy). A schema missing here is filled from its required fields.
BODIES: dict[str, Any] = {
    "CustomerPatch": {"name": "Bị sửa bởi B"},
    "InvoicePatch": {"amount": 100_000},
    "PaymentIn": {"amount": 1_000, "paid_on": "2026-12-01"},
    "ReminderChoices": {},
    "ManualReminderIn": {"reminded_on": "2026-12-01", "channel": "sms", "note": "B"},
    "TemplatePatch": {"name": "Bị sửa"},
    "BankAccountPatch": {"is_default": True},
    "BankTransactionMatch": {"invoice_ids": ["inv_x"]},
    "VietQRIn": {"amount": 1_000},
}


def ids_of_a(api: Api) -> dict[str, str]:
    """One of every resource for tenant A; the value for each path parameter, keyed by
    ``<first path segment after /v1>:<parameter>`` or by the parameter alone."""
    customer = factories.customer(api, name="Khách riêng của A", emails=["ketoan@khach-a.vn"])
    invoice = factories.invoice(api, customer["id"], amount=2_000_000, due_date="2026-11-01")
    assert factories.pay(api, invoice["id"], 100_000).status_code == 201
    reminder = api.post(f"/v1/customers/{customer['id']}/reminders", {})
    assert reminder.status_code == 202, reminder.body
    batch = api.post("/v1/reminder-batches", {"customer_ids": [customer["id"]]})
    assert batch.status_code == 202, batch.body
    builtin = api.get("/v1/templates").data["items"][0]["id"]
    template = api.post("/v1/templates", {"copy_from": builtin, "name": "Mẫu của A"})
    assert template.status_code == 201, template.body
    sender = api.post("/v1/senders", {"email": "ketoan@cong-ty-a.vn"})
    assert sender.status_code == 201, sender.body
    account = api.post("/v1/bank-accounts", {"bank_bin": "970436", "account_number": "0071000123456",
                                            "account_name": "CONG TY A"})
    assert account.status_code == 201, account.body
    suppressions.suppress(api.key.split(".")[1], "bi-chan@khach-a.vn", "bounce", reminder.data["id"])
    key = api.post("/v1/api-keys", {"name": "Khóa phụ của A"})
    assert key.status_code == 201, key.body
    ids = {
        "customer_id": customer["id"], "invoice_id": invoice["id"], "reminder_id": reminder.data["id"],
        "batch_id": batch.data["id"], "template_id": template.data["id"], "account_id": account.data["id"],
        "key_id": key.data["id"], "senders:email": "ketoan@cong-ty-a.vn",
        "suppressions:email": "bi-chan@khach-a.vn",
    }
    transaction = api.post("/v1/bank-transactions", {
        "account_number": "0071000123456", "amount": 50_000, "description": "chuyen khoan A",
        "transaction_time": "2026-12-03T08:00:00Z", "reference": "FT-A-1"})
    if transaction.status_code != 404:  # the route exists (it is being built now)
        assert transaction.status_code in (200, 201, 202), transaction.body
        ids["transaction_id"] = transaction.data["id"]
    return ids


def operations(api: Api) -> list[tuple[str, str, dict[str, Any]]]:
    spec = api.get("/v1/openapi.json")
    assert spec.status_code == 200
    return [(method.upper(), path, op) for path, ops in spec.data["paths"].items() for method, op in ops.items()]


def fill(path: str, ids: dict[str, str]) -> str:
    segment = path.split("/")[2] if path.startswith("/v1/") else path.split("/")[1]

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        found = ids.get(f"{segment}:{name}") or ids.get(name)
        if found is None:
            raise AssertionError(f"{path}: no fixture value for path parameter {{{name}}}; add one of tenant A's "
                                 f"ids for it in tests/test_isolation_sweep.py (ids_of_a)")
        return found

    return PARAM.sub(value, path)


def body_for(op: dict[str, Any], spec: dict[str, Any]) -> Any:
    content = op.get("requestBody", {}).get("content", {}).get("application/json")
    if not content:
        return None
    name = content["schema"]["$ref"].rsplit("/", 1)[1]
    if name in BODIES:
        return BODIES[name]
    return minimal(spec["components"]["schemas"][name], spec)


def minimal(schema: dict[str, Any], spec: dict[str, Any]) -> Any:
    """The smallest instance a schema plausibly accepts: required fields only."""
    if "$ref" in schema:
        return minimal(spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]], spec)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return minimal(next(s for s in schema[key] if s.get("type") != "null"), spec)
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object" or "properties" in schema:
        return {name: minimal(schema["properties"][name], spec) for name in schema.get("required", [])}
    if kind == "array":
        return [minimal(schema.get("items", {}), spec)] * max(1, schema.get("minItems", 0))
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return "2026-12-01"
    if schema.get("format") == "email":
        return "someone@example.vn"
    return "x" * max(1, schema.get("minLength", 1))


def a_view(api: Api, ops: list[tuple[str, str, dict[str, Any]]], ids: dict[str, str]) -> dict[str, Any]:
    """Everything A can read: every keyed GET route, ids filled with A's.

    Read twice, the first time discarded: ``GET /v1/settings/webhook-secret`` makes the secret on first
    read (and bumps the settings' version), which is A's own doing, not the attacker's.
    """
    for _ in range(2):
        view = _read_all(api, ops, ids)
    return view


def _read_all(api: Api, ops: list[tuple[str, str, dict[str, Any]]], ids: dict[str, str]) -> dict[str, Any]:
    view = {}
    for method, path, op in ops:
        if method == "GET" and "security" in op and "adminKey" not in str(op["security"]):
            response = api.get(fill(path, ids))
            view[path] = (response.status_code, response.data)
    return view


@pytest.fixture
def spec(api: Api) -> dict[str, Any]:
    return api.get("/v1/openapi.json").data


@freeze_time(NOW)
def test_every_route_with_a_path_id_is_404_for_another_tenant_and_changes_nothing(api, other, spec):
    ids = ids_of_a(api)
    ops = operations(api)
    before = a_view(api, ops, ids)
    attacked = []
    for method, path, op in ops:
        if not PARAM.search(path):
            continue
        if "security" not in op:
            # Public routes with a path id (``/pay/{token}``) have no tenant to cross: the token is the key.
            continue
        url = fill(path, ids)
        response = other.request(method, url, body_for(op, spec))
        assert response.status_code == 404, (method, url, response.status_code, response.body)
        assert response.headers["Content-Type"] == PROBLEM, (method, url)
        assert response.data["title"] == "Not Found" and response.data["status"] == 404
        assert "Khách riêng của A" not in response.body.decode()
        attacked.append(f"{method} {path}")
    assert len(attacked) >= 25, attacked
    after = a_view(api, ops, ids)
    changed = {p: (before[p], after[p]) for p in before if before[p] != after[p]}
    assert not changed, json.dumps(changed, ensure_ascii=False, indent=1)
    print(f"\n{len(attacked)} routes with a path id: all 404 for the other tenant")


@freeze_time(NOW)
def test_every_secured_route_is_401_without_a_key_with_a_wrong_key_and_with_a_deleted_key(api, spec):
    ids = ids_of_a(api)
    ops = operations(api)
    deleted = api.post("/v1/api-keys", {"name": "Sắp xóa"}).data
    assert api.delete(f"/v1/api-keys/{deleted['id']}").status_code == 204
    tenant_id = api.key.split(".")[1]
    wrong_keys = {
        "no key": "",
        "wrong secret": f"nk.{tenant_id}.{api.key.split('.')[2]}.not-the-secret",
        "made-up key": "nk.ten_nobody.key_nobody.s3cret",
        "not our format": "abc",
        "deleted key": deleted["api_key"],
    }
    before = a_view(api, ops, ids)
    secured = [(m, p, op) for m, p, op in ops if "security" in op]
    public = sorted(f"{m} {p}" for m, p, op in ops if "security" not in op)
    # Public by design: health, the spec, the pay page (its token is the key), the local outbox.
    assert {p.split(" ", 1)[1] for p in public} <= {"/v1/health", "/v1/openapi.json", "/pay/{token}",
                                                     "/local/outbox"}, public
    for method, path, op in secured:
        url = fill(path, ids)
        body = body_for(op, spec)
        for label, key in wrong_keys.items():
            response = api.request(method, url, body, key=key)
            assert response.status_code == 401, (label, method, url, response.status_code, response.body)
            assert response.headers["Content-Type"] == PROBLEM
            assert response.data["status"] == 401
        if "adminKey" in str(op["security"]):  # a tenant's own key is no admin key
            assert api.request(method, url, body).status_code == 401
    after = a_view(api, ops, ids)
    changed = {p: (before[p], after[p]) for p in before if before[p] != after[p]}
    assert not changed, json.dumps(changed, ensure_ascii=False, indent=1)
    # The same request with A's key still works: the 401s were about the key, nothing else.
    assert api.get(f"/v1/customers/{ids['customer_id']}").status_code == 200
    assert api.as_(ADMIN_KEY).get(f"/v1/customers/{ids['customer_id']}").status_code == 401
    print(f"\n{len(secured)} secured routes x {len(wrong_keys)} bad keys: all 401")
