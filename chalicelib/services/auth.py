"""API keys: issue, list, revoke, and resolve a bearer key to its tenant; and webhook signatures.

A key reads ``nk.<tenant_id>.<key_id>.<secret>``: the tenant and key ids let us fetch the one key item
by its primary key (every key leads with the tenant id), and only a SHA-256 of the secret is stored.
Resolved keys are cached per process for at most ``key_cache_seconds`` (60 s), and a revocation clears
the cache of the instance that made it at once.

A bank feed that holds no API key signs instead: ``X-Nhacno-Signature`` is the hex HMAC-SHA256 of the
raw body under the tenant's webhook secret, and ``X-Nhacno-Tenant`` names the tenant. The tenant item
is read fresh for each signed request (no cache), so a rotated secret stops working everywhere at once.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time

from pynamodb.exceptions import DoesNotExist

from chalicelib.adapters import clock, ids
from chalicelib.domain import errors
from chalicelib.settings import settings
from chalicelib.store.tenants import ApiKey, Tenant

PREFIX = "nk"
SIGNATURE_HEADER = "X-Nhacno-Signature"
TENANT_HEADER = "X-Nhacno-Tenant"
MAX_TENANT_ID = 100
_cache: dict[str, tuple[str, str, float]] = {}
_lock = threading.Lock()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_admin_key(token: str) -> None:
    if not settings.admin_key or not hmac.compare_digest(token.encode(), settings.admin_key.encode()):
        raise errors.Unauthorized(detail="This route needs the deployment's admin key.")


def issue_key(tenant_id: str, name: str) -> tuple[ApiKey, str]:
    """Create a key; the secret is returned once, here, and only its hash is kept."""
    key_id = ids.new_id("key")
    secret = ids.new_secret()
    item = ApiKey(tenant_id, key_id, name=name, secret_hash=_hash(secret), hint=secret[-4:],
                  created_at=clock.now_iso())
    item.save(condition=ApiKey.key_id.does_not_exist())
    return item, f"{PREFIX}.{tenant_id}.{key_id}.{secret}"


def install_key(tenant_id: str, full_key: str, name: str) -> ApiKey:
    """Store a key whose full text was chosen outside (the local stack's fixed demo key).

    The key must read ``nk.<tenant_id>.<key_id>.<secret>`` for this tenant; as with ``issue_key``
    only the secret's hash is kept.
    """
    parts = full_key.split(".")
    if len(parts) != 4 or parts[0] != PREFIX or not all(parts) or parts[1] != tenant_id:
        raise ValueError(f"An API key must read {PREFIX}.{tenant_id}.<key_id>.<secret>.")
    _, _, key_id, secret = parts
    item = ApiKey(tenant_id, key_id, name=name, secret_hash=_hash(secret), hint=secret[-4:],
                  created_at=clock.now_iso())
    item.save(condition=ApiKey.key_id.does_not_exist())
    return item


def list_keys(tenant_id: str) -> list[ApiKey]:
    return [key for key in ApiKey.query(tenant_id) if not key.revoked]


def revoke_key(tenant_id: str, key_id: str) -> None:
    try:
        item = ApiKey.get(tenant_id, key_id)
    except DoesNotExist:
        raise errors.NotFound(detail="No such API key.") from None
    if item.revoked:
        raise errors.NotFound(detail="No such API key.")
    item.delete()
    with _lock:
        for token, (_tenant, cached_key, _exp) in list(_cache.items()):
            if cached_key == key_id:
                del _cache[token]


def tenant_for_key(token: str) -> tuple[str, str]:
    """(tenant_id, key_id) for a bearer key, or 401."""
    now = time.monotonic()
    cached = _cache.get(token)
    if cached and cached[2] > now:
        return cached[0], cached[1]
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != PREFIX or not all(parts):
        raise errors.Unauthorized(detail="Unknown API key.")
    _, tenant_id, key_id, secret = parts
    try:
        item = ApiKey.get(tenant_id, key_id)
    except DoesNotExist:
        raise errors.Unauthorized(detail="Unknown API key.") from None
    if item.revoked or not hmac.compare_digest(item.secret_hash, _hash(secret)):
        raise errors.Unauthorized(detail="Unknown API key.")
    with _lock:
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[token] = (tenant_id, key_id, now + settings.key_cache_seconds)
    return tenant_id, key_id


def forget_cache() -> None:
    with _lock:
        _cache.clear()


def sign(secret: str, body: bytes) -> str:
    """The signature a webhook sender puts in ``X-Nhacno-Signature``: hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def tenant_for_signature(tenant_id: str, body: bytes, signature: str) -> str:
    """The tenant whose webhook secret signed ``body``, or 401 (one answer for every reason)."""
    refused = errors.Unauthorized(detail=f"Sign the raw body with the tenant's webhook secret in {SIGNATURE_HEADER} "
                                         f"(hex HMAC-SHA256) and name the tenant in {TENANT_HEADER}.")
    given = signature.strip().lower().removeprefix("sha256=")
    tenant_id = tenant_id.strip()
    if not given or not tenant_id or len(tenant_id) > MAX_TENANT_ID or not tenant_id.isascii():
        raise refused
    try:
        secret = Tenant.get(tenant_id).webhook_secret or ""
    except DoesNotExist:
        secret = ""
    # Compute a digest even without a secret, so an unknown tenant answers no faster than a bad signature.
    expected = sign(secret or "no secret", body)
    if not hmac.compare_digest(expected.encode(), given.encode()) or not secret:
        raise refused
    return tenant_id
