"""Links to the public pay page ("Thanh toán ngay"): ``{public_base_url}/pay/{token}``.

A token names one reminder of one tenant and proves that Nhacno made it:

    token = b64url("<tenant_id>~<reminder_id>") "." b64url(HMAC-SHA256(pay_link_key, "pay-link:v1\\n" + both)[:16])

Why an HMAC over the ids rather than a random secret stored (hashed) on the reminder:

- Nothing to store and nothing to look up by secret: the token carries the reminder's key, so the page is
  one GetItem, with no new attribute or index on the reminders table and no write when a reminder is
  previewed or sent. Reminders queued before this feature get working links too.
- Unguessable all the same: 128 bits of HMAC under a per-deployment key (``NHACNO_PAY_LINK_SECRET``);
  a changed id or a made-up token fails the constant-time comparison, and the page answers 404 the
  same way whether the reminder exists or not.
- Expiry needs no state in the token: the page reads the reminder anyway and refuses it 90 days after
  ``created_at`` (410) or shows "paid" once its invoices are settled. Rotating the key voids every link
  at once (the emergency stop); a single link cannot be revoked alone, which is acceptable because the
  page shows only what the email already told the same reader.

The ids inside are opaque and reveal nothing a reader of the email could use without the signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from chalicelib.settings import settings

PATH = "/pay/"
VALID_FOR = timedelta(days=90)
_MAC_BYTES = 16
_SEPARATOR = "~"
_MAX_TOKEN = 300


@dataclass(frozen=True)
class PayLink:
    tenant_id: str
    reminder_id: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(tenant_id: str, reminder_id: str, key: bytes) -> bytes:
    message = f"pay-link:v1\n{tenant_id}{_SEPARATOR}{reminder_id}".encode()
    return hmac.new(key, message, hashlib.sha256).digest()[:_MAC_BYTES]


def token_for(tenant_id: str, reminder_id: str, *, key: bytes | None = None) -> str:
    key = key or settings.pay_link_key
    ids = _b64(f"{tenant_id}{_SEPARATOR}{reminder_id}".encode())
    return f"{ids}.{_b64(_mac(tenant_id, reminder_id, key))}"


def url_for(tenant_id: str, reminder_id: str) -> str:
    """The link a reminder email's "Thanh toán ngay" / "Pay now" button points to."""
    return settings.public_base_url.rstrip("/") + PATH + token_for(tenant_id, reminder_id)


def read(token: str, *, key: bytes | None = None) -> PayLink | None:
    """The reminder a token names, or None for anything Nhacno did not sign (never an exception)."""
    key = key or settings.pay_link_key
    if not token or len(token) > _MAX_TOKEN or token.count(".") != 1:
        return None
    ids_part, mac_part = token.split(".")
    try:
        tenant_id, separator, reminder_id = _unb64(ids_part).decode("utf-8").partition(_SEPARATOR)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not separator or not tenant_id or not reminder_id:
        return None
    # Compare the text, not decoded bytes: base64's last character carries spare bits, so a token
    # differing there would otherwise decode to the same signature and be accepted.
    if not hmac.compare_digest(mac_part.encode(), _b64(_mac(tenant_id, reminder_id, key)).encode()):
        return None
    return PayLink(tenant_id, reminder_id)
