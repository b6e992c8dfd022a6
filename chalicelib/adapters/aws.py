"""The one AWS client factory: lazy, cached per process, pointed at the configured endpoint.

Every client, ours and PynamoDB's (chalicelib/store/base.py), is made from one botocore session,
created on first use: importing the app costs nothing, a cold Lambda parses botocore's endpoint and
credential setup once rather than once per client, and boto3 is not needed at all (its sessions add
nothing the SQS and SES clients use). A Lambda reuses one client per service across invocations.
"""

from __future__ import annotations

import threading
from typing import Any

from chalicelib.settings import settings

_clients: dict[str, Any] = {}
# Re-entrant: client() creates the session while holding it.
_lock = threading.RLock()
_session: Any = None


def session() -> Any:
    """The process's one botocore session; its ``create_client`` is serialised (it is not thread-safe)."""
    global _session
    if _session is None:
        with _lock:
            if _session is None:
                import botocore.session  # deferred: keeps cold imports of the API small

                class SharedSession(botocore.session.Session):
                    def create_client(self, *args: Any, **kwargs: Any) -> Any:
                        with _lock:
                            return super().create_client(*args, **kwargs)

                _session = SharedSession()
    return _session


def client(service: str) -> Any:
    found = _clients.get(service)
    if found is not None:
        return found
    with _lock:
        if service not in _clients:
            from botocore.config import Config

            kwargs: dict[str, Any] = {"region_name": settings.region}
            if service == "ses":
                # A retried send after a lost answer could deliver twice; our own retries decide.
                kwargs["config"] = Config(retries={"total_max_attempts": 1, "mode": "standard"})
            if settings.aws_endpoint:
                kwargs["endpoint_url"] = settings.aws_endpoint
            _clients[service] = session().create_client(service, **kwargs)
        return _clients[service]


def reset() -> None:
    """Forget cached clients (tests start a fresh in-memory AWS for each case)."""
    with _lock:
        _clients.clear()
