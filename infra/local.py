"""``make run``: the whole app on this machine, against an in-memory AWS, with demo data. No account needed.

It starts moto's server (DynamoDB, SES, SQS in memory) on ``127.0.0.1:$AWS_PORT`` and the Chalice app from
``app.py`` on ``127.0.0.1:$PORT`` through ``chalice.local``, then creates the tables, verifies the system
sender, seeds a demo tenant and prints how to call it. Ctrl-C or SIGTERM stops both servers and exits 0.

The environment is set before anything imports ``chalicelib``, because PynamoDB fixes a model's endpoint and
table name when the class is created. Environment knobs: ``PORT`` (8000), ``AWS_PORT`` (4566), ``HOST``
(127.0.0.1), ``NHACNO_ADMIN_KEY`` and ``NHACNO_DEMO_API_KEY`` (fixed keys instead of fresh ones each run).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STAGE = "local"
READY = "Nhacno local stack ready"
NOT_FOUND_DETAIL = "No route matches this method and path."


class Stop(Exception):
    """Raised in the main thread by the first SIGINT/SIGTERM, wherever start-up has got to."""


def configure_environment(port: int, aws_port: int, host: str) -> dict[str, str]:
    """Set every variable ``chalicelib.settings`` reads; returns the admin and demo key settings."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    defaults = {**config.get("environment_variables", {}),
                **config.get("stages", {}).get(STAGE, {}).get("environment_variables", {})}
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    os.environ.pop("AWS_PROFILE", None)  # a profile that names a real account has no business here
    os.environ.update({
        # Dummy credentials: moto accepts any, and real ones are never sent anywhere.
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION") or "ap-southeast-1",
        "NHACNO_STAGE": STAGE,
        "NHACNO_TABLE_PREFIX": "nhacno-local",
        "NHACNO_AWS_ENDPOINT": f"http://{host}:{aws_port}",
        "NHACNO_PUBLIC_BASE_URL": f"http://{host}:{port}",
    })
    # Every email SES accepts is also written here, and listed by GET /local/outbox.
    os.environ.setdefault("NHACNO_OUTBOX_DIR", str(ROOT / ".local" / "outbox"))
    if not os.environ.get("NHACNO_ADMIN_KEY", "").strip():
        os.environ["NHACNO_ADMIN_KEY"] = f"admin-local-{secrets.token_urlsafe(12)}"
    return {"admin_key": os.environ["NHACNO_ADMIN_KEY"].strip(),
            "demo_key": os.environ.get("NHACNO_DEMO_API_KEY", "").strip()}


def check_port_free(host: str, port: int, variable: str) -> None:
    # ThreadedMotoServer waits forever when its socket cannot bind, so find out first.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise SystemExit(f"Port {port} on {host} is not free ({exc.strerror}); "
                             f"choose another with {variable}=<port>.") from None


def start_moto(host: str, port: int) -> Any:
    from moto.server import ThreadedMotoServer

    from infra import moto_patches

    moto_patches.apply()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per AWS call drowns the API's log
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    return server


def prepare_aws() -> None:
    """What CloudFormation creates in a real deployment: tables, the verified system sender, the queue."""
    from chalicelib.adapters import aws
    from chalicelib.settings import settings
    from chalicelib.store.tables import create_all

    create_all()
    aws.client("ses").verify_email_identity(EmailAddress=settings.system_sender)
    if not settings.send_queue_url:
        aws.client("sqs").create_queue(QueueName=settings.queue_name)
    # The in-memory AWS starts empty each run; so does the outbox that mirrors its SES.
    outbox = Path(settings.outbox_dir)
    if settings.outbox_dir and outbox.is_dir():
        for old in outbox.glob("*.eml"):
            old.unlink()


def not_found_handler() -> type:
    """chalice.local's request handler, answering an unknown path the way our API Gateway does.

    API Gateway says 403 "Missing Authentication Token" for a path no route matches; the deployed stack
    maps that to a 404 problem+json through a GatewayResponse (infra/resources.py), and so does this.
    """
    from chalice.local import ChaliceRequestHandler, LocalGateway, LocalGatewayException

    from chalicelib.routes.http import PROBLEM_JSON, PROBLEM_TYPE_BASE

    class RouteNotFound(LocalGatewayException):
        CODE = 404

    class ProblemGateway(LocalGateway):
        def _generate_lambda_event(self, method: str, path: str, headers: dict[str, Any],
                                   body: bytes | None) -> dict[str, Any]:
            try:
                return super()._generate_lambda_event(method, path, headers, body)
            except ValueError:
                problem = {"type": f"{PROBLEM_TYPE_BASE}not-found", "title": "Not Found", "status": 404,
                           "detail": NOT_FOUND_DETAIL}
                raise RouteNotFound({"Content-Type": PROBLEM_JSON},
                                    json.dumps(problem).encode()) from None

    class ProblemRequestHandler(ChaliceRequestHandler):
        def __init__(self, request: Any, client_address: Any, server: Any, app_object: Any, config: Any) -> None:
            self.local_gateway = ProblemGateway(app_object, config)
            super(ChaliceRequestHandler, self).__init__(request, client_address, server)

    return ProblemRequestHandler


