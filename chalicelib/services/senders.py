"""Sender addresses a tenant may send reminders from, verified through SES.

A tenant adds an address; SES emails it a verification link; the address may send once SES reports
it verified. The status is always read from SES (batched, 100 identities a call), never stored, so
it cannot drift. The deployment's system sender is always listed first, always verified, and can
be neither added nor removed.

SES identities belong to the AWS account, not to a tenant, so removing a sender only removes the
tenant's item: another tenant may use the same address, and we cannot look across tenants without
a Scan. An address whose SES identity is gone (deleted, or never created) reads as ``failed``: its
verification is not under way and will not complete by itself; the tenant must start it again
(``POST /v1/senders/{email}/verification``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError
from pydantic import TypeAdapter, ValidationError
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError

from chalicelib.adapters import aws, clock
from chalicelib.domain import errors
from chalicelib.domain.schemas.common import Email
from chalicelib.services import tenants
from chalicelib.settings import settings as config
from chalicelib.store.paging import query_page
from chalicelib.store.settings_items import Sender

SES_BATCH = 100
SES_STATUS = {"Success": "verified", "Pending": "pending", "NotStarted": "pending",
              "Failed": "failed", "TemporaryFailure": "failed"}
_EMAIL = TypeAdapter(Email)


def normalize(email: str) -> str | None:
    """The address as stored (domain lower-cased), or None when it is not an address at all."""
    try:
        return _EMAIL.validate_python(email)
    except ValidationError:
        return None


def is_system(email: str) -> bool:
    return email.strip().lower() == config.system_sender.lower()


def ses_statuses(emails: Iterable[str]) -> dict[str, str]:
    """Verification status per address, from SES in batches of 100; absent identities read as failed."""
    wanted = list(dict.fromkeys(emails))
    found: dict[str, str] = {}
    ses = aws.client("ses")
    for start in range(0, len(wanted), SES_BATCH):
        chunk = wanted[start:start + SES_BATCH]
        reply = ses.get_identity_verification_attributes(Identities=chunk)
        attributes = reply.get("VerificationAttributes", {})
        for email in chunk:
            status = (attributes.get(email) or {}).get("VerificationStatus")
            found[email] = SES_STATUS.get(status or "", "failed")
    return found


def system_view() -> dict[str, Any]:
    return {"email": config.system_sender, "status": "verified", "is_system": True, "created_at": None}


def sender_view(sender: Sender, status: str) -> dict[str, Any]:
    return {"email": sender.email, "status": status, "is_system": False, "created_at": sender.created_at}


def _get(tenant_id: str, email: str) -> Sender:
    address = normalize(email)
    if address is None:
        raise errors.NotFound(detail=f"No sender {email}.")
    try:
        return Sender.get(tenant_id, address)
    except DoesNotExist:
        raise errors.NotFound(detail=f"No sender {address}.") from None


def get_sender(tenant_id: str, email: str) -> dict[str, Any]:
    if is_system(email):
        return system_view()
    sender = _get(tenant_id, email)
    return sender_view(sender, ses_statuses([sender.email])[sender.email])


def list_page(tenant_id: str, cursor: str | None, limit: int) -> tuple[list[Sender], str | None]:
    return query_page(Sender, lambda **kw: Sender.query(tenant_id, **kw), ("tenant_id", "email"),
                      list_name="senders", tenant_id=tenant_id, cursor=cursor, limit=limit)


def views(senders: list[Sender]) -> list[dict[str, Any]]:
    statuses = ses_statuses(sender.email for sender in senders)
    return [sender_view(sender, statuses[sender.email]) for sender in senders]


def _start_verification(email: str) -> None:
    try:
        aws.client("ses").verify_email_identity(EmailAddress=email)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "InvalidParameterValue":
            raise errors.invalid("email", "SES does not accept this address") from None
        raise


def add_sender(tenant_id: str, email: str) -> dict[str, Any]:
    if is_system(email):
        raise errors.Conflict(detail=f"{email} is the system sender; it is always available.")
    sender = Sender(tenant_id, email, created_at=clock.now_iso())
    try:
        sender.save(condition=Sender.email.does_not_exist())
    except PutError as exc:
        if getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException":
            raise errors.Conflict(detail=f"{email} is already a sender.") from None
        raise
    try:
        _start_verification(email)
    except Exception:
        sender.delete()  # a sender SES never heard of would only ever read "failed"
        raise
    return sender_view(sender, ses_statuses([email])[email])


def restart_verification(tenant_id: str, email: str) -> dict[str, Any]:
    if is_system(email):
        raise errors.Conflict(detail="The system sender needs no verification.")
    sender = _get(tenant_id, email)
    _start_verification(sender.email)
    return sender_view(sender, ses_statuses([sender.email])[sender.email])


def remove_sender(tenant_id: str, email: str) -> None:
    if is_system(email):
        raise errors.Conflict(detail="The system sender cannot be removed.")
    sender = _get(tenant_id, email)
    default_sender = tenants.get(tenant_id, fresh=True).default_sender
    if default_sender and default_sender.lower() == sender.email.lower():
        raise errors.Conflict(detail="This is the default sender; choose another default first.")
    try:
        sender.delete(condition=Sender.email.exists())
    except DeleteError as exc:
        if getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException":
            raise errors.NotFound(detail=f"No sender {sender.email}.") from None
        raise


def require_sendable(tenant_id: str, email: str, *, field_name: str = "sender") -> None:
    """422 unless ``email`` is the system sender or a sender of this tenant that SES reports verified."""
    if is_system(email):
        return
    address = normalize(email)
    try:
        sender = Sender.get(tenant_id, address) if address else None
    except DoesNotExist:
        sender = None
    if sender is None:
        raise errors.invalid(field_name, f"{email} is not one of your senders; add and verify it first")
    status = ses_statuses([sender.email])[sender.email]
    if status != "verified":
        raise errors.invalid(field_name, f"{sender.email} is not verified yet (status: {status})")
