"""Figures 1, 2 and 5: a bulk batch through the real path, bare SES sends, and one reminder's rendering.

A tenant with a default bank account (so every email carries the VietQR and bank details, as the
product promises) and 1,000 customers with 3 open invoices each. ``POST /v1/reminder-batches`` with
``all: true`` through Chalice's test client, then the worker driven as Lambda drives it until the
queue is empty: expander pages, send messages, SES, history. Every AWS request is counted; Lambda's
own SQS receive and delete calls are counted apart.
"""

from __future__ import annotations

import inspect
import statistics
import time
from collections import Counter
from typing import Any

from chalice.test import Client
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from bench import env, lambda_sqs, seed
from bench.report import Figure
from bench.requests import LOG, hook_adapters
from chalicelib.settings import settings

CUSTOMERS = 1_000
INVOICES_EACH = 3


def new_tenant(client: Client) -> tuple[Any, str]:
    admin = env.Api(client)
    made = admin.post("/v1/admin/tenants", {"name": "Công ty TNHH Minh Anh"}, key=env.ADMIN_KEY)
    assert made.status_code == 201, made.body
    api = admin.as_(made.data["api_key"])
    return api, api.key.split(".")[1]  # nk.<tenant_id>.<key_id>.<secret>


def breakdown(counts: Counter[tuple[str, str]], per: int) -> list[str]:
    return [f"  {service}.{operation}: {n}  ({n / per:.3f} per reminder)"
            for (service, operation), n in sorted(counts.items(), key=lambda kv: -kv[1])]


def sent_raw() -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][settings.region].sent_messages)


def bare_ses_seconds(raw: bytes, n: int) -> float:
    """``n`` SendRawEmail calls on a client of our own, against the same moto backend."""
    import boto3

    ses = boto3.session.Session().client("ses", region_name=settings.region)
    start = time.perf_counter()
    for _ in range(n):
        ses.send_raw_email(Source=settings.system_sender, Destinations=["ketoan1@khachhang1.vn"],
                           RawMessage={"Data": raw})
    return time.perf_counter() - start


def run(details: list[str]) -> list[Figure]:
    from app import app

    with env.in_memory_aws(), Client(app) as client:
        hook_adapters()
        api, tenant_id = new_tenant(client)
        account = api.post("/v1/bank-accounts", {"bank_bin": "970436", "account_number": "0071000123456",
                                                 "account_name": "CONG TY TNHH MINH ANH"})
        assert account.status_code == 201, account.body
        seeded = seed.customers_with_invoices(tenant_id, CUSTOMERS, INVOICES_EACH)
        seed.check_against_api(api, seeded)
        already = len(sent_raw())

        LOG.reset()
        start, cpu = time.perf_counter(), time.process_time()
        made = api.post("/v1/reminder-batches", {"all": True})
        assert made.status_code == 202, made.body
        messages = lambda_sqs.drain()
        batch_seconds, batch_cpu = time.perf_counter() - start, time.process_time() - cpu
        app_counts, harness_counts = LOG.snapshot(), Counter(LOG.harness)

        view = api.get(f"/v1/reminder-batches/{made.data['id']}").data
        emails = sent_raw()[already:]
        assert view["sent"] == CUSTOMERS == len(emails), (view, len(emails))
        requests = sum(app_counts.values())
        per = requests / CUSTOMERS
        cpu = time.process_time()
        bare = bare_ses_seconds(emails[0].raw_data.encode(), CUSTOMERS)
        bare_cpu = time.process_time() - cpu
        details += [
            f"bulk batch: {CUSTOMERS} customers x {INVOICES_EACH} open invoices, {len(emails)} emails, "
            f"{messages} SQS messages handled, {batch_seconds:.1f} s wall ({batch_cpu:.1f} s CPU); "
            f"{requests} AWS requests by the app:",
            *breakdown(app_counts, CUSTOMERS),
            "  not counted above: Lambda's own SQS calls (the event source mapping receives and deletes; "
            "the bench stands in for it): "
            + ", ".join(f"{s}.{o}: {n}" for (s, o), n in sorted(harness_counts.items())),
            f"bare SES: {CUSTOMERS} send_raw_email of the batch's first email ({len(emails[0].raw_data)} bytes) "
            f"on a client of our own: {bare:.2f} s wall ({bare_cpu:.2f} s CPU; CPU ratio {batch_cpu / bare_cpu:.1f})",
            "",
        ]
        figures = [
            Figure("bulk_aws_requests_per_reminder", per, "", "floor", 1.0, "<= 1.2", per <= 1.2, ratio=per),
            Figure("bulk_time_ratio", batch_seconds, " s", "baseline", bare, "<= 1.5",
                   batch_seconds / bare <= 1.5),
        ]
        figures.append(render_figure(tenant_id, seeded.customer_ids[0], details))
    return figures


