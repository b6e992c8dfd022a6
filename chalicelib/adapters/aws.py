"""The one AWS client factory: lazy, cached per process, pointed at the configured endpoint.

Clients are created on first use, never at import, so importing the app costs nothing and a Lambda
reuses one client per service across invocations.
"""

from __future__ import annotations

import threading
from typing import Any

from chalicelib.settings import settings

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def client(service: str) -> Any:
    found = _clients.get(service)
    if found is not None:
        return found
    with _lock:
        if service not in _clients:
            import boto3  # deferred: keeps cold imports of the API small
            from botocore.config import Config

            kwargs: dict[str, Any] = {"region_name": settings.region}
            if service == "ses":
                # A retried send after a lost answer could deliver twice; our own retries decide.
                kwargs["config"] = Config(retries={"total_max_attempts": 1, "mode": "standard"})
            if settings.aws_endpoint:
                kwargs["endpoint_url"] = settings.aws_endpoint
            _clients[service] = boto3.session.Session().client(service, **kwargs)
        return _clients[service]


def reset() -> None:
    """Forget cached clients (tests start a fresh in-memory AWS for each case)."""
    with _lock:
        _clients.clear()
