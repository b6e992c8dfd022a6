"""``make run`` works end to end: the local stack starts on free ports, serves the seeded demo receivables to
the key it prints, answers unknown paths with a 404 problem+json, and stops cleanly on Ctrl-C.

The stack runs as ``python -m infra.local`` in a subprocess, as ``make run`` runs it; every wait is a poll
against a deadline. The checks share one stack in one test, so that ``pytest -n 2`` starts it once.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 180  # a cold start on a loaded 2-CPU machine; about 10 s when idle
STOP_SECONDS = 30


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Stack:
    def __init__(self, process: subprocess.Popen[str], base: str, lines: list[str], log: Path) -> None:
        self.process, self.base, self.lines, self.log = process, base, lines, log

    def value(self, label: str) -> str:
        return next(line.split(label, 1)[1].strip() for line in self.lines if label in line)

    def get(self, path: str, key: str | None = None) -> tuple[int, dict[str, str], Any]:
        return self.call("GET", path, key)

    def post(self, path: str, key: str, body: Any) -> tuple[int, dict[str, str], Any]:
        return self.call("POST", path, key, body)

    def call(self, method: str, path: str, key: str | None = None, body: Any = None) -> tuple[int, dict[str, str], Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if key:
            request.add_header("Authorization", f"Bearer {key}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), json.loads(error.read())


def _read_lines(stream: Any, into: queue.Queue[str | None]) -> None:
    for line in stream:
        into.put(line.rstrip("\n"))
    into.put(None)


@contextmanager
def running_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    port, aws_port = _free_port(), _free_port()
    # A clean environment: none of the test suite's NHACNO_/AWS_ settings leak into the stack.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NHACNO_", "AWS_"))}
    env.update(PORT=str(port), AWS_PORT=str(aws_port), PYTHONUNBUFFERED="1", NHACNO_SCHEDULE_SECONDS="2")
    log = tmp_path_factory.mktemp("local-stack") / "stderr.log"
    with open(log, "w") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "infra.local"], cwd=ROOT, env=env, text=True,
                                   stdout=subprocess.PIPE, stderr=stderr)
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + START_SECONDS
    try:
        while not any("local stack ready" in line for line in seen):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no ready line within {START_SECONDS} s: {seen}\n{log.read_text()[-3000:]}"
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            assert line is not None, f"the stack exited ({process.poll()}): {seen}\n{log.read_text()[-3000:]}"
            seen.append(line)
        stack = Stack(process, f"http://127.0.0.1:{port}", seen, log)
        yield stack
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=STOP_SECONDS)


def test_make_run_serves_the_demo_and_stops_on_ctrl_c(tmp_path_factory: pytest.TempPathFactory) -> None:
    with running_stack(tmp_path_factory) as stack:
        demo_key_sees_30_customers_of_receivables_across_pages(stack)
        overdue_receivables_are_sorted_by_days_overdue(stack)
        printed_customer_curls_work(stack)
        unknown_path_is_a_404_problem(stack)
        a_reminder_is_sent_by_the_local_worker_into_the_outbox(stack)
        a_bulk_batch_to_every_overdue_customer_finishes(stack)
        without_a_key_is_401(stack)
        ctrl_c_stops_everything_and_exits_0(stack)


def demo_key_sees_30_customers_of_receivables_across_pages(stack: Stack) -> None:
    key = stack.value("Demo API key:")
    rows: list[dict[str, Any]] = []
    path = "/v1/receivables?status=all&sort=name&limit=7"
    for _ in range(10):
        status, _headers, page = stack.get(path, key)
        assert status == 200, page
        rows += page["items"]
        if not page["next_cursor"]:
            break
        path = f"/v1/receivables?status=all&sort=name&limit=7&cursor={page['next_cursor']}"
    assert len({row["customer_id"] for row in rows}) == 30
    assert sum(row["open_invoices"] for row in rows) > 30


def overdue_receivables_are_sorted_by_days_overdue(stack: Stack) -> None:
    key = stack.value("Demo API key:")
    status, _headers, page = stack.get("/v1/receivables?status=overdue&sort=days_overdue&limit=200", key)
    assert status == 200, page
    overdue = page["items"]
    assert len(overdue) >= 10
    assert all(row["overdue_amount"] > 0 for row in overdue)
    days = [row["max_days_overdue"] for row in overdue]
    assert days == sorted(days, reverse=True)
    assert days[0] == 120


def printed_customer_curls_work(stack: Stack) -> None:
    key = stack.value("Demo API key:")
    customer_path = next(line.split(stack.base, 1)[1].rstrip('"') for line in stack.lines
                         if "/v1/customers/" in line and not line.rstrip('"').endswith("/invoices"))
    status, _headers, customer = stack.get(customer_path, key)
    assert status == 200, customer
    assert customer["name"].startswith(("Công ty", "Hộ kinh doanh"))
    status, _headers, invoices = stack.get(customer_path + "/invoices", key)
    assert status == 200 and invoices["items"], invoices


def poll(check: Any, seconds: float = 60) -> Any:
    """Call ``check`` until it returns something truthy, up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def a_reminder_is_sent_by_the_local_worker_into_the_outbox(stack: Stack) -> None:
    key = stack.value("Demo API key:")
    _status, _headers, page = stack.get("/v1/receivables?status=overdue&sort=days_overdue&limit=1", key)
    customer_id = page["items"][0]["customer_id"]
    status, _headers, queued = stack.post(f"/v1/customers/{customer_id}/reminders", key, {})
    assert status == 202 and queued["status"] == "queued", queued

    def sent() -> Any:
        return stack.get(f"/v1/reminders/{queued['id']}", key)[2]["status"] == "sent"

    assert poll(sent), stack.get(f"/v1/reminders/{queued['id']}", key)
    _status, _headers, reminder = stack.get(f"/v1/reminders/{queued['id']}", key)
    _status, _headers, outbox = stack.get("/local/outbox")
    mine = [item for item in outbox["items"] if item["reminder_id"] == queued["id"]]
    assert len(mine) == 1 and mine[0]["subject"] == reminder["subject"]
    assert Path(mine[0]["file"]).read_bytes().count(b"Subject:") == 1