def start_api(host: str, port: int) -> tuple[Any, threading.Thread]:
    """Serve ``app.py``'s app the way ``chalice local`` does (threaded, one request context per thread)."""
    from chalice.config import Config
    from chalice.local import CustomLocalChalice, LocalChalice, LocalDevServer, ThreadedHTTPServer

    from app import app

    config = Config.create(chalice_stage=STAGE, app_name=app.app_name, project_dir=str(ROOT),
                           config_from_disk=json.loads((ROOT / ".chalice" / "config.json").read_text()))
    # As chalice.local.create_local_server: give the app a thread-local current_request.
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    class Server(ThreadedHTTPServer):
        # socketserver listens with a backlog of 5: twenty clients connecting at once on a busy machine
        # get their connections reset. A front end or a load test deserves a real queue.
        request_queue_size = 128
        daemon_threads = True

    server = LocalDevServer(app, config, host, port, handler_cls=not_found_handler(), server_cls=Server)
    thread = threading.Thread(target=server.server.serve_forever, name="nhacno-api", daemon=True)
    thread.start()
    return server, thread


def start_workers() -> Any:
    """The send worker's SQS poller and the schedule, calling app.py's own handlers (infra/local_worker.py)."""
    try:
        from infra.local_worker import LocalWorkers
    except ImportError:
        return None
    workers = LocalWorkers()
    workers.start()
    return workers


def banner(base: str, aws: str, admin_key: str, demo: Any, seconds: float) -> str:
    auth = f'-H "Authorization: Bearer {demo.api_key}"'
    customer = demo.showcase_customer_id
    lines = [
        "",
        f"Nhacno (stage {STAGE}) on {base}, in-memory AWS on {aws}; started in {seconds:.1f} s.",
        f"  demo tenant {demo.tenant_id}: {demo.customers} customers, {demo.invoices} invoices, "
        f"{demo.payments} payments",
        *(f"  note: {note}" for note in demo.notes),
        "",
        f"  Demo API key: {demo.api_key}",
        f"  Admin key:    {admin_key}",
        "",
        "  Who owes the longest (Quản lý khoản phải thu):",
        f'    curl -s {auth} "{base}/v1/receivables?status=overdue&sort=days_overdue"',
        "  One customer, with its receivable summary:",
        f'    curl -s {auth} "{base}/v1/customers/{customer}"',
        "  Its invoices:",
        f'    curl -s {auth} "{base}/v1/customers/{customer}/invoices"',
        f"  Emails the app sent (SES in memory): {base}/local/outbox, files in {os.environ['NHACNO_OUTBOX_DIR']}",
        "",
        f"{READY} on {base} (Ctrl-C to stop)",
    ]
    return "\n".join(lines)


def _signals(stopping: threading.Event) -> None:
    def handle(signum: int, frame: FrameType | None) -> None:
        if stopping.is_set():
            return  # already shutting down; a second Ctrl-C must not interrupt the clean-up
        stopping.set()
        raise Stop(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


def run() -> int:
    port = int(os.environ.get("PORT") or 8000)
    aws_port = int(os.environ.get("AWS_PORT") or 4566)
    host = os.environ.get("HOST") or "127.0.0.1"
    keys = configure_environment(port, aws_port, host)
    check_port_free(host, aws_port, "AWS_PORT")
    check_port_free(host, port, "PORT")
    stopping = threading.Event()
    _signals(stopping)
    cleanup: list[Callable[[], None]] = []
    try:
        started = time.monotonic()
        moto = start_moto(host, aws_port)
        cleanup.append(moto.stop)
        from infra import seed

        fixed = seed.key_from_setting(keys["demo_key"]) if keys["demo_key"] else None
        if fixed and fixed != keys["demo_key"]:
            print(f"NHACNO_DEMO_API_KEY is not an nk.<tenant>.<key>.<secret> key; using {fixed}, derived from it.",
                  flush=True)
        prepare_aws()
        demo = seed.seed_demo(fixed)
        server, _thread = start_api(host, port)
        cleanup.append(server.server.server_close)
        cleanup.append(server.shutdown)
        workers = start_workers()
        if workers is not None:
            cleanup.append(workers.stop)
        print(banner(f"http://{host}:{port}", f"http://{host}:{aws_port}", keys["admin_key"], demo,
                     time.monotonic() - started), flush=True)
        while not stopping.wait(3600):
            pass
    except Stop as reason:
        print(f"\n{reason}: stopping.", flush=True)
    finally:
        stopping.set()
        for step in reversed(cleanup):
            step()
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(run())
