"""Senders: SES verification status, the system sender, require_sendable, isolation.

moto's ``verify_email_identity`` marks an address verified at once, so "verified" is what a freshly
added sender shows here. The not-verified path is an address whose SES identity is gone (deleted
with SES ``delete_identity`` after adding): SES no longer knows it, so it reads "failed" (verification
is not under way and will not complete by itself) until the tenant restarts it.
"""

from __future__ import annotations

import pytest

from chalicelib.adapters import aws
from chalicelib.domain import errors
from chalicelib.services import senders

SYSTEM = {"email": "no-reply@nhacno.vn", "status": "verified", "is_system": True, "created_at": None}


def tenant_id_of(api) -> str:
    return api.key.split(".")[1]


def test_system_sender_is_listed_first_and_verified(api):
    response = api.get("/v1/senders")
    assert response.status_code == 200
    assert response.data == {"items": [SYSTEM], "next_cursor": None}
    assert api.get("/v1/senders/no-reply%40nhacno.vn").data == SYSTEM


def test_adding_a_sender_starts_ses_verification(api):
    response = api.post("/v1/senders", {"email": "CongNo@MinhAnh.VN"})
    assert response.status_code == 201, response.body
    assert response.data["email"] == "CongNo@minhanh.vn"
    assert response.data["status"] == "verified" and response.data["is_system"] is False
    assert "CongNo@minhanh.vn" in aws.client("ses").list_identities()["Identities"]
    listed = api.get("/v1/senders").data["items"]
    assert [item["email"] for item in listed] == ["no-reply@nhacno.vn", "CongNo@minhanh.vn"]


def test_sender_whose_ses_identity_is_gone_reads_failed_and_cannot_send(api):
    api.post("/v1/senders", {"email": "congno@minhanh.vn"})
    aws.client("ses").delete_identity(Identity="congno@minhanh.vn")
    assert api.get("/v1/senders/congno%40minhanh.vn").data["status"] == "failed"
    response = api.patch("/v1/settings", {"default_sender": "congno@minhanh.vn"})
    assert response.status_code == 422
    assert "not verified" in response.data["errors"][0]["message"]
    with pytest.raises(errors.ValidationFailed):
        senders.require_sendable(tenant_id_of(api), "congno@minhanh.vn")
    # Restarting verification brings it back (moto verifies at once).
    again = api.post("/v1/senders/congno%40minhanh.vn/verification")
    assert again.status_code == 202 and again.data["status"] == "verified"
    senders.require_sendable(tenant_id_of(api), "congno@minhanh.vn")


def test_pending_status_comes_from_ses():
    assert senders.SES_STATUS["Pending"] == "pending"
    assert senders.SES_STATUS["NotStarted"] == "pending"
    assert senders.SES_STATUS["Failed"] == senders.SES_STATUS["TemporaryFailure"] == "failed"


def test_require_sendable_accepts_only_system_or_own_verified_senders(api, other):
    api.post("/v1/senders", {"email": "congno@minhanh.vn"})
    senders.require_sendable(tenant_id_of(api), "no-reply@nhacno.vn")
    senders.require_sendable(tenant_id_of(api), "congno@minhanh.vn")
    for tenant_id, email in ((tenant_id_of(other), "congno@minhanh.vn"), (tenant_id_of(api), "x@y.vn"),
                             (tenant_id_of(api), "not an email")):
        with pytest.raises(errors.ValidationFailed) as caught:
            senders.require_sendable(tenant_id, email, field_name="sender")
        assert caught.value.errors[0].field == "sender"


def test_system_sender_cannot_be_added_or_deleted(api):
    assert api.post("/v1/senders", {"email": "no-reply@nhacno.vn"}).status_code == 409
    assert api.delete("/v1/senders/no-reply%40nhacno.vn").status_code == 409
    assert api.get("/v1/senders").data["items"] == [SYSTEM]


def test_duplicate_and_invalid_senders_are_refused(api):
    api.post("/v1/senders", {"email": "congno@minhanh.vn"})
    assert api.post("/v1/senders", {"email": "congno@minhanh.vn"}).status_code == 409
    for body in ({"email": "not-an-email"}, {}, {"email": "a@b.vn", "name": "x"}, {"email": "a\r\n@b.vn"}):
        assert api.post("/v1/senders", body).status_code == 422, body


def test_deleting_a_sender(api):
    api.post("/v1/senders", {"email": "congno@minhanh.vn"})
    assert api.delete("/v1/senders/congno%40minhanh.vn").status_code == 204
    assert api.get("/v1/senders/congno%40minhanh.vn").status_code == 404
    assert api.delete("/v1/senders/congno%40minhanh.vn").status_code == 404
    assert api.get("/v1/senders").data["items"] == [SYSTEM]


def test_the_default_sender_cannot_be_deleted(api):
    api.post("/v1/senders", {"email": "congno@minhanh.vn"})
    api.patch("/v1/settings", {"default_sender": "congno@minhanh.vn"})
    assert api.delete("/v1/senders/congno%40minhanh.vn").status_code == 409
    assert api.get("/v1/senders/congno%40minhanh.vn").status_code == 200


def test_another_tenants_sender_is_not_found(api, other):
    api.post("/v1/senders", {"email": "congno@minhanh.vn"})
    assert other.get("/v1/senders/congno%40minhanh.vn").status_code == 404
    assert other.delete("/v1/senders/congno%40minhanh.vn").status_code == 404
    assert other.post("/v1/senders/congno%40minhanh.vn/verification").status_code == 404
    assert api.get("/v1/senders/congno%40minhanh.vn").status_code == 200
    assert other.get("/v1/senders").data["items"] == [SYSTEM]


def test_list_pages_with_the_system_sender_on_the_first_page(api):
    emails = [f"nv{n}@minhanh.vn" for n in range(3)]
    for email in emails:
        api.post("/v1/senders", {"email": email})
    seen, cursor = [], None
    while True:
        page = api.get("/v1/senders?limit=2" + (f"&cursor={cursor}" if cursor else "")).data
        seen += [item["email"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ["no-reply@nhacno.vn", *emails]


def test_statuses_are_read_from_ses_in_batches_of_100(api):
    addresses = [f"nv{n}@minhanh.vn" for n in range(150)]
    ses = aws.client("ses")
    for address in addresses[:120]:
        ses.verify_email_identity(EmailAddress=address)
    statuses = senders.ses_statuses(addresses)
    assert len(statuses) == 150
    assert {statuses[a] for a in addresses[:120]} == {"verified"}
    assert {statuses[a] for a in addresses[120:]} == {"failed"}
