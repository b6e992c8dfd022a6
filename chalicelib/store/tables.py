"""Every table the app uses, for creating them locally and in tests (CloudFormation does it in AWS)."""

from __future__ import annotations

from pynamodb.exceptions import TableError
from pynamodb.models import Model

from chalicelib.store.bank_transactions import BankTransaction
from chalicelib.store.customers import Customer, UniqueValue
from chalicelib.store.invoices import Invoice
from chalicelib.store.reminders import AutoStep, Reminder, ReminderBatch
from chalicelib.store.settings_items import BankAccount, Sender, Suppression, Template
from chalicelib.store.tenants import ApiKey, IdempotencyRecord, Tenant

MODELS: list[type[Model]] = [
    Tenant,
    ApiKey,
    IdempotencyRecord,
    Customer,
    UniqueValue,
    Invoice,
    Template,
    Sender,
    BankAccount,
    Suppression,
    Reminder,
    ReminderBatch,
    AutoStep,
    BankTransaction,
]


def create_all() -> None:
    """Create every table that is missing (an in-memory AWS makes them active at once)."""
    for model in MODELS:
        try:
            model.create_table(wait=False)
        except TableError as exc:
            if getattr(exc, "cause_response_code", "") != "ResourceInUseException":
                raise
