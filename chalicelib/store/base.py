"""What every model shares: its table name, region and endpoint come from the one settings module."""

from __future__ import annotations

from typing import Any

from chalicelib.settings import settings


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
