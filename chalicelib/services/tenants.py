"""Tenants: creation by the operator, and a short-lived per-process cache of each tenant's settings.

Most requests need only the tenant's time zone and locale; caching the tenant item for a minute keeps
a receivables page at one DynamoDB request. A settings change clears this instance's copy at once.
"""

from __future__ import annotations

import threading
import time
from datetime import date

from pynamodb.exceptions import DoesNotExist

from chalicelib.adapters import clock, ids
from chalicelib.domain import errors
from chalicelib.services import auth
from chalicelib.store.tenants import Tenant

CACHE_SECONDS = 60
_cache: dict[str, tuple[Tenant, float]] = {}
_lock = threading.Lock()


def create(name: str) -> tuple[Tenant, str]:
    tenant = Tenant(ids.new_id("ten"), name=name, company_name=name, created_at=clock.now_iso())
    tenant.save(condition=Tenant.tenant_id.does_not_exist())
    _key, secret = auth.issue_key(tenant.tenant_id, "Default key")
    return tenant, secret


def get(tenant_id: str, *, fresh: bool = False) -> Tenant:
    now = time.monotonic()
    cached = None if fresh else _cache.get(tenant_id)
    if cached and cached[1] > now:
        return cached[0]
    try:
        tenant = Tenant.get(tenant_id)
    except DoesNotExist:
        raise errors.Unauthorized(detail="Unknown tenant.") from None
    with _lock:
        _cache[tenant_id] = (tenant, now + CACHE_SECONDS)
    return tenant


def forget(tenant_id: str | None = None) -> None:
    with _lock:
        if tenant_id is None:
            _cache.clear()
        else:
            _cache.pop(tenant_id, None)


def timezone_of(tenant: Tenant) -> str:
    return tenant.timezone or clock.DEFAULT_TIMEZONE


def today(tenant_id: str) -> date:
    return clock.today(timezone_of(get(tenant_id)))