def a_bulk_batch_to_every_overdue_customer_finishes(stack: Stack) -> None:
    key = stack.value("Demo API key:")
    status, _headers, batch = stack.post("/v1/reminder-batches", key, {"all": True, "status": "overdue"})
    assert status == 202 and batch["status"] == "running", batch

    def done() -> Any:
        view = stack.get(f"/v1/reminder-batches/{batch['id']}", key)[2]
        return view if view["status"] == "done" else None

    finished = poll(done, seconds=120)  # the scheduled run closes it (every NHACNO_SCHEDULE_SECONDS)
    assert finished, stack.get(f"/v1/reminder-batches/{batch['id']}", key)
    assert finished["total"] >= 10  # for "all", the total grows as the worker walks the customers
    assert finished["sent"] == finished["total"] and finished["failed"] == 0 and finished["queued"] == 0


def unknown_path_is_a_404_problem(stack: Stack) -> None:
    status, headers, body = stack.get("/v1/no-such-thing", stack.value("Demo API key:"))
    assert status == 404
    assert headers["Content-Type"] == "application/problem+json"
    assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == 404


def without_a_key_is_401(stack: Stack) -> None:
    status, _headers, body = stack.get("/v1/receivables")
    assert status == 401 and body["status"] == 401


def ctrl_c_stops_everything_and_exits_0(stack: Stack) -> None:
    stack.process.send_signal(signal.SIGINT)
    assert stack.process.wait(timeout=STOP_SECONDS) == 0, stack.log.read_text()[-3000:]
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", int(stack.base.rsplit(":", 1)[1])), timeout=2).close()


def test_a_demo_key_setting_in_any_shape_gives_a_valid_fixed_key() -> None:
    from infra.seed import key_from_setting

    given = "nk.ten_demo.key_demo.s3cretValue"
    assert key_from_setting(given) == given
    derived = key_from_setting("demo")
    assert derived == key_from_setting("demo") and derived.startswith("nk.ten_demo")
    assert len(derived.split(".")) == 4


def test_a_fixed_demo_key_authenticates_its_tenant(aws_mock: None) -> None:
    from chalicelib.services import auth
    from infra.seed import create_tenant

    tenant_id, key = create_tenant("nk.ten_fixed.key_fixed.s3cretValue")
    assert tenant_id == "ten_fixed"
    assert auth.tenant_for_key(key) == ("ten_fixed", "key_fixed")
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do; the secret is wrong
        auth.tenant_for_key("nk.ten_fixed.key_fixed.wrong")
