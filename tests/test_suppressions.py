"""The suppression list: filled by the reminders' SES events through the service, read and cleared by the API."""

from __future__ import annotations

from chalicelib.services import suppressions


def tenant_id_of(api) -> str:
    return api.key.split(".")[1]


def test_suppressed_addresses_are_listed_and_can_be_removed(api):
    tenant_id = tenant_id_of(api)
    suppressions.suppress(tenant_id, "KeToan@BinhMinh.vn", "bounce", "rem_1")
    suppressions.suppress(tenant_id, "spam@binhminh.vn", "complaint")
    items = api.get("/v1/suppressions").data["items"]
    assert [(item["email"], item["reason"], item["reminder_id"]) for item in items] == [
        ("ketoan@binhminh.vn", "bounce", "rem_1"), ("spam@binhminh.vn", "complaint", None)]
    assert api.delete("/v1/suppressions/KeToan%40BinhMinh.vn").status_code == 204
    assert [item["email"] for item in api.get("/v1/suppressions").data["items"]] == ["spam@binhminh.vn"]
    assert api.delete("/v1/suppressions/ketoan%40binhminh.vn").status_code == 404


def test_is_suppressed_answers_for_many_addresses_at_once(api):
    tenant_id = tenant_id_of(api)
    suppressions.suppress(tenant_id, "a@x.vn", "bounce")
    suppressions.suppress(tenant_id, "b@x.vn", "complaint")
    wanted = ["A@x.vn", "c@x.vn", "b@x.vn", *[f"n{n}@x.vn" for n in range(150)]]
    assert suppressions.is_suppressed(tenant_id, wanted) == {"a@x.vn", "b@x.vn"}
    assert suppressions.is_suppressed(tenant_id, []) == set()


def test_a_second_suppression_keeps_the_first_reason(api):
    tenant_id = tenant_id_of(api)
    suppressions.suppress(tenant_id, "a@x.vn", "bounce", "rem_1")
    suppressions.suppress(tenant_id, "a@x.vn", "complaint", "rem_2")
    items = api.get("/v1/suppressions").data["items"]
    assert [(item["reason"], item["reminder_id"]) for item in items] == [("bounce", "rem_1")]


def test_suppressions_are_per_tenant(api, other):
    suppressions.suppress(tenant_id_of(api), "a@x.vn", "bounce")
    assert other.get("/v1/suppressions").data["items"] == []
    assert suppressions.is_suppressed(tenant_id_of(other), ["a@x.vn"]) == set()
    assert other.delete("/v1/suppressions/a%40x.vn").status_code == 404
    assert len(api.get("/v1/suppressions").data["items"]) == 1


def test_list_is_paged_and_needs_a_key(api):
    tenant_id = tenant_id_of(api)
    for n in range(3):
        suppressions.suppress(tenant_id, f"n{n}@x.vn", "bounce")
    first = api.get("/v1/suppressions?limit=2").data
    second = api.get(f"/v1/suppressions?limit=2&cursor={first['next_cursor']}").data
    assert [item["email"] for item in first["items"] + second["items"]] == ["n0@x.vn", "n1@x.vn", "n2@x.vn"]
    assert second["next_cursor"] is None
    assert api.get("/v1/suppressions?limit=500").status_code == 422
    assert api.as_(None).get("/v1/suppressions").status_code == 401
