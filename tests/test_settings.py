"""GET/PATCH /v1/settings: defaults, validation, references to templates/senders/accounts, concurrency."""

from __future__ import annotations

import pytest

from chalicelib.domain import errors
from chalicelib.services import tenants
from chalicelib.services.settings import TenantChange, change_tenant, template_exists_check

ACCOUNT = {"bank_bin": "970436", "account_number": "0071000123456", "account_name": "Công ty TNHH Minh Anh"}
TEMPLATE = {"name": "Nhắc nhẹ", "subject": "Nhắc nợ {{ customer.name }}", "html": "<p>{{ amount|money }}</p>",
            "text": "{{ amount|money }}"}


def test_new_tenant_sees_effective_defaults(api):
    response = api.get("/v1/settings")
    assert response.status_code == 200
    assert response.data == {
        "company_name": "Công ty TNHH Minh Anh", "default_sender": "no-reply@nhacno.vn", "reply_to": None,
        "default_template_id": "builtin-vi", "default_bank_account_id": None, "timezone": "Asia/Ho_Chi_Minh",
        "locale": "vi", "currency": "VND", "auto_reminders": {"enabled": False, "template_id": None, "rules": []},
        "version": 0,
    }


def test_patch_changes_only_the_fields_given_and_get_shows_them(api):
    response = api.patch("/v1/settings", {"company_name": "Công ty TNHH Minh Anh (CN Hà Nội)",
                                          "reply_to": "congno@minhanh.vn", "timezone": "Asia/Bangkok",
                                          "locale": "en"})
    assert response.status_code == 200, response.body
    got = api.get("/v1/settings").data
    assert got["company_name"] == "Công ty TNHH Minh Anh (CN Hà Nội)"
    assert got["reply_to"] == "congno@minhanh.vn"
    assert got["timezone"] == "Asia/Bangkok"
    assert got["locale"] == "en"
    assert got["default_template_id"] == "builtin-en"  # the built-in follows the locale
    assert got["default_sender"] == "no-reply@nhacno.vn"


def test_null_puts_a_field_back_to_its_default(api):
    api.patch("/v1/settings", {"timezone": "Asia/Tokyo", "reply_to": "a@b.vn", "locale": "en"})
    response = api.patch("/v1/settings", {"timezone": None, "reply_to": None, "locale": None})
    assert response.status_code == 200
    assert (response.data["timezone"], response.data["reply_to"], response.data["locale"]) == \
        ("Asia/Ho_Chi_Minh", None, "vi")


def test_timezone_change_moves_today_at_once(api):
    tenant_id = api.key.split(".")[1]
    tenants.get(tenant_id)  # warm this instance's cache
    api.patch("/v1/settings", {"timezone": "America/New_York"})
    assert tenants.timezone_of(tenants.get(tenant_id)) == "America/New_York"


@pytest.mark.parametrize("body, field", [
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": "../../etc/passwd"}, "timezone"),
    ({"locale": "fr"}, "locale"),
    ({"reply_to": "not-an-email"}, "reply_to"),
    ({"company_name": ""}, "company_name"),
    ({"default_sender": "someone@else.vn"}, "default_sender"),
    ({"default_template_id": "tpl_nope"}, "default_template_id"),
    ({"default_template_id": "builtin-fr"}, "default_template_id"),
    ({"default_bank_account_id": "bank_nope"}, "default_bank_account_id"),
    ({"default_bank_account_id": None}, "default_bank_account_id"),
    ({"auto_reminders": {"enabled": True, "template_id": "tpl_nope"}}, "auto_reminders.template_id"),
    ({"auto_reminders": {"rules": [{"offset_days": 366}]}}, "auto_reminders.rules.0.offset_days"),
    ({"auto_reminders": {"rules": [{"offset_days": -366}]}}, "auto_reminders.rules.0.offset_days"),
    ({"auto_reminders": {"rules": [{"offset_days": 1, "repeat_every_days": 0}]}},
     "auto_reminders.rules.0.repeat_every_days"),
    ({"auto_reminders": {"rules": [{"offset_days": 1, "repeat_every_days": 3, "max_repeats": 0}]}},
     "auto_reminders.rules.0.max_repeats"),
    ({"auto_reminders": {"rules": [{"offset_days": 1, "max_repeats": 2}]}}, "auto_reminders.rules.0"),
    ({"auto_reminders": {"rules": [{"offset_days": 3}, {"offset_days": 3}]}}, "auto_reminders"),
    ({"auto_reminders": {"rules": [{"offset_days": n} for n in range(21)]}}, "auto_reminders.rules"),
    ({"auto_reminders": {"rules": [{"offset_days": "7"}]}}, "auto_reminders.rules.0.offset_days"),
    ({"currency": "USD"}, "currency"),
])
def test_invalid_settings_are_refused_and_change_nothing(api, body, field):
    before = api.get("/v1/settings").data
    response = api.patch("/v1/settings", body)
    assert response.status_code == 422, response.body
    assert response.headers["Content-Type"] == "application/problem+json"
    assert field in [error["field"] for error in response.data["errors"]]
    assert api.get("/v1/settings").data == before


def test_auto_reminder_rules_are_stored_sorted_by_offset(api):
    rules = [{"offset_days": 7, "repeat_every_days": 7, "max_repeats": 3}, {"offset_days": -3}, {"offset_days": 0}]
    response = api.patch("/v1/settings", {"auto_reminders": {"enabled": True, "rules": rules}})
    assert response.status_code == 200, response.body
    auto = api.get("/v1/settings").data["auto_reminders"]
    assert auto["enabled"] is True
    assert [rule["offset_days"] for rule in auto["rules"]] == [-3, 0, 7]
    assert auto["rules"][2] == {"offset_days": 7, "repeat_every_days": 7, "max_repeats": 3}


