"""Load: 20 concurrent HTTP clients for 30 s against the local stack (``python -m infra.local`` on free
ports, as ``make run`` starts it), creating invoices, paying them and reading receivables.

No request may fail (no 5xx, no connection error), and at the end the tenant's totals and every
client's customer equal what was created minus what was paid. The request rate is printed.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.test_local_stack import running_stack

CLIENTS = 20
SECONDS = 30
MAX_ROUNDS = 400  # per client: bounds the run if the server is far faster than expected


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with running_stack(tmp_path_factory) as running:
        yield running


def call(base: str, key: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


class Client:
    def __init__(self, n: int, base: str, key: str) -> None:
        self.n, self.base, self.key = n, base, key
        self.created = self.paid = self.requests = 0
        self.errors: list[str] = []
        self.customer_id = ""

    def ask(self, method: str, path: str, body: Any = None, expect: tuple[int, ...] = (200, 201)) -> Any:
        self.requests += 1
        try:
            status, data = call(self.base, self.key, method, path, body)
        except OSError as exc:  # connection refused/reset, timeout
            self.errors.append(f"{method} {path}: {exc!r}")
            return None
        if status not in expect:
            self.errors.append(f"{method} {path}: {status} {data}")
            return None
        return data

    def run(self, deadline: float) -> None:
        customer = self.ask("POST", "/v1/customers", {"code": f"LOAD{self.n:02d}", "name": f"Khách tải {self.n}",
                                                     "emails": [f"load{self.n}@khach.vn"]})
        if customer is None:
            return
        self.customer_id = customer["id"]
        for i in range(MAX_ROUNDS):
            if time.monotonic() > deadline:
                return
            amount = 100_000 + self.n * 1_000 + i
            due = "2026-01-15" if i % 2 else "2099-12-31"
            invoice = self.ask("POST", "/v1/invoices", {
                "customer_id": self.customer_id, "number": f"LOAD-{self.n:02d}-{i:04d}", "issue_date": "2026-01-01",
                "due_date": due, "amount": amount})
            if invoice is None:
                continue
            self.created += amount
            pay = amount if i % 3 == 0 else amount // 3
            if self.ask("POST", f"/v1/invoices/{invoice['id']}/payments",
                        {"amount": pay, "paid_on": "2026-01-20", "method": "bank_transfer"}) is not None:
                self.paid += pay
            if i % 2 == 0:
                self.ask("GET", "/v1/receivables?status=open&sort=outstanding&limit=50")
            else:
                self.ask("GET", "/v1/receivables/summary")


def test_twenty_clients_for_thirty_seconds_make_no_errors_and_totals_add_up(stack):
    key = stack.value("Demo API key:")
    status, before = call(stack.base, key, "GET", "/v1/receivables/summary")
    assert status == 200, before
    clients = [Client(n, stack.base, key) for n in range(CLIENTS)]
    started = time.monotonic()
    deadline = started + SECONDS
    threads = [threading.Thread(target=c.run, args=(deadline,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 120)
        assert not thread.is_alive(), "a client never finished"
    elapsed = time.monotonic() - started
    requests = sum(c.requests for c in clients)
    errors = [e for c in clients for e in c.errors]
    print(f"\nload: {requests} requests from {CLIENTS} clients in {elapsed:.1f} s = {requests / elapsed:.1f} req/s; "
          f"{len(errors)} errors; created {sum(c.created for c in clients)}, paid {sum(c.paid for c in clients)}")
    assert errors == []
    assert all(c.created for c in clients)

    status, after = call(stack.base, key, "GET", "/v1/receivables/summary")
    assert status == 200, after
    created, paid = sum(c.created for c in clients), sum(c.paid for c in clients)
    assert after["outstanding"] == before["outstanding"] + created - paid
    assert after["customers"] == before["customers"] + CLIENTS
    for c in clients:
        status, customer = call(stack.base, key, "GET", f"/v1/customers/{c.customer_id}")
        assert status == 200, customer
        assert customer["outstanding"] == c.created - c.paid, (c.n, customer["outstanding"], c.created, c.paid)
        rows = call(stack.base, key, "GET", f"/v1/receivables?status=all&q=LOAD{c.n:02d}")[1]["items"]
        assert [r["outstanding"] for r in rows if r["customer_id"] == c.customer_id] == [c.created - c.paid]
