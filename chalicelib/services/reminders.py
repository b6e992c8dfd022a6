"""Reminders for one customer: compose, preview, copy as text, queue for sending, log a manual one,
read the history ("Lịch sử nhắc nợ") and review one ("Xem lại mail nhắc nợ").

Every choice falls back to the tenant's settings: template, sender (the system no-reply address
unless another verified sender is chosen), recipients (customer emails plus extras, deduplicated),
bank account, invoices (all open) and amount (their outstanding). The API only stores a ``queued``
reminder and puts a message on SQS; the worker renders and sends it (services/delivery.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.adapters import clock, ids, queue
from chalicelib.domain import errors, rendering, vietqr
from chalicelib.domain.chat_text import chat_text
from chalicelib.domain.memo import payment_memo, reminder_code
from chalicelib.domain.schemas.reminders import ManualReminderIn, ReminderChoices
from chalicelib.services import customers, invoices, pay_links, tenants, vietqr_codes
from chalicelib.services import reminder_settings as defaults
from chalicelib.store.customers import Customer
from chalicelib.store.invoices import Invoice
from chalicelib.store.paging import query_page
from chalicelib.store.reminders import Reminder
from chalicelib.store.tenants import Tenant

MAX_RECIPIENTS = 50
FINAL = ("sent", "delivered", "bounced", "complained", "failed", "unknown", "suppressed", "skipped", "logged")
# A queued reminder not sent by then is put on the queue again by the scheduler (a lost message).
REQUEUE_AFTER_SECONDS = 300


@dataclass
class Composition:
    """Everything one reminder email is made of, resolved from the choices and the settings."""

    tenant: Tenant
    customer: Customer
    invoices: list[Invoice]
    amount: int
    template_id: str
    source: rendering.TemplateSource
    sender: str
    to: list[str]
    reply_to: str | None
    bank_account: dict[str, Any] | None
    memo: str | None
    today: date
    suppressed: list[str] = field(default_factory=list)

    @property
    def invoice_ids(self) -> list[str]:
        return [invoice.invoice_id for invoice in self.invoices]


def recipients(customer_emails: list[str], extra: list[str]) -> list[str]:
    return customers.unique_emails([*customer_emails, *extra])


def compose(tenant_id: str, customer: Customer, choices: ReminderChoices, *, memo: str | None,
            chosen: dict[str, Invoice] | None = None) -> Composition:
    """Resolve a reminder's choices against the settings and the customer's open invoices (or 422)."""
    tenant = tenants.get(tenant_id)
    today = clock.today(tenants.timezone_of(tenant))
    open_ids = list(customer.open_invoice_ids or [])
    wanted = list(choices.invoice_ids or open_ids)
    if not wanted:
        raise errors.Conflict(detail="This customer has no open invoices to remind about.")
    found = chosen if chosen is not None else invoices.get_many(tenant_id, wanted)
    picked = []
    for invoice_id in wanted:
        invoice = found.get(invoice_id)
        if invoice is None or invoice.customer_id != customer.customer_id:
            raise errors.invalid("invoice_ids", f"{invoice_id} is not an invoice of this customer")
        if invoices.outstanding(invoice) <= 0:
            raise errors.invalid("invoice_ids", f"{invoice.number} has nothing outstanding")
        picked.append(invoice)
    picked.sort(key=lambda inv: (inv.due_date, inv.number))
    owed = sum(invoices.outstanding(invoice) for invoice in picked)
    amount = choices.amount if choices.amount is not None else owed
    if amount > owed:
        raise errors.invalid("amount", f"must be at most the chosen invoices' outstanding {owed}")
    template_id = choices.template_id or defaults.template_id(tenant)
    source = defaults.template_source(tenant_id, template_id, field_name="template_id")
    sender = choices.sender or defaults.sender(tenant)
    defaults.require_sendable(tenant_id, sender)
    to = recipients(list(customer.emails or []), list(choices.extra_recipients or []))
    if not to:
        raise errors.invalid("extra_recipients", "the customer has no email address; add a recipient")
    if len(to) > MAX_RECIPIENTS:
        raise errors.invalid("extra_recipients", f"at most {MAX_RECIPIENTS} recipients in all")
    bank_account_id = choices.bank_account_id or tenant.default_bank_account_id
    bank_account = defaults.bank_account(tenant_id, bank_account_id, required=bool(choices.bank_account_id))
    return Composition(tenant=tenant, customer=customer, invoices=picked, amount=amount, template_id=template_id,
                       source=source, sender=sender, to=to, reply_to=tenant.reply_to, bank_account=bank_account,
                       memo=memo, today=today)


def context(c: Composition, *, pay_url: str | None = None, qr_src: str | None = None) -> dict[str, Any]:
    """The template variables of api.md, from a composition.

    ``pay_url`` is the pay page link (the email's "Thanh toán ngay" button); ``qr_src`` the VietQR image's
    ``src``: ``cid:vietqr`` in a sent email (an inline part, since many mail clients block data URIs) and
    a data URI in a preview, which a browser shows as it is.
    """
    customer = customers.customer_view(c.customer, c.today)
    return {
        "company": {"name": defaults.company_name(c.tenant), "reply_to": c.reply_to},
        "customer": customer,
        "invoices": [
            {key: value for key, value in invoices.invoice_view(invoice, c.today).items()
             if key in ("number", "order_ref", "issue_date", "due_date", "amount", "outstanding", "days_overdue",
                        "amount_paid", "description")}
            for invoice in c.invoices
        ],
        "amount": c.amount,
        "total_outstanding": int(c.customer.outstanding or 0),
        "bank_account": c.bank_account,
        "payment_memo": c.memo,
        "today": c.today,
        "pay_url": pay_url,
        "qr_src": qr_src,
    }


def render(c: Composition, *, pay_url: str | None = None, qr_src: str | None = None) -> rendering.Rendered:
    return rendering.render(c.source, context(c, pay_url=pay_url, qr_src=qr_src))


def qr_payload(c: Composition) -> str | None:
    """The reminder's VietQR: its bank account, its amount and its transfer memo; None without an account."""
    return vietqr_codes.payload_for(c.bank_account, c.amount, c.memo)


def preview(tenant_id: str, customer_id: str, choices: ReminderChoices) -> dict[str, Any]:
    customer = customers.get(tenant_id, customer_id)
    reminder_id = ids.new_id("rem")  # what the reminder would be called: its memo and pay link look real
    c = compose(tenant_id, customer, choices, memo=payment_memo(customer.code, reminder_id))
    qr = qr_payload(c)
    out = render(c, pay_url=pay_links.url_for(tenant_id, reminder_id), qr_src=vietqr.data_uri(qr) if qr else None)
    return {
        "subject": out.subject, "html": out.html, "text": out.text, "from": defaults.from_header(c.tenant, c.sender),
        "to": c.to, "reply_to": c.reply_to, "amount": c.amount, "template_id": c.template_id,
        "invoices": context(c)["invoices"], "payment_memo": c.memo, "bank_account": c.bank_account,
        "vietqr": qr,
    }


def copy_text(tenant_id: str, customer_id: str, choices: ReminderChoices) -> str:
    """The reminder as short plain text for SMS or Zalo: no html, the amount, invoices and how to pay."""
    customer = customers.get(tenant_id, customer_id)
    c = compose(tenant_id, customer, choices, memo=payment_memo(customer.code, ids.new_id("rem")))
    return chat_text(context(c), locale=c.source.locale)


def queue_email(tenant_id: str, customer_id: str, choices: ReminderChoices) -> Reminder:
    """Store a ``queued`` reminder with the choices made, then put it on the send queue."""
    customer = customers.get(tenant_id, customer_id)
    reminder_id = ids.new_id("rem")
    c = compose(tenant_id, customer, choices, memo=payment_memo(customer.code, reminder_id))
    reminder = new_email_reminder(tenant_id, customer, reminder_id, c, choices, source="api")
    reminder.save(condition=Reminder.reminder_id.does_not_exist())
    queue.send({"kind": "send", "tenant_id": tenant_id, "reminder_ids": [reminder_id]})
    return reminder


def new_email_reminder(tenant_id: str, customer: Customer, reminder_id: str, c: Composition | None,
                       choices: ReminderChoices, *, source: str, batch_id: str | None = None,
                       status: str = "queued") -> Reminder:
    now = clock.now()
    reminder = Reminder(
        tenant_id, reminder_id, customer_id=customer.customer_id,
        customer_key=f"{tenant_id}#{customer.customer_id}", kind="email", status=status, channel="email",
        source=source, created_at=clock.now_iso(), template_id=c.template_id if c else choices.template_id,
        sender=c.sender if c else choices.sender, extra_recipients=list(choices.extra_recipients or []),
        bank_account_id=(c.bank_account or {}).get("id") if c else choices.bank_account_id,
        invoice_ids=c.invoice_ids if c else (list(choices.invoice_ids) if choices.invoice_ids else None),
        amount=c.amount if c else choices.amount, to=c.to if c else [],
        payment_memo=c.memo if c else payment_memo(customer.code, reminder_id), memo_code=reminder_code(reminder_id),
        attempts=0, events=[], updated_at=clock.now_iso(),
    )
    if batch_id:
        reminder.batch_id = batch_id
        reminder.batch_key = f"{tenant_id}#{batch_id}"
    if status == "queued":
        reminder.pending_at = clock.iso(now, plus_seconds=REQUEUE_AFTER_SECONDS)
    return reminder


def log_manual(tenant_id: str, customer_id: str, data: ManualReminderIn) -> Reminder:
    """A reminder made outside Nhacno (SMS, Zalo, a call): kept in the same history, status ``logged``."""
    customers.get(tenant_id, customer_id)
    invoice_ids = list(data.invoice_ids or [])
    if invoice_ids:
        found = invoices.get_many(tenant_id, invoice_ids)
        for invoice_id in invoice_ids:
            if invoice_id not in found or found[invoice_id].customer_id != customer_id:
                raise errors.invalid("invoice_ids", f"{invoice_id} is not an invoice of this customer")
    if data.reminded_on > tenants.today(tenant_id):
        raise errors.invalid("reminded_on", "cannot be in the future")
    reminder_id = ids.new_id("rem")
    reminder = Reminder(
        tenant_id, reminder_id, customer_id=customer_id, customer_key=f"{tenant_id}#{customer_id}", kind="manual",
        status="logged", channel=data.channel, source="manual", created_at=clock.now_iso(),
        reminded_on=data.reminded_on.isoformat(), invoice_ids=invoice_ids, amount=data.amount, note=data.note,
        events=[], updated_at=clock.now_iso(),
    )
    reminder.save(condition=Reminder.reminder_id.does_not_exist())
    customers.mark_reminded(tenant_id, customer_id, f"{data.reminded_on.isoformat()}T00:00:00Z")
    return reminder


def get(tenant_id: str, reminder_id: str) -> Reminder:
    try:
        return Reminder.get(tenant_id, reminder_id)
    except DoesNotExist:
        raise errors.NotFound(detail=f"No reminder {reminder_id}.") from None


def history(tenant_id: str, customer_id: str, cursor: str | None, limit: int) -> tuple[list[Reminder], str | None]:
    customers.get(tenant_id, customer_id)
    return query_page(
        Reminder, lambda **kw: Reminder.by_customer.query(f"{tenant_id}#{customer_id}", **kw),
        ("tenant_id", "reminder_id", "customer_key"), list_name=f"reminders:{customer_id}", tenant_id=tenant_id,
        cursor=cursor, limit=limit, scan_index_forward=False,
    )


def view(reminder: Reminder) -> dict[str, Any]:
    return {
        "id": reminder.reminder_id, "customer_id": reminder.customer_id, "kind": reminder.kind,
        "status": reminder.status, "channel": reminder.channel, "source": reminder.source,
        "created_at": reminder.created_at, "sent_at": reminder.sent_at, "reminded_on": reminder.reminded_on,
        "sender": reminder.sender, "to": list(reminder.to or []), "reply_to": reminder.reply_to,
        "subject": reminder.subject, "html": reminder.html, "text": reminder.text,
        "amount": int(reminder.amount) if reminder.amount is not None else None,
        "invoice_ids": list(reminder.invoice_ids or []), "payment_memo": reminder.payment_memo,
        "note": reminder.note, "attempts": int(reminder.attempts or 0), "last_error": reminder.last_error,
        "next_attempt_at": reminder.next_attempt_at, "events": list(reminder.events or []),
        "batch_id": reminder.batch_id, "template_id": reminder.template_id,
    }
