"""Automatic reminders: the tenant's rules, run by the scheduler once a day in the tenant's time zone."""

from __future__ import annotations

import email
from email import policy
from typing import Any

import pytest
from freezegun import freeze_time

from tests import factories, worker

RULES = [{"offset_days": -3}, {"offset_days": 0}, {"offset_days": 7, "repeat_every_days": 7, "max_repeats": 2}]
DUE = "2026-12-10"


@pytest.fixture
def app(client):
    from app import app as chalice_app

    return chalice_app


def turn_on(api: Any, rules: list[dict[str, Any]] = RULES, *, enabled: bool = True) -> None:
    response = api.patch("/v1/settings", {"auto_reminders": {"enabled": enabled, "rules": rules}})
    assert response.status_code == 200, response.body
    assert response.data["auto_reminders"]["enabled"] is enabled


def scheduled_run() -> None:
    import app as app_module  # the module's handlers are the wrapped Lambda entry points

    app_module.scheduler({"version": "0", "id": "e1", "detail-type": "Scheduled Event", "source": "aws.events",
                          "account": "123456789012", "time": "2026-12-10T03:00:00Z", "region": "ap-southeast-1",
                          "resources": [], "detail": {}}, None)


def day(app: Any, on: str, *, at: str = "03:00:00Z", runs: int = 1) -> list[Any]:
    """One day: the scheduler runs (10:00 in Hanoi by default), then the worker sends. Returns that day's emails."""
    before = len(worker.sent_emails())
    with freeze_time(f"{on}T{at}"):
        for _ in range(runs):
            scheduled_run()
        worker.drain(app)
    return worker.sent_emails()[before:]


def parsed(sent: Any) -> Any:
    return email.message_from_bytes(sent.raw_data.encode(), policy=policy.default)


def to_of(sent: Any) -> list[str]:
    """The addresses in the To header of an email SES sent."""
    return sorted(address.addr_spec for address in parsed(sent)["To"].addresses)


def text_of(sent: Any) -> str:
    return parsed(sent).get_body(("plain",)).get_content()


def history(api: Any, customer_id: str) -> list[dict[str, Any]]:
    return api.get(f"/v1/customers/{customer_id}/reminders").data["items"]


