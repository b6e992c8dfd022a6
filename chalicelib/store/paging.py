"""Opaque, signed list cursors over DynamoDB Queries.

A cursor carries the list it belongs to, the tenant, and the key of the last item served, signed with
HMAC so that a cursor that is malformed, edited, or from another list or tenant is a 400, never a 500
and never a peek into someone else's data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pynamodb.models import Model

from chalicelib.domain import errors
from chalicelib.settings import settings

M = TypeVar("M", bound=Model)


def _sign(payload: bytes) -> bytes:
    return hmac.new(settings.cursor_key, payload, hashlib.sha256).digest()[:16]


def encode(list_name: str, tenant_id: str, key: dict[str, Any]) -> str:
    payload = json.dumps({"l": list_name, "t": tenant_id, "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(_sign(payload) + payload).decode().rstrip("=")


def decode(cursor: str, list_name: str, tenant_id: str) -> dict[str, Any]:
    bad = errors.BadRequest(detail="The cursor is not valid for this list.",
                            errors=[errors.FieldError("cursor", "is malformed or belongs to another list")])
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, TypeError):
        raise bad from None
    signature, payload = raw[:16], raw[16:]
    if len(signature) != 16 or not hmac.compare_digest(signature, _sign(payload)):
        raise bad
    try:
        data = json.loads(payload)
    except ValueError:
        raise bad from None
    if data.get("l") != list_name or data.get("t") != tenant_id or not isinstance(data.get("k"), dict):
        raise bad
    return data["k"]


def _key_of(item: Model, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(item, name) for name in names}


def _dynamo_key(model: type[Model], key: dict[str, Any]) -> dict[str, Any]:
    attributes = model.get_attributes()
    out = {}
    for name, value in key.items():
        attribute = attributes[name]
        out[attribute.attr_name] = {attribute.attr_type: attribute.serialize(value)}
    return out


def query_page(
    model: type[M],
    query: Callable[..., Iterable[M]],
    key_names: Iterable[str],
    *,
    list_name: str,
    tenant_id: str,
    cursor: str | None,
    limit: int,
    **kwargs: Any,
) -> tuple[list[M], str | None]:
    """One page from ``query`` (a model or index ``.query`` bound to its hash key).

    Asks for ``limit + 1`` items in one request so the last page says ``next_cursor: null`` without a
    further round trip. ``key_names`` are the table and index key attributes that resume the query.
    """
    names = list(key_names)
    start = None
    if cursor:
        start = _dynamo_key(model, decode(cursor, list_name, tenant_id))
    results = list(query(limit=limit + 1, page_size=limit + 1, last_evaluated_key=start, **kwargs))
    if len(results) <= limit:
        return results, None
    page = results[:limit]
    return page, encode(list_name, tenant_id, _key_of(page[-1], names))
