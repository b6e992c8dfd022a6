"""The scheduled function keeps going for every tenant when one tenant's run fails."""

from __future__ import annotations

from freezegun import freeze_time

from chalicelib.services import scheduler
from chalicelib.store.tenants import Tenant
from tests import factories, worker
from tests.conftest import new_tenant


@freeze_time("2026-12-04T03:00:00Z")
def test_one_tenants_broken_rules_do_not_stop_the_others(api, client):
    broken = new_tenant(client, "Công ty Hỏng")
    broken_id = broken.key.split(".")[1]
    customer = factories.customer(broken)
    factories.invoice(broken, customer["id"], due_date="2026-12-04")
    # Rules written before validation existed (no offset_days): this tenant's run raises.
    Tenant(broken_id).update(actions=[Tenant.auto_reminders.set({"enabled": True, "rules": [{"every": 3}]})])

    assert api.patch("/v1/settings", {"auto_reminders": {"enabled": True, "rules": [{"offset_days": 0}]}}
                     ).status_code == 200
    good = factories.customer(api)
    factories.invoice(api, good["id"], due_date="2026-12-04")

    totals = scheduler.run()
    worker.drain(None)
    assert totals["tenants_failed"] == 1
    assert totals["auto_reminders"] == 1
    assert len(worker.sent_emails()) == 1
    assert api.get(f"/v1/customers/{good['id']}").data["reminder_count"] == 1
