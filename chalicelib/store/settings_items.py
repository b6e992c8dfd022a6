"""Per-tenant reminder settings items: templates, senders, bank accounts, suppressed addresses."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from chalicelib.store.base import meta


class Template(Model):
    Meta = meta("templates")
    tenant_id = UnicodeAttribute(hash_key=True)
    template_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    subject = UnicodeAttribute()
    html = UnicodeAttribute()
    text = UnicodeAttribute()
    locale = UnicodeAttribute(default="vi")
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class Sender(Model):
    Meta = meta("senders")
    tenant_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute(range_key=True)
    created_at = UnicodeAttribute()


class BankAccount(Model):
    Meta = meta("bank-accounts")
    tenant_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute(range_key=True)
    bank_bin = UnicodeAttribute()
    bank_name = UnicodeAttribute()
    account_number = UnicodeAttribute()
    account_name = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class Suppression(Model):
    Meta = meta("suppressions")
    tenant_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute(range_key=True)
    reason = UnicodeAttribute()  # bounce | complaint
    created_at = UnicodeAttribute()
    reminder_id = UnicodeAttribute(null=True)


