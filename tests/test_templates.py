"""Templates through the API: built-ins, copies, defaults, the sandbox check, tenant isolation."""

from __future__ import annotations

import pytest

TEMPLATE = {"name": "Nhắc lần 2", "subject": "Nhắc nợ lần 2 – {{ customer.name }}",
            "html": "<p>Kính gửi {{ customer.name }}, còn nợ {{ total_outstanding|money }}.</p>",
            "text": "Kính gửi {{ customer.name }}, còn nợ {{ total_outstanding|money }}."}


def create(api, **fields):
    response = api.post("/v1/templates", {**TEMPLATE, **fields})
    assert response.status_code == 201, response.body
    return response.data


def test_every_tenant_lists_the_builtins_first(api, other):
    for tenant in (api, other):
        items = tenant.get("/v1/templates").data["items"]
        assert [item["id"] for item in items] == ["builtin-vi", "builtin-en"]
        assert items[0]["is_default"] is True and items[1]["is_default"] is False
        assert items[0]["is_builtin"] is True and items[0]["locale"] == "vi"
        assert "{{ customer.name }}" in items[0]["html"]


def test_builtins_are_gettable_but_not_editable_or_deletable(api):
    got = api.get("/v1/templates/builtin-en")
    assert got.status_code == 200
    assert got.data["locale"] == "en" and got.data["is_builtin"] is True
    assert api.patch("/v1/templates/builtin-vi", {"name": "Mine"}).status_code == 409
    assert api.delete("/v1/templates/builtin-vi").status_code == 409
    assert api.get("/v1/templates/builtin-fr").status_code == 404


def test_create_get_patch_delete_roundtrip(api):
    created = create(api)
    assert created["is_default"] is False and created["is_builtin"] is False
    assert created["name"] == "Nhắc lần 2" and created["locale"] == "vi"
    assert api.get(f"/v1/templates/{created['id']}").data == created
    patched = api.patch(f"/v1/templates/{created['id']}", {"subject": "Lần 3 – {{ customer.code }}", "locale": "en"})
    assert patched.status_code == 200, patched.body
    assert patched.data["subject"] == "Lần 3 – {{ customer.code }}" and patched.data["locale"] == "en"
    assert patched.data["html"] == TEMPLATE["html"]
    assert api.delete(f"/v1/templates/{created['id']}").status_code == 204
    assert api.get(f"/v1/templates/{created['id']}").status_code == 404
    assert api.delete(f"/v1/templates/{created['id']}").status_code == 404


def test_copy_from_a_builtin_fills_the_fields_not_given(api):
    response = api.post("/v1/templates", {"copy_from": "builtin-en", "subject": "Reminder {{ customer.code }}"})
    assert response.status_code == 201, response.body
    copy = response.data
    builtin = api.get("/v1/templates/builtin-en").data
    assert copy["subject"] == "Reminder {{ customer.code }}"
    assert (copy["html"], copy["text"], copy["locale"]) == (builtin["html"], builtin["text"], "en")
    assert copy["name"] == builtin["name"] + " (copy)"
    assert copy["id"].startswith("tpl_")


def test_copy_from_needs_a_template_of_this_tenant(api, other):
    mine = create(api)
    assert api.post("/v1/templates", {"copy_from": "tpl_nope"}).status_code == 422
    response = other.post("/v1/templates", {"copy_from": mine["id"]})
    assert response.status_code == 422
    assert response.data["errors"][0]["field"] == "copy_from"


def test_fields_are_required_without_copy_from(api):
    response = api.post("/v1/templates", {"name": "Trống"})
    assert response.status_code == 422
    assert {e["field"] for e in response.data["errors"]} == {"subject", "html", "text"}


def test_is_default_follows_the_tenant_setting(api):
    first = create(api, is_default=True)
    assert first["is_default"] is True
    assert api.get("/v1/settings").data["default_template_id"] == first["id"]
    second = create(api)
    api.patch(f"/v1/templates/{second['id']}", {"is_default": True})
    defaults = {item["id"]: item["is_default"] for item in api.get("/v1/templates").data["items"]}
    assert defaults == {"builtin-vi": False, "builtin-en": False, first["id"]: False, second["id"]: True}
    # Unsetting the default falls back to the built-in of the tenant's locale.
    api.patch(f"/v1/templates/{second['id']}", {"is_default": False})
    assert api.get("/v1/settings").data["default_template_id"] == "builtin-vi"


