"""GET /v1/openapi.json is a valid OpenAPI 3.1 document that describes exactly the app's routes."""

from __future__ import annotations

from openapi_spec_validator import validate


def _spec(api):
    response = api.get("/v1/openapi.json", key="")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    return response.data


def test_openapi_document_is_valid_openapi_3_1(api):
    spec = _spec(api)
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_every_route_of_the_app_is_in_the_spec_and_nothing_else(api):
    from app import app

    in_app = {(path, method.lower()) for path, methods in app.routes.items() for method in methods
              if method != "OPTIONS"}
    spec = _spec(api)
    in_spec = {(path, method) for path, operations in spec["paths"].items() for method in operations
               if method in {"get", "post", "put", "patch", "delete"}}
    assert in_app - in_spec == set(), "routes missing from the spec"
    assert in_spec - in_app == set(), "the spec describes routes the app does not have"


def test_spec_says_which_routes_need_a_key(api):
    spec = _spec(api)
    assert "security" not in spec["paths"]["/v1/health"]["get"]
    assert "security" not in spec["paths"]["/v1/openapi.json"]["get"]
    assert spec["paths"]["/v1/customers"]["post"]["security"] == [{"apiKey": []}]
    assert spec["paths"]["/v1/admin/tenants"]["post"]["security"] == [{"adminKey": []}]
    create = spec["paths"]["/v1/customers"]["post"]
    assert "201" in create["responses"] and "422" in create["responses"] and "409" in create["responses"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])


def test_every_schema_reference_resolves(api):
    spec = _spec(api)
    schemas = spec["components"]["schemas"]
    refs: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    assert refs
    missing = {ref for ref in refs if ref.rsplit("/", 1)[-1] not in schemas}
    assert missing == set()
