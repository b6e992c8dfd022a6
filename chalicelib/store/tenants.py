"""Tenants (with their reminder settings), their API keys, and stored idempotent responses."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.models import Model

from chalicelib.store.base import meta


class Tenant(Model):
    Meta = meta("tenants")
    tenant_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    created_at = UnicodeAttribute()
    # Reminder settings ("Thiết lập nhắc nợ"); a missing value falls back to the domain default.
    company_name = UnicodeAttribute(null=True)
    default_sender = UnicodeAttribute(null=True)
    reply_to = UnicodeAttribute(null=True)
    default_template_id = UnicodeAttribute(null=True)
    default_bank_account_id = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute(null=True)
    locale = UnicodeAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    auto_reminders = JSONAttribute(null=True)
    webhook_secret = UnicodeAttribute(null=True)
    version = NumberAttribute(default=0)


class ApiKey(Model):
    Meta = meta("api-keys")
    tenant_id = UnicodeAttribute(hash_key=True)
    key_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    secret_hash = UnicodeAttribute()
    hint = UnicodeAttribute()
    created_at = UnicodeAttribute()
    revoked = BooleanAttribute(default=False)


class IdempotencyRecord(Model):
    Meta = meta("idempotency")
    tenant_id = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)
    body_hash = UnicodeAttribute()
    state = UnicodeAttribute()  # "pending" while the first request runs, then "done"
    status_code = NumberAttribute(null=True)
    response = JSONAttribute(null=True)
    created_at = UnicodeAttribute()
    expires = TTLAttribute()