def test_default_and_auto_reminder_templates_cannot_be_deleted(api):
    default = create(api, is_default=True)
    response = api.delete(f"/v1/templates/{default['id']}")
    assert response.status_code == 409
    assert api.get(f"/v1/templates/{default['id']}").status_code == 200
    auto = create(api)
    api.patch("/v1/settings", {"auto_reminders": {"enabled": True, "template_id": auto["id"]}})
    assert api.delete(f"/v1/templates/{auto['id']}").status_code == 409


@pytest.mark.parametrize("field, value, line", [
    ("html", "<p>ok</p>\n{{ ''.__class__.__mro__[1].__subclasses__() }}", "line 2"),
    ("html", "{{ cycler.__init__.__globals__.os.popen('id').read() }}", "line 1"),
    ("subject", "{{ self.__init__.__globals__ }}", "line 1"),
    ("text", "Chào\n\n{% if customer %}{{ customer.name }", "line 3"),
    ("text", "{% if false %}{{ lipsum.__globals__ }}{% endif %}", "line 1"),
    ("html", "{% include '/etc/passwd' %}", "line 1"),
])
def test_templates_that_do_not_compile_or_escape_the_sandbox_are_refused_with_the_line(api, field, value, line):
    response = api.post("/v1/templates", {**TEMPLATE, field: value})
    assert response.status_code == 422, response.body
    error = response.data["errors"][0]
    assert error["field"] == field and line in error["message"]
    assert [item["id"] for item in api.get("/v1/templates").data["items"]] == ["builtin-vi", "builtin-en"]


def test_a_patch_that_breaks_the_template_is_refused_and_changes_nothing(api):
    created = create(api)
    response = api.patch(f"/v1/templates/{created['id']}", {"html": "{{ cycler.__init__.__globals__ }}"})
    assert response.status_code == 422
    assert api.get(f"/v1/templates/{created['id']}").data["html"] == TEMPLATE["html"]


@pytest.mark.parametrize("body", [
    {"subject": None}, {"name": ""}, {"locale": "fr"}, {"html": "x" * 60_001}, {"colour": "blue"},
])
def test_invalid_patches_are_refused(api, body):
    created = create(api)
    assert api.patch(f"/v1/templates/{created['id']}", body).status_code == 422


def test_another_tenants_template_is_not_found_and_unchanged(api, other):
    mine = create(api)
    assert other.get(f"/v1/templates/{mine['id']}").status_code == 404
    assert other.patch(f"/v1/templates/{mine['id']}", {"name": "Hijacked"}).status_code == 404
    assert other.delete(f"/v1/templates/{mine['id']}").status_code == 404
    assert other.patch(f"/v1/templates/{mine['id']}", {"is_default": True}).status_code == 404
    assert api.get(f"/v1/templates/{mine['id']}").data == mine
    assert [item["id"] for item in other.get("/v1/templates").data["items"]] == ["builtin-vi", "builtin-en"]


def test_list_pages_through_builtins_and_own_templates(api):
    own = [create(api, name=f"Mẫu {n}")["id"] for n in range(3)]
    seen, cursor = [], None
    while True:
        page = api.get("/v1/templates?limit=2" + (f"&cursor={cursor}" if cursor else "")).data
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ["builtin-vi", "builtin-en", *own]


def test_a_cursor_from_another_tenant_is_refused(api, other):
    create(api)
    cursor = api.get("/v1/templates?limit=1").data["next_cursor"]
    assert other.get(f"/v1/templates?cursor={cursor}").status_code == 400
    assert api.get("/v1/templates?cursor=garbage").status_code == 400


def test_idempotent_create_returns_the_first_template(api):
    headers = {"Idempotency-Key": "tpl-1"}
    first = api.post("/v1/templates", TEMPLATE, headers=headers)
    again = api.post("/v1/templates", TEMPLATE, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.data["id"] == again.data["id"]
    assert len(api.get("/v1/templates").data["items"]) == 3


def test_vietnamese_text_roundtrips_unchanged(api):
    created = create(api, name="Mẫu nhắc nợ – Đợt cuối năm", text="Trân trọng cảm ơn Quý khách! ₫ ✓")
    got = api.get(f"/v1/templates/{created['id']}").data
    assert got["name"] == "Mẫu nhắc nợ – Đợt cuối năm"
    assert got["text"] == "Trân trọng cảm ơn Quý khách! ₫ ✓"
