"""Automatic reminders: the tenant's rules, carried out once a day in the tenant's time zone.

A rule is ``offset_days`` from the due date (-3 = three days before, 0 = on the day, 7 = a week
after), optionally repeated every ``repeat_every_days`` up to ``max_repeats`` times. Each day, each
customer gets at most one reminder listing all of its open invoices that hit a rule today. Every
(invoice, rule step) is marked when reminded, and so is (customer, day), so a step is never repeated
however often the scheduler runs. Paid and void invoices never hit (only open invoices are read);
paused customers are left alone; the balance is checked again when the email is sent.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib.adapters import clock, ids
from chalicelib.domain.schemas.reminders import ReminderChoices
from chalicelib.services import delivery, reminders, tenants
from chalicelib.store.base import transaction
from chalicelib.store.customers import Customer
from chalicelib.store.invoices import Invoice
from chalicelib.store.reminders import AutoStep, Reminder
from chalicelib.store.tx import lost_race

TX_ITEMS = 100  # DynamoDB's most items in one TransactWriteItems


def step_today(days_past_due: int, rule: dict[str, Any]) -> int | None:
    """Which repeat of ``rule`` falls today (0 = the first), or None when the rule is silent today."""
    offset = int(rule["offset_days"])
    if days_past_due == offset:
        return 0
    every = rule.get("repeat_every_days")
    if not every or days_past_due < offset or (days_past_due - offset) % int(every):
        return None
    step = (days_past_due - offset) // int(every)
    limit = rule.get("max_repeats")
    return step if limit is None or step <= int(limit) else None


def due_window(rules: list[dict[str, Any]], today: date) -> tuple[str, str]:
    """The due dates any rule can hit today, as index key bounds."""
    latest = today - timedelta(days=min(int(r["offset_days"]) for r in rules))
    reaches = []
    for rule in rules:
        every, limit = rule.get("repeat_every_days"), rule.get("max_repeats")
        if every and limit is None:
            return "0000", f"{latest.isoformat()}#~"
        reaches.append(int(rule["offset_days"]) + int(every or 0) * int(limit or 0))
    earliest = today - timedelta(days=max(reaches))
    return earliest.isoformat(), f"{latest.isoformat()}#~"


def run(tenant_id: str) -> int:
    """Create and queue today's automatic reminders for one tenant; returns how many were created."""
    tenant = tenants.get(tenant_id, fresh=True)
    config = tenant.auto_reminders or {}
    rules = config.get("rules") or []
    if not config.get("enabled") or not rules:
        return 0
    today = clock.today(tenants.timezone_of(tenant))
    low, high = due_window(rules, today)
    hits: dict[str, list[tuple[Invoice, str]]] = defaultdict(list)
    for invoice in Invoice.by_open_due.query(tenant_id, Invoice.open_due.between(low, high)):
        late = (today - date.fromisoformat(invoice.due_date)).days
        for rule in rules:
            step = step_today(late, rule)
            if step is not None:
                hits[invoice.customer_id].append((invoice, f"{invoice.invoice_id}#{rule['offset_days']}#{step}"))
    if not hits:
        return 0
    day_keys = {cid: f"day#{cid}#{today.isoformat()}" for cid in hits}
    step_keys = [key for pairs in hits.values() for _inv, key in pairs]
    done = {s.step_key for s in AutoStep.batch_get([(tenant_id, k) for k in [*day_keys.values(), *step_keys]])}
    customers = {c.customer_id: c for c in Customer.batch_get([(tenant_id, cid) for cid in hits])}
    created: list[str] = []
    for customer_id, pairs in hits.items():
        customer = customers.get(customer_id)
        fresh = [(inv, key) for inv, key in pairs if key not in done]
        if customer is None or customer.reminders_paused or day_keys[customer_id] in done or not fresh:
            continue
        reminder_id = _create(tenant_id, customer, fresh, day_keys[customer_id], config.get("template_id"))
        if reminder_id:
            created.append(reminder_id)
    if created:
        delivery.enqueue(tenant_id, created)
    return len(created)


def _create(tenant_id: str, customer: Customer, pairs: list[tuple[Invoice, str]], day_key: str,
            template_id: str | None) -> str | None:
    reminder_id = ids.new_id("rem")
    invoice_ids = list(dict.fromkeys(inv.invoice_id for inv, _key in pairs))
    choices = ReminderChoices.model_construct(template_id=template_id, sender=None, extra_recipients=[],
                                              bank_account_id=None, invoice_ids=invoice_ids, amount=None)
    reminder = reminders.new_email_reminder(tenant_id, customer, reminder_id, None, choices, source="auto")
    reminder.auto_steps = [key for _inv, key in pairs]
    now = clock.now_iso()
    marks = [AutoStep(tenant_id, key, reminder_id=reminder_id, created_at=now)
             for key in [day_key, *reminder.auto_steps]]
    # The reminder and the customer's day mark go together (a transaction holds at most 100 items), so a
    # second run the same day creates nothing; the steps of a customer with many invoices follow.
    first, rest = marks[:TX_ITEMS - 1], marks[TX_ITEMS - 1:]
    try:
        with transaction() as tx:
            tx.save(reminder, condition=Reminder.reminder_id.does_not_exist())
            for mark in first:
                tx.save(mark, condition=AutoStep.step_key.does_not_exist())
    except TransactWriteError as exc:
        if lost_race(exc):  # another run got there first
            return None
        raise
    for start in range(0, len(rest), TX_ITEMS):
        try:
            with transaction() as tx:
                for mark in rest[start:start + TX_ITEMS]:
                    tx.save(mark, condition=AutoStep.step_key.does_not_exist())
        except TransactWriteError as exc:
            if not lost_race(exc):
                raise
    return reminder_id
