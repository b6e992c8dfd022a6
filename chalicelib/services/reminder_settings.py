"""What a reminder falls back to: the tenant's settings, resolved for composing one email.

A thin room between the reminder use cases and the settings services, so composing a reminder reads
as "the template, the sender, the bank account" and a missing choice becomes a 422 on the field the
caller named.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from email.utils import formataddr
from typing import Any, TypeVar

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain import errors, rendering
from chalicelib.services import senders, templates
from chalicelib.services import settings as tenant_settings
from chalicelib.settings import settings
from chalicelib.store.settings_items import BankAccount
from chalicelib.store.tenants import Tenant

T = TypeVar("T")
_memo: ContextVar[dict[tuple[Any, ...], Any] | None] = ContextVar("reminder_settings_memo", default=None)


@contextmanager
def remembered() -> Iterator[None]:
    """Within this block, each template, sender check and bank account is looked up once.

    The send worker composes up to hundreds of reminders of one tenant per invocation, nearly all with
    the same template, sender and account: one read each instead of one per reminder.
    """
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def _once(key: tuple[Any, ...], look_up: Callable[[], T]) -> T:
    memo = _memo.get()
    if memo is None:
        return look_up()
    if key not in memo:
        try:
            memo[key] = look_up()
        except errors.NhacnoError as exc:
            memo[key] = exc
    found = memo[key]
    if isinstance(found, errors.NhacnoError):
        raise found
    return found


def template_id(tenant: Tenant) -> str:
    return tenant_settings.default_template_id(tenant)


def template_source(tenant_id: str, template_id: str, *, field_name: str = "template_id") -> rendering.TemplateSource:
    try:
        return _once(("template", tenant_id, template_id), lambda: templates.source_for(tenant_id, template_id))
    except errors.NotFound:
        raise errors.invalid(field_name, f"no template {template_id}") from None


def sender(tenant: Tenant) -> str:
    return tenant.default_sender or settings.system_sender


def require_sendable(tenant_id: str, email: str, *, field_name: str = "sender") -> None:
    _once(("sender", tenant_id, email, field_name),
          lambda: senders.require_sendable(tenant_id, email, field_name=field_name))


def company_name(tenant: Tenant) -> str:
    return tenant.company_name or tenant.name


def from_header(tenant: Tenant, email: str) -> str:
    return formataddr((company_name(tenant), email))


def bank_account(tenant_id: str, account_id: str | None, *, required: bool,
                 field_name: str = "bank_account_id") -> dict[str, Any] | None:
    """The receiving account as templates see it; None when no account is set up (or the default is gone)."""
    if not account_id:
        return None
    account = _once(("bank", tenant_id, account_id), lambda: _account(tenant_id, account_id))
    if account is None:
        if required:
            raise errors.invalid(field_name, f"no bank account {account_id}")
        return None
    return {"id": account.account_id, "bank_bin": account.bank_bin, "bank_name": account.bank_name,
            "account_number": account.account_number, "account_name": account.account_name}


def _account(tenant_id: str, account_id: str) -> BankAccount | None:
    try:
        return BankAccount.get(tenant_id, account_id)
    except DoesNotExist:
        return None