def _bare_environment(source: Any) -> dict[str, Any]:
    """Plain Jinja2 (no sandbox, no bounds), compiled once, with the filters the templates call."""
    from jinja2 import Environment

    from chalicelib.domain import rendering

    compiled = {}
    for part in rendering.PARTS:
        environment = Environment(autoescape=part == "html", keep_trailing_newline=True)
        environment.filters["money"] = rendering.money_filter(source.locale)
        environment.filters["date"] = lambda value, locale=source.locale: rendering.format_date(value, locale)
        compiled[part] = environment.from_string(getattr(source, part))
    return compiled


def render_figure(tenant_id: str, customer_id: str, details: list[str]) -> Figure:
    """Our rendering of one reminder (subject, html, text) over bare Jinja2 on the same source and context."""
    from chalicelib.domain import rendering
    from chalicelib.domain.memo import payment_memo
    from chalicelib.domain.schemas.reminders import ReminderChoices
    from chalicelib.services import customers, reminders

    customer = customers.get(tenant_id, customer_id)
    choices = ReminderChoices.model_construct(template_id=None, sender=None, extra_recipients=[],
                                              bank_account_id=None, invoice_ids=None, amount=None)
    c = reminders.compose(tenant_id, customer, choices, memo=payment_memo(customer.code, "rem_bench"))
    wanted = {"pay_url": "https://pay.nhacno.vn/pay/abc", "qr_src": "cid:vietqr"}
    accepted = inspect.signature(reminders.context).parameters
    context = reminders.context(c, **{k: v for k, v in wanted.items() if k in accepted})
    source = c.source
    bare = _bare_environment(source)
    ours = rendering.render(source, context)  # compiles once, as a worker does for its first reminder
    theirs = {part: template.render({"pay_url": None, **context}) for part, template in bare.items()}
    assert (ours.html, ours.text) == (theirs["html"], theirs["text"]), "bare Jinja2 renders something else"

    def time_ours() -> None:
        rendering.render(source, context)

    def time_bare() -> None:
        for template in bare.values():
            template.render(context)

    ours_s, bare_s = interleaved(time_ours, time_bare, rounds=15, number=40)
    details += [f"render: template {source.key}, {len(ours.html)} chars of html; median of 15 rounds x 40 renders: "
                f"ours {ours_s * 1e3:.3f} ms, bare Jinja2 {bare_s * 1e3:.3f} ms per reminder", ""]
    return Figure("render_ratio", ours_s * 1e3, " ms", "baseline", bare_s * 1e3, "<= 1.3", ours_s / bare_s <= 1.3)


def interleaved(ours: Any, bare: Any, *, rounds: int, number: int) -> tuple[float, float]:
    """Median seconds per call of each, measured in alternating rounds (a busy machine hits both alike)."""
    mine, theirs = [], []
    for _ in range(rounds):
        for fn, out in ((ours, mine), (bare, theirs)):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            out.append((time.perf_counter() - start) / number)
    return statistics.median(mine), statistics.median(theirs)
