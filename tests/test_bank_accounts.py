"""Bank accounts and the bundled bank list: validation, folding names, the default, isolation."""

from __future__ import annotations

import pytest

from chalicelib.domain.banks import all_banks, bank_for_bin

ACCOUNT = {"bank_bin": "970436", "account_number": "0071000123456", "account_name": "Công ty TNHH Đại Việt"}


def create(api, **fields):
    response = api.post("/v1/bank-accounts", {**ACCOUNT, **fields})
    assert response.status_code == 201, response.body
    return response.data


def test_bank_list_lookup():
    assert bank_for_bin("970436").short_name == "Vietcombank"
    assert bank_for_bin("970418").name == "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam"
    assert bank_for_bin("123456") is None
    assert len(all_banks()) >= 40


def test_banks_route_lists_supported_banks(api):
    items = api.get("/v1/banks").data["items"]
    assert {"bin": "970436", "short_name": "Vietcombank", "name": "Ngân hàng TMCP Ngoại thương Việt Nam"} in items


def test_first_account_becomes_the_default_with_name_folded_and_bank_name_filled(api):
    account = create(api)
    assert account["is_default"] is True
    assert account["bank_name"] == "Vietcombank"
    assert account["account_name"] == "CONG TY TNHH DAI VIET"
    assert api.get("/v1/settings").data["default_bank_account_id"] == account["id"]
    second = create(api, account_number="1903123456", bank_bin="970407", bank_name="Techcombank CN Hà Nội")
    assert second["is_default"] is False and second["bank_name"] == "Techcombank CN Hà Nội"


@pytest.mark.parametrize("fields, field", [
    ({"bank_bin": "123456"}, "bank_bin"),
    ({"bank_bin": "97043"}, "bank_bin"),
    ({"account_number": "12345"}, "account_number"),
    ({"account_number": "1" * 20}, "account_number"),
    ({"account_number": "0071-000-123"}, "account_number"),
    ({"account_name": "ACME & SONS."}, "account_name"),
    ({"account_name": "   "}, "account_name"),
    ({"account_number": 71000123456}, "account_number"),
])
def test_invalid_accounts_are_refused(api, fields, field):
    response = api.post("/v1/bank-accounts", {**ACCOUNT, **fields})
    assert response.status_code == 422, response.body
    assert response.data["errors"][0]["field"] == field
    assert api.get("/v1/bank-accounts").data["items"] == []


def test_duplicate_account_is_a_conflict(api):
    create(api)
    assert api.post("/v1/bank-accounts", ACCOUNT).status_code == 409


def test_making_another_account_the_default(api):
    first = create(api)
    second = create(api, account_number="1903123456", is_default=True)
    assert second["is_default"] is True
    assert api.get(f"/v1/bank-accounts/{first['id']}").data["is_default"] is False
    third = create(api, account_number="1903999999")
    response = api.patch(f"/v1/bank-accounts/{third['id']}", {"is_default": True})
    assert response.status_code == 200 and response.data["is_default"] is True
    assert api.get("/v1/settings").data["default_bank_account_id"] == third["id"]
    # The default cannot be un-defaulted on its own: there must always be one while accounts exist.
    assert api.patch(f"/v1/bank-accounts/{third['id']}", {"is_default": False}).status_code == 409


def test_patch_changes_fields_and_a_new_bank_gets_its_name(api):
    account = create(api)
    response = api.patch(f"/v1/bank-accounts/{account['id']}", {"bank_bin": "970422", "account_name": "Trần Thị Bé"})
    assert response.status_code == 200, response.body
    assert (response.data["bank_bin"], response.data["bank_name"], response.data["account_name"]) == \
        ("970422", "MB", "TRAN THI BE")
    assert api.patch(f"/v1/bank-accounts/{account['id']}", {"bank_bin": "000000"}).status_code == 422
    assert api.patch(f"/v1/bank-accounts/{account['id']}", {"account_number": None}).status_code == 422
    assert api.get(f"/v1/bank-accounts/{account['id']}").data["bank_bin"] == "970422"


def test_default_cannot_be_deleted_while_others_exist_but_the_last_one_can(api):
    first = create(api)
    second = create(api, account_number="1903123456")
    assert api.delete(f"/v1/bank-accounts/{first['id']}").status_code == 409
    assert api.delete(f"/v1/bank-accounts/{second['id']}").status_code == 204
    assert api.delete(f"/v1/bank-accounts/{first['id']}").status_code == 204
    assert api.get("/v1/settings").data["default_bank_account_id"] is None
    assert api.get(f"/v1/bank-accounts/{first['id']}").status_code == 404
    # With none left, the next account becomes the default again.
    assert create(api)["is_default"] is True


def test_another_tenants_account_is_not_found_and_unchanged(api, other):
    mine = create(api)
    assert other.get(f"/v1/bank-accounts/{mine['id']}").status_code == 404
    assert other.patch(f"/v1/bank-accounts/{mine['id']}", {"account_name": "KE GIAN"}).status_code == 404
    assert other.patch(f"/v1/bank-accounts/{mine['id']}", {"is_default": True}).status_code == 404
    assert other.delete(f"/v1/bank-accounts/{mine['id']}").status_code == 404
    assert api.get(f"/v1/bank-accounts/{mine['id']}").data == mine
    assert other.get("/v1/bank-accounts").data["items"] == []
    assert other.get("/v1/settings").data["default_bank_account_id"] is None


def test_list_is_paged(api):
    ids = [create(api, account_number=f"19031234{n:02d}")["id"] for n in range(3)]
    first = api.get("/v1/bank-accounts?limit=2").data
    second = api.get(f"/v1/bank-accounts?limit=2&cursor={first['next_cursor']}").data
    assert [item["id"] for item in first["items"] + second["items"]] == ids
    assert second["next_cursor"] is None
    assert api.get("/v1/bank-accounts?limit=0").status_code == 422
