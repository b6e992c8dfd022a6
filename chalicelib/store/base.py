"""What every model shares: its table name, region and endpoint come from the one settings module."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters import aws
from chalicelib.settings import settings


def _share_one_botocore_session() -> None:
    """One botocore session for every PynamoDB model instead of one each: the adapters' own.

    PynamoDB gives each model class a session of its own, and each new session parses botocore's
    service and endpoint files again (~0.2 s of CPU per model): a cold Lambda touching five tables
    would pay a second for it. ``aws.session`` makes the session on first use, not at import, and
    serialises client creation (a session's ``create_client`` is not thread-safe).
    """
    from pynamodb.connection import base as connection_base

    connection_base.get_session = aws.session  # type: ignore[attr-defined]


_share_one_botocore_session()


def meta(table: str, **extra: Any) -> type:
    """A PynamoDB ``Meta`` for one of our tables (on-demand billing, configured endpoint)."""
    attrs: dict[str, Any] = {
        "table_name": settings.table(table),
        "region": settings.region,
        "billing_mode": "PAY_PER_REQUEST",
        **extra,
    }
    if settings.aws_endpoint:
        attrs["host"] = settings.aws_endpoint
    return type("Meta", (), attrs)


def index_meta(name: str, projection: Any) -> type:
    return type("Meta", (), {"index_name": name, "projection": projection, "billing_mode": "PAY_PER_REQUEST"})


_connection: Any = None


def transaction() -> Any:
    """A ``TransactWrite`` on the configured region and endpoint (one shared low-level connection)."""
    global _connection
    from pynamodb.connection import Connection
    from pynamodb.transactions import TransactWrite

    if _connection is None:
        _connection = Connection(region=settings.region, host=settings.aws_endpoint or None)
    return TransactWrite(connection=_connection)