def test_references_to_own_template_account_and_verified_sender_are_accepted(api):
    template = api.post("/v1/templates", TEMPLATE).data
    account = api.post("/v1/bank-accounts", ACCOUNT).data
    second = api.post("/v1/bank-accounts", {**ACCOUNT, "account_number": "1903123456789"}).data
    assert api.post("/v1/senders", {"email": "congno@minhanh.vn"}).status_code == 201
    response = api.patch("/v1/settings", {
        "default_template_id": template["id"], "default_bank_account_id": second["id"],
        "default_sender": "congno@minhanh.vn",
        "auto_reminders": {"enabled": True, "template_id": "builtin-en", "rules": [{"offset_days": 0}]}})
    assert response.status_code == 200, response.body
    got = api.get("/v1/settings").data
    assert got["default_template_id"] == template["id"]
    assert got["default_bank_account_id"] == second["id"]
    assert got["default_sender"] == "congno@minhanh.vn"
    assert api.get(f"/v1/bank-accounts/{account['id']}").data["is_default"] is False
    assert api.get(f"/v1/bank-accounts/{second['id']}").data["is_default"] is True
    assert api.get(f"/v1/templates/{template['id']}").data["is_default"] is True


def test_system_sender_is_always_an_acceptable_default(api):
    api.post("/v1/senders", {"email": "congno@minhanh.vn"})
    api.patch("/v1/settings", {"default_sender": "congno@minhanh.vn"})
    response = api.patch("/v1/settings", {"default_sender": "no-reply@nhacno.vn"})
    assert response.status_code == 200
    assert response.data["default_sender"] == "no-reply@nhacno.vn"


def test_another_tenants_template_account_or_sender_cannot_be_referenced(api, other):
    template = api.post("/v1/templates", TEMPLATE).data
    account = api.post("/v1/bank-accounts", ACCOUNT).data
    api.post("/v1/senders", {"email": "congno@minhanh.vn"})
    for body in ({"default_template_id": template["id"]}, {"default_bank_account_id": account["id"]},
                 {"default_sender": "congno@minhanh.vn"},
                 {"auto_reminders": {"enabled": True, "template_id": template["id"]}}):
        response = other.patch("/v1/settings", body)
        assert response.status_code == 422, (body, response.body)
    assert other.get("/v1/settings").data["version"] == 0


def test_settings_are_per_tenant(api, other):
    api.patch("/v1/settings", {"company_name": "Minh Anh", "timezone": "Asia/Tokyo"})
    got = other.get("/v1/settings").data
    assert got["company_name"] == "Công ty Cổ phần Bình Minh"
    assert got["timezone"] == "Asia/Ho_Chi_Minh"


def test_unknown_fields_and_bad_bodies_are_refused(api):
    assert api.patch("/v1/settings", {"colour": "blue"}).status_code == 422
    assert api.patch("/v1/settings", raw="{not json").status_code == 400
    assert api.patch("/v1/settings", [1, 2]).status_code == 422


def test_settings_need_a_key(api):
    assert api.get("/v1/settings", key="nk.x.y.z").status_code == 401
    assert api.as_(None).patch("/v1/settings", {"locale": "en"}).status_code == 401


def tenant_id_of(api) -> str:
    return api.key.split(".")[1]


def test_a_settings_change_that_lost_a_race_runs_again_and_keeps_both_changes(api):
    # A concurrent PATCH lands between this change's read and its write: the version condition refuses
    # the stale write, and the change is decided again on fresh data instead of overwriting the other.
    seen_versions = []

    def decide(tenant):
        seen_versions.append(tenant.version)
        if len(seen_versions) == 1:
            assert api.patch("/v1/settings", {"reply_to": "race@minhanh.vn"}).status_code == 200
        return TenantChange({"company_name": "Minh Anh"})

    change_tenant(tenant_id_of(api), decide)
    assert seen_versions == [0, 1]
    got = api.get("/v1/settings").data
    assert (got["company_name"], got["reply_to"], got["version"]) == ("Minh Anh", "race@minhanh.vn", 2)


def test_a_default_template_deleted_meanwhile_is_refused_not_dangling(api):
    template = api.post("/v1/templates", TEMPLATE).data
    calls = []

    def decide(tenant):
        calls.append(1)
        checks = template_exists_check(tenant.tenant_id, template["id"], "default_template_id")
        if len(calls) == 1:
            assert api.delete(f"/v1/templates/{template['id']}").status_code == 204
        return TenantChange({"default_template_id": template["id"]}, checks)

    with pytest.raises(errors.ValidationFailed):
        change_tenant(tenant_id_of(api), decide)
    assert api.get("/v1/settings").data["default_template_id"] == "builtin-vi"


def test_openapi_describes_the_settings_routes(api):
    paths = api.get("/v1/openapi.json").data["paths"]
    for path in ("/v1/settings", "/v1/templates", "/v1/templates/{template_id}", "/v1/senders",
                 "/v1/senders/{email}", "/v1/bank-accounts", "/v1/bank-accounts/{account_id}", "/v1/banks",
                 "/v1/suppressions", "/v1/suppressions/{email}"):
        assert path in paths, path
    assert "requestBody" in paths["/v1/settings"]["patch"]