def setup_customer(api: Any, *invoices: dict[str, Any], **fields: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    with freeze_time("2026-12-01T03:00:00Z"):
        customer = factories.customer(api, **fields)
        made = [factories.invoice(api, customer["id"], **inv) for inv in invoices]
    return customer, made


def test_rules_remind_before_on_and_after_the_due_date_then_repeat_up_to_max_repeats(api, app):
    turn_on(api)
    customer, [invoice] = setup_customer(api, {"number": "HD-1001", "due_date": DUE, "amount": 4_200_000})

    sent_on = {on: day(app, on) for on in [
        "2026-12-06", "2026-12-07", "2026-12-08", "2026-12-09", "2026-12-10", "2026-12-11", "2026-12-16",
        "2026-12-17", "2026-12-18", "2026-12-24", "2026-12-31", "2027-01-07", "2027-01-14"]}

    assert {on: len(emails) for on, emails in sent_on.items()} == {
        "2026-12-06": 0, "2026-12-07": 1, "2026-12-08": 0, "2026-12-09": 0, "2026-12-10": 1, "2026-12-11": 0,
        "2026-12-16": 0, "2026-12-17": 1, "2026-12-18": 0, "2026-12-24": 1, "2026-12-31": 1,
        "2027-01-07": 0,  # max_repeats: 2 -> days 7, 14, 21 and no more
        "2027-01-14": 0}
    for emails in sent_on.values():
        for sent in emails:
            assert to_of(sent) == customer["emails"]
            assert "HD-1001" in text_of(sent) and "4.200.000 ₫" in text_of(sent)
    reminders = history(api, customer["id"])
    assert len(reminders) == 5
    assert {(r["source"], r["status"], tuple(r["invoice_ids"])) for r in reminders} == {
        ("auto", "sent", (invoice["id"],))}
    assert sorted(r["sent_at"][:10] for r in reminders) == [
        "2026-12-07", "2026-12-10", "2026-12-17", "2026-12-24", "2026-12-31"]
    assert api.get(f"/v1/customers/{customer['id']}").data["reminder_count"] == 5


def test_running_the_scheduler_again_the_same_day_creates_nothing_more(api, app):
    turn_on(api)
    customer, _ = setup_customer(api, {"due_date": DUE})
    assert len(day(app, DUE, runs=2)) == 1
    assert day(app, DUE, at="09:00:00Z") == []  # a later run the same Hanoi day (16:00)
    assert day(app, DUE, at="16:59:00Z") == []  # 23:59 in Hanoi
    assert len(history(api, customer["id"])) == 1


def test_one_reminder_a_day_per_customer_lists_every_invoice_that_hits_a_rule(api, app):
    turn_on(api)
    customer, invoices = setup_customer(
        api,
        {"number": "HD-DUE", "due_date": DUE, "amount": 1_000_000},  # 0: due today
        {"number": "HD-SOON", "due_date": "2026-12-13", "amount": 2_000_000},  # -3
        {"number": "HD-WEEK", "due_date": "2026-12-03", "amount": 3_000_000, "issue_date": "2026-11-01"},  # 7
        {"number": "HD-QUIET", "due_date": "2026-12-05", "amount": 5_000_000, "issue_date": "2026-11-01"},  # 5
    )
    neighbour, _ = setup_customer(api, {"number": "HD-KHAC", "due_date": DUE, "amount": 700_000})

    sent = day(app, DUE)

    assert sorted(to_of(s)[0] for s in sent) == sorted([customer["emails"][0], neighbour["emails"][0]])
    mine = next(s for s in sent if to_of(s) == customer["emails"])
    text = text_of(mine)
    assert "HD-DUE" in text and "HD-SOON" in text and "HD-WEEK" in text
    assert "HD-QUIET" not in text
    assert "6.000.000 ₫" in text  # the amount asked is the hit invoices' outstanding
    [reminder] = history(api, customer["id"])
    assert sorted(reminder["invoice_ids"]) == sorted(i["id"] for i in invoices[:3])
    assert reminder["amount"] == 6_000_000


def test_a_customer_with_many_invoices_due_the_same_day_gets_one_reminder_listing_them_all(api, app):
    turn_on(api, [{"offset_days": 0}])
    customer, invoices = setup_customer(api, *[{"due_date": DUE, "amount": 100_000} for _ in range(120)])

    sent = day(app, DUE)

    assert len(sent) == 1
    assert "12.000.000 ₫" in text_of(sent[0])
    [reminder] = history(api, customer["id"])
    assert reminder["status"] == "sent"
    assert sorted(reminder["invoice_ids"]) == sorted(i["id"] for i in invoices)
    assert day(app, DUE) == []


def test_paid_and_void_invoices_and_paused_customers_are_never_reminded(api, app):
    turn_on(api)
    paid_customer, [paid] = setup_customer(api, {"due_date": DUE, "amount": 1_000_000})
    void_customer, [void] = setup_customer(api, {"due_date": DUE, "amount": 1_000_000})
    paused, _ = setup_customer(api, {"due_date": DUE}, reminders_paused=True)
    partly, [part_paid] = setup_customer(api, {"due_date": DUE, "amount": 1_000_000})
    with freeze_time("2026-12-02T03:00:00Z"):
        assert factories.pay(api, paid["id"], 1_000_000).status_code == 201
        assert api.post(f"/v1/invoices/{void['id']}/void").status_code == 200
        assert factories.pay(api, part_paid["id"], 400_000).status_code == 201

    for on in ("2026-12-07", DUE, "2026-12-17"):
        sent = day(app, on)
        assert [to_of(s) for s in sent] == [partly["emails"]]
        assert "600.000 ₫" in text_of(sent[0])
    for customer in (paid_customer, void_customer, paused):
        assert history(api, customer["id"]) == []


def test_reminder_whose_invoices_are_paid_before_sending_is_skipped_not_sent(api, app):
    turn_on(api)
    customer, [invoice] = setup_customer(api, {"due_date": DUE, "amount": 1_000_000})
    with freeze_time(f"{DUE}T03:00:00Z"):
        scheduled_run()
        [queued] = history(api, customer["id"])
        assert queued["status"] == "queued"
        assert factories.pay(api, invoice["id"], 1_000_000, paid_on=DUE).status_code == 201
        worker.drain(app)
    assert worker.sent_emails() == []
    [reminder] = history(api, customer["id"])
    assert reminder["status"] == "skipped"
    assert "outstanding" in reminder["last_error"]


def test_customer_paused_after_the_reminder_was_created_is_skipped_not_sent(api, app):
    turn_on(api)
    customer, _ = setup_customer(api, {"due_date": DUE})
    with freeze_time(f"{DUE}T03:00:00Z"):
        scheduled_run()
        assert api.patch(f"/v1/customers/{customer['id']}", {"reminders_paused": True}).status_code == 200
        worker.drain(app)
    assert worker.sent_emails() == []
    [reminder] = history(api, customer["id"])
    assert reminder["status"] == "skipped" and "paused" in reminder["last_error"]


def test_disabled_rules_remind_nobody_and_one_tenants_rules_never_touch_another(api, other, app):
    turn_on(api, enabled=False)
    turn_on(other)
    mine, _ = setup_customer(api, {"due_date": DUE})
    theirs, _ = setup_customer(other, {"due_date": DUE})
    with freeze_time("2026-12-01T03:00:00Z"):
        untouched = factories.customer(api)  # a tenant that never set rules: nothing either
        factories.invoice(api, untouched["id"], due_date=DUE)

    for on in ("2026-12-07", DUE, "2026-12-17"):
        assert [to_of(s) for s in day(app, on)] == [theirs["emails"]]
    assert history(api, mine["id"]) == []
    assert len(history(other, theirs["id"])) == 3


def test_today_is_the_day_in_the_tenants_time_zone(api, other, app):
    turn_on(api, [{"offset_days": 0}])
    customer, _ = setup_customer(api, {"due_date": DUE})
    # 2026-12-09T18:00Z is already 01:00 on the 10th in Hanoi: the due day.
    assert [to_of(s) for s in day(app, "2026-12-09", at="18:00:00Z")] == [customer["emails"]]

    turn_on(other, [{"offset_days": 0}])
    assert other.patch("/v1/settings", {"timezone": "America/New_York"}).status_code == 200
    abroad, _ = setup_customer(other, {"due_date": DUE})
    assert day(app, DUE, at="03:00:00Z") == []  # still the 9th in New York
    assert [to_of(s) for s in day(app, DUE, at="15:00:00Z")] == [abroad["emails"]]


def test_rules_use_the_chosen_template(api, app):
    template = api.post("/v1/templates", {"name": "Nhắc tự động", "subject": "Tự động: {{ customer.name }}",
                                          "html": "<p>Tự động {{ amount|money }}</p>",
                                          "text": "Tự động {{ amount|money }}"})
    assert template.status_code == 201, template.body
    response = api.patch("/v1/settings", {"auto_reminders": {"enabled": True, "template_id": template.data["id"],
                                                             "rules": [{"offset_days": 0}]}})
    assert response.status_code == 200, response.body
    customer, _ = setup_customer(api, {"due_date": DUE, "amount": 1_500_000})
    [sent] = day(app, DUE)
    assert text_of(sent).strip() == "Tự động 1.500.000 ₫"
    assert history(api, customer["id"])[0]["template_id"] == template.data["id"]
