"""Bearer keys: who may call what, and that a revoked key stops working at once."""

from __future__ import annotations

from tests import factories
from tests.conftest import ADMIN_KEY, new_tenant

PROBLEM = "application/problem+json"


def _is_401(response) -> None:
    assert response.status_code == 401, response.body
    assert response.headers["Content-Type"] == PROBLEM
    assert response.data["status"] == 401
    assert response.headers.get("WWW-Authenticate") == "Bearer"


def test_health_and_openapi_need_no_key(api):
    assert api.get("/v1/health", key="").data == {"status": "ok"}
    assert api.get("/v1/openapi.json", key="").status_code == 200


def test_request_without_key_is_401_problem(api):
    _is_401(api.get("/v1/receivables", key=""))
    _is_401(api.post("/v1/customers", {"code": "KH1", "name": "A"}, key=""))


def test_unknown_or_malformed_keys_are_401(api):
    real = api.key
    tenant_id, key_id = real.split(".")[1:3]
    for bad in ("nope", "nk.a.b", f"nk.{tenant_id}.{key_id}.wrong-secret", f"nk.{tenant_id}.key_missing.x",
                real + "x", ADMIN_KEY):
        _is_401(api.get("/v1/receivables", key=bad))
    _is_401(api.get("/v1/receivables", headers={"Authorization": f"Basic {real}"}, key=""))


def test_admin_route_refuses_tenant_keys_and_no_key(api):
    _is_401(api.post("/v1/admin/tenants", {"name": "X"}, key=api.key))
    _is_401(api.post("/v1/admin/tenants", {"name": "X"}, key=""))
    _is_401(api.post("/v1/admin/tenants", {"name": "X"}, key=ADMIN_KEY + "x"))


def test_admin_creates_tenant_whose_key_works(client):
    tenant = new_tenant(client, "Công ty TNHH Sao Việt")
    response = tenant.post("/v1/admin/tenants", {"name": "Công ty TNHH Sao Việt 2"}, key=ADMIN_KEY)
    assert response.status_code == 201
    assert response.data["name"] == "Công ty TNHH Sao Việt 2"
    assert response.data["tenant_id"] and response.data["api_key"]
    assert tenant.as_(response.data["api_key"]).get("/v1/receivables").status_code == 200


def test_create_tenant_validates_name(client):
    from tests.conftest import Api

    admin = Api(client, ADMIN_KEY)
    response = admin.post("/v1/admin/tenants", {})
    assert response.status_code == 422
    assert [e["field"] for e in response.data["errors"]] == ["name"]


def test_new_api_key_is_shown_once_and_listed_without_secret(api):
    created = api.post("/v1/api-keys", {"name": "Kế toán"})
    assert created.status_code == 201
    secret = created.data["api_key"]
    assert created.data["name"] == "Kế toán"
    listed = api.get("/v1/api-keys").data
    names = {item["name"]: item for item in listed["items"]}
    assert set(names) == {"Default key", "Kế toán"}
    assert "api_key" not in names["Kế toán"]
    assert secret not in api.get("/v1/api-keys").body.decode()
    assert names["Kế toán"]["hint"] == secret[-4:]
    assert api.as_(secret).get("/v1/receivables").status_code == 200


def test_deleted_key_stops_working_at_once(api):
    created = api.post("/v1/api-keys", {"name": "Tạm"}).data
    temp = api.as_(created["api_key"])
    assert temp.get("/v1/receivables").status_code == 200  # now cached on this instance
    assert api.delete(f"/v1/api-keys/{created['id']}").status_code == 204
    _is_401(temp.get("/v1/receivables"))
    assert created["id"] not in {k["id"] for k in api.get("/v1/api-keys").data["items"]}
    assert api.get("/v1/receivables").status_code == 200


def test_a_key_can_revoke_itself(api):
    key_id = api.get("/v1/api-keys").data["items"][0]["id"]
    assert api.delete(f"/v1/api-keys/{key_id}").status_code == 204
    _is_401(api.get("/v1/receivables"))


def test_deleting_unknown_or_already_deleted_key_is_404(api):
    created = api.post("/v1/api-keys", {"name": "Tạm"}).data
    assert api.delete(f"/v1/api-keys/{created['id']}").status_code == 204
    again = api.delete(f"/v1/api-keys/{created['id']}")
    assert again.status_code == 404
    assert again.headers["Content-Type"] == PROBLEM
    assert api.delete("/v1/api-keys/key_unknown").status_code == 404


def test_key_sees_only_its_tenants_data(api, other):
    mine = factories.customer(api)
    assert api.get(f"/v1/customers/{mine['id']}").status_code == 200
    assert other.get(f"/v1/customers/{mine['id']}").status_code == 404
