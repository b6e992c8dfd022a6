"""Bank accounts a tenant is paid into, shown in reminders as transfer details.

``is_default`` is the tenant's ``default_bank_account_id``, changed in the same transaction as the
account: the first account becomes the default by itself, the default cannot be deleted while other
accounts exist (choose another first), and deleting the last one clears the default. So while a
tenant has accounts, exactly one of them is the default.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.adapters import clock, ids
from chalicelib.domain import errors
from chalicelib.domain.banks import bank_for_bin
from chalicelib.domain.schemas.settings import BankAccountIn, BankAccountPatch
from chalicelib.services import settings as tenant_settings
from chalicelib.services import tenants
from chalicelib.services.settings import TenantChange, change_tenant
from chalicelib.store.base import transaction
from chalicelib.store.paging import query_page
from chalicelib.store.settings_items import BankAccount
from chalicelib.store.tenants import Tenant
from chalicelib.store.tx import lost_race, retry_on_race

MAX_ACCOUNTS = 50


def _bank_name(bank_bin: str) -> str:
    bank = bank_for_bin(bank_bin)
    if bank is None:
        raise errors.invalid("bank_bin", f"{bank_bin} is not a supported Vietnamese bank BIN (see GET /v1/banks)")
    return bank.short_name


def get(tenant_id: str, account_id: str) -> BankAccount:
    try:
        return BankAccount.get(tenant_id, account_id)
    except BankAccount.DoesNotExist:
        raise errors.NotFound(detail=f"No bank account {account_id}.") from None


def account_view(account: BankAccount, default_id: str | None) -> dict[str, Any]:
    return {"id": account.account_id, "bank_bin": account.bank_bin, "bank_name": account.bank_name,
            "account_number": account.account_number, "account_name": account.account_name,
            "is_default": account.account_id == default_id, "created_at": account.created_at,
            "updated_at": account.updated_at}


def _default_id(tenant_id: str) -> str | None:
    return tenant_settings.read_tenant(tenant_id).default_bank_account_id


def get_account(tenant_id: str, account_id: str) -> dict[str, Any]:
    return account_view(get(tenant_id, account_id), _default_id(tenant_id))


def list_accounts(tenant_id: str, cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
    items, next_cursor = query_page(BankAccount, lambda **kw: BankAccount.query(tenant_id, **kw),
                                    ("tenant_id", "account_id"), list_name="bank-accounts", tenant_id=tenant_id,
                                    cursor=cursor, limit=limit)
    default_id = _default_id(tenant_id)
    return [account_view(item, default_id) for item in items], next_cursor


def _existing(tenant_id: str) -> list[BankAccount]:
    return list(BankAccount.query(tenant_id, limit=MAX_ACCOUNTS + 1,
                                  attributes_to_get=["account_id", "bank_bin", "account_number"]))


def _refuse_duplicate(tenant_id: str, bank_bin: str, account_number: str, own_id: str | None = None) -> None:
    for other in _existing(tenant_id):
        if other.account_id != own_id and (other.bank_bin, other.account_number) == (bank_bin, account_number):
            raise errors.Conflict(
                detail=f"Account {account_number} at this bank is already listed ({other.account_id}).")


def create(tenant_id: str, body: BankAccountIn) -> dict[str, Any]:
    short_name = _bank_name(body.bank_bin)
    bank_name = body.bank_name or short_name
    if len(_existing(tenant_id)) >= MAX_ACCOUNTS:
        raise errors.Conflict(detail=f"A tenant can keep at most {MAX_ACCOUNTS} bank accounts.")
    _refuse_duplicate(tenant_id, body.bank_bin, body.account_number)
    now = clock.now_iso()
    account = BankAccount(tenant_id, ids.new_id("bank"), bank_bin=body.bank_bin, bank_name=bank_name,
                          account_number=body.account_number, account_name=body.account_name,
                          created_at=now, updated_at=now)

    def save(tx: Any) -> None:
        tx.save(account, condition=BankAccount.account_id.does_not_exist())

    def decide(tenant: Tenant) -> TenantChange:
        if body.is_default or not tenant.default_bank_account_id:
            return TenantChange({"default_bank_account_id": account.account_id}, [save])
        return TenantChange({}, [save])

    tenant = change_tenant(tenant_id, decide)
    return account_view(account, tenant.default_bank_account_id)


def update(tenant_id: str, account_id: str, patch: BankAccountPatch) -> dict[str, Any]:
    changes = patch.model_dump(exclude_unset=True)
    make_default = changes.pop("is_default", None)
    for name in ("bank_bin", "account_number", "account_name"):
        if name in changes and changes[name] is None:
            raise errors.invalid(name, "cannot be null")
    reset_name = "bank_name" in changes and not changes["bank_name"]  # null: back to the bank's short name
    if reset_name:
        del changes["bank_name"]
    if "bank_bin" in changes:
        short_name = _bank_name(changes["bank_bin"])
        changes.setdefault("bank_name", short_name)  # the old name belongs to the old bank

    def prepared() -> tuple[BankAccount, list[Any]]:
        account = get(tenant_id, account_id)
        if reset_name:
            changes["bank_name"] = _bank_name(changes.get("bank_bin", account.bank_bin))
        if "bank_bin" in changes or "account_number" in changes:
            _refuse_duplicate(tenant_id, changes.get("bank_bin", account.bank_bin),
                              changes.get("account_number", account.account_number), account_id)
        actions = [getattr(BankAccount, name).set(value) for name, value in changes.items()]
        return account, [*actions, BankAccount.updated_at.set(clock.now_iso())]

    if make_default is None:
        account, actions = prepared()
        try:
            account.update(actions=actions, condition=BankAccount.account_id.exists())
        except UpdateError as exc:
            if lost_race(exc):
                raise errors.NotFound(detail=f"No bank account {account_id}.") from None
            raise
        return get_account(tenant_id, account_id)

    def decide(tenant: Tenant) -> TenantChange:
        account, actions = prepared()  # inside the retried step: deleted meanwhile -> 404

        def write(tx: Any) -> None:
            tx.update(account, actions=actions, condition=BankAccount.account_id.exists())

        if make_default:
            return TenantChange({"default_bank_account_id": account_id}, [write])
        if tenant.default_bank_account_id == account_id:
            raise errors.Conflict(detail="This is the default account; make another account the default instead.")
        return TenantChange({}, [write])

    change_tenant(tenant_id, decide)
    return get_account(tenant_id, account_id)


def delete(tenant_id: str, account_id: str) -> None:
    def step() -> None:
        account = get(tenant_id, account_id)
        tenant = tenant_settings.read_tenant(tenant_id)
        is_default = tenant.default_bank_account_id == account_id
        if is_default and any(item.account_id != account_id for item in _existing(tenant_id)):
            raise errors.Conflict(detail="This is the default account; make another account the default first.")
        with transaction() as tx:
            if is_default:
                version = int(tenant.version or 0)
                tx.update(tenant, actions=[Tenant.default_bank_account_id.remove(), Tenant.version.set(version + 1)],
                          condition=Tenant.version == version)
            else:
                tenant_settings.unchanged_check(tenant)(tx)
            tx.delete(account, condition=BankAccount.account_id.exists())

    try:
        retry_on_race(step)
    finally:
        tenants.forget(tenant_id)
