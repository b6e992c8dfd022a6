"""Tenant reminder settings ("Thiết lập nhắc nợ"): read with defaults filled in, change under a version.

Settings live on the Tenant item. Every change to it (here, and a template or bank account becoming
the default) goes through ``change_tenant``: read, decide, then one transaction that updates only the
changed attributes on condition that ``version`` is still the one read, together with any checks on
other items (the template or bank account named still exists). A concurrent change makes the
transaction fail and the step run again on fresh data, so no change is lost and no default points
at something deleted meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from pynamodb.exceptions import UpdateError

from chalicelib.adapters import clock, ids
from chalicelib.domain import errors
from chalicelib.domain.schemas.settings import SettingsPatch
from chalicelib.services import senders, tenants
from chalicelib.settings import settings as config
from chalicelib.store.base import transaction
from chalicelib.store.settings_items import BankAccount, Template
from chalicelib.store.tenants import Tenant
from chalicelib.store.tx import lost_race, retry_on_race

DEFAULT_LOCALE = "vi"
DEFAULT_CURRENCY = "VND"
LOCALES = ("vi", "en")
BUILTIN_PREFIX = "builtin-"

TxOp = Callable[[Any], None]


def builtin_template_id(locale: str) -> str:
    return f"{BUILTIN_PREFIX}{locale}"


def is_builtin_id(template_id: str) -> bool:
    return template_id in {builtin_template_id(locale) for locale in LOCALES}


def is_system_sender(email: str) -> bool:
    return email.strip().lower() == config.system_sender.lower()


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


# --- reading ---------------------------------------------------------------------------------------

def read_tenant(tenant_id: str) -> Tenant:
    """The tenant item as stored now (not the per-process cache): writes decide on fresh data."""
    return tenants.get(tenant_id, fresh=True)


def default_template_id(tenant: Tenant) -> str:
    return tenant.default_template_id or builtin_template_id(tenant.locale or DEFAULT_LOCALE)


def auto_reminders_of(tenant: Tenant) -> dict[str, Any]:
    raw = tenant.auto_reminders if isinstance(tenant.auto_reminders, dict) else {}
    return {"enabled": bool(raw.get("enabled", False)), "template_id": raw.get("template_id"),
            "rules": list(raw.get("rules") or [])}


def settings_view(tenant: Tenant) -> dict[str, Any]:
    """Effective settings: what reminders will use, defaults filled in."""
    return {
        "company_name": tenant.company_name or tenant.name,
        "default_sender": tenant.default_sender or config.system_sender,
        "reply_to": tenant.reply_to,
        "default_template_id": default_template_id(tenant),
        "default_bank_account_id": tenant.default_bank_account_id,
        "timezone": tenant.timezone or clock.DEFAULT_TIMEZONE,
        "locale": tenant.locale or DEFAULT_LOCALE,
        "currency": tenant.currency or DEFAULT_CURRENCY,
        "auto_reminders": auto_reminders_of(tenant),
        "version": int(tenant.version or 0),
    }


def get_settings(tenant_id: str) -> dict[str, Any]:
    return settings_view(read_tenant(tenant_id))


# --- changing the tenant item ----------------------------------------------------------------------

@dataclass
class TenantChange:
    """Attributes to set on the tenant (``None`` removes one) and more operations for the same transaction."""

    values: dict[str, Any] = field(default_factory=dict)
    also: list[TxOp] = field(default_factory=list)


def change_tenant(tenant_id: str, decide: Callable[[Tenant], TenantChange]) -> Tenant:
    """Run ``decide`` on a fresh read and commit its change if nobody changed the tenant meanwhile."""

    def step() -> Tenant:
        tenant = read_tenant(tenant_id)
        change = decide(tenant)
        version = int(tenant.version or 0)
        actions = [getattr(Tenant, name).remove() if value is None else getattr(Tenant, name).set(value)
                   for name, value in change.values.items()]
        actions.append(Tenant.version.set(version + 1))
        # Items written before ``version`` existed have none; treat that as version 0.
        condition = Tenant.version == version
        if version == 0:
            condition = condition | Tenant.version.does_not_exist()
        with transaction() as tx:
            tx.update(tenant, actions=actions, condition=condition)
            for op in change.also:
                op(tx)
        for name, value in change.values.items():
            setattr(tenant, name, value)
        tenant.version = version + 1
        return tenant

    try:
        return retry_on_race(step)
    finally:
        tenants.forget(tenant_id)


def unchanged_check(tenant: Tenant) -> TxOp:
    """A transaction operation that fails if the tenant changed since ``tenant`` was read."""
    version = int(tenant.version or 0)
    condition = Tenant.version == version
    if version == 0:
        condition = condition | Tenant.version.does_not_exist()
    return lambda tx: tx.condition_check(Tenant, tenant.tenant_id, condition=condition)


def template_exists_check(tenant_id: str, template_id: str, field_name: str) -> list[TxOp]:
    """Refuse (422) an unknown template now, and re-check inside the transaction (built-ins always exist)."""
    if is_builtin_id(template_id):
        return []
    if Template.count(tenant_id, Template.template_id == template_id) == 0:
        raise errors.invalid(field_name, f"no template {template_id}")
    return [lambda tx: tx.condition_check(Template, tenant_id, template_id,
                                          condition=Template.template_id.exists())]


def bank_account_exists_check(tenant_id: str, account_id: str, field_name: str) -> list[TxOp]:
    if BankAccount.count(tenant_id, BankAccount.account_id == account_id) == 0:
        raise errors.invalid(field_name, f"no bank account {account_id}")
    return [lambda tx: tx.condition_check(BankAccount, tenant_id, account_id,
                                          condition=BankAccount.account_id.exists())]


# --- PATCH /v1/settings ----------------------------------------------------------------------------

def update_settings(tenant_id: str, patch: SettingsPatch) -> dict[str, Any]:
    changes = patch.model_dump(exclude_unset=True)

    def decide(tenant: Tenant) -> TenantChange:
        change = TenantChange()
        for name, value in changes.items():
            change.values[name] = _checked(tenant_id, name, value, change)
        return change

    return settings_view(change_tenant(tenant_id, decide))


def _checked(tenant_id: str, name: str, value: Any, change: TenantChange) -> Any:
    """The value to store for one settings field (``None`` = back to the default), or a 422."""
    if name == "default_sender":
        if value is None or is_system_sender(value):
            return None
        senders.require_sendable(tenant_id, value, field_name=name)
        return value
    if name == "default_template_id" and value is not None:
        change.also += template_exists_check(tenant_id, value, name)
    if name == "default_bank_account_id":
        if value is None:
            raise errors.invalid(name, "cannot be null; make another bank account the default instead")
        change.also += bank_account_exists_check(tenant_id, value, name)
    if name == "timezone" and value is not None and value not in _zones():
        raise errors.invalid(name, f"{value!r} is not an IANA time zone such as Asia/Ho_Chi_Minh")
    if name == "auto_reminders" and value is not None:
        if value.get("template_id"):
            change.also += template_exists_check(tenant_id, value["template_id"], "auto_reminders.template_id")
        value["rules"] = sorted(value.get("rules") or [], key=lambda rule: rule["offset_days"])
    return value


# --- the webhook secret bank feeds sign with ---------------------------------------------------------

WEBHOOK_SECRET_BYTES = 32


def webhook_secret(tenant_id: str) -> dict[str, Any]:
    """The tenant's webhook secret, made on first read, so a tenant never has to rotate to get one.

    Created with a conditional update (only if none exists), so two first reads agree on one secret.
    """
    tenant = read_tenant(tenant_id)
    if not tenant.webhook_secret:
        try:
            tenant.update(actions=[Tenant.webhook_secret.set(ids.new_secret(WEBHOOK_SECRET_BYTES)),
                                   Tenant.version.add(1)],
                          condition=Tenant.tenant_id.exists() & Tenant.webhook_secret.does_not_exist())
        except UpdateError as exc:
            if not lost_race(exc):
                raise
            tenant = read_tenant(tenant_id)
        tenants.forget(tenant_id)
    return {"tenant_id": tenant_id, "secret": tenant.webhook_secret}


def rotate_webhook_secret(tenant_id: str) -> dict[str, Any]:
    """A new secret; the old one stops verifying at once (signed requests read the tenant fresh)."""
    secret = ids.new_secret(WEBHOOK_SECRET_BYTES)
    change_tenant(tenant_id, lambda tenant: TenantChange(values={"webhook_secret": secret}))
    return {"tenant_id": tenant_id, "secret": secret}
