"""Nhacno's Chalice app: registers the blueprints and event handlers, nothing else."""

from typing import Any

from chalice import Chalice, Rate
from chalice.app import CloudWatchEvent, SNSEvent, SQSEvent

from chalicelib.routes import (
    bank_accounts,
    bank_transactions,
    batches,
    customers,
    events,
    invoices,
    meta,
    pay,
    receivables,
    reminders,
    senders,
    suppressions,
    templates,
    tenants,
    vietqr,
)
from chalicelib.routes import settings as settings_routes
from chalicelib.routes.middleware import problem_json
from chalicelib.settings import settings

app = Chalice(app_name="nhacno")
app.experimental_feature_flags.update(["BLUEPRINTS"])
app.register_middleware(problem_json, "http")

for blueprint in (meta, tenants, customers, invoices, receivables, reminders, batches, settings_routes, templates,
                  senders, bank_accounts, suppressions, vietqr, bank_transactions, pay):
    app.register_blueprint(blueprint.bp)

if settings.stage == "local":  # the outbox of emails SES accepted, on the local stack only
    from chalicelib.routes import local

    app.register_blueprint(local.bp)


# Four messages of up to 50 reminders: at most 200 emails an invocation, well inside the 60 s timeout.
@app.on_sqs_message(queue=settings.queue_name, batch_size=4, name="send_worker")
def send_worker(event: SQSEvent) -> dict[str, Any]:
    return events.on_send_queue(event)


@app.on_sns_message(topic=settings.ses_events_topic, name="ses_events")
def ses_events(event: SNSEvent) -> None:
    events.on_ses_event(event)


@app.schedule(Rate(settings.schedule_minutes, unit=Rate.MINUTES), name="scheduler")
def scheduler(event: CloudWatchEvent) -> None:
    events.on_schedule(event)
