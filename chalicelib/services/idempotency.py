"""``Idempotency-Key`` on creating POSTs: the same key and body within 24 h replay the first response.

The first request claims the key with a conditional put (state ``pending``), runs, and stores its
response. A repeat with the same body gets that response back (header ``Idempotency-Replayed: true``)
and changes nothing; a different body under the same key is a 422; a repeat while the first is still
running is a 409. A 5xx (or a crash) releases the claim so the client can retry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from chalice import Response
from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.adapters import clock
from chalicelib.domain import errors
from chalicelib.store.tenants import IdempotencyRecord

TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255


def _scope(request: Any, key: str) -> str:
    params = json.dumps(request.uri_params or {}, sort_keys=True)
    return f"{request.method} {request.path} {params}#{key}"


def replay(tenant_id: str, request: Any, key: str, run: Callable[[], Response]) -> Response:
    if len(key) > MAX_KEY_LENGTH:
        raise errors.invalid("Idempotency-Key", f"must be at most {MAX_KEY_LENGTH} characters")
    scope = _scope(request, key)
    body_hash = hashlib.sha256(request.raw_body or b"").hexdigest()
    now = clock.now()
    record = IdempotencyRecord(tenant_id, scope, body_hash=body_hash, state="pending",
                               created_at=clock.now_iso(), expires=now + TTL)
    try:
        record.save(condition=IdempotencyRecord.key.does_not_exist() | (IdempotencyRecord.expires < now))
    except PutError as exc:
        if not _is_conditional(exc):
            raise
        return _previous(tenant_id, scope, body_hash)
    try:
        response = run()
    except BaseException:
        record.delete()
        raise
    if response.status_code >= 500:
        record.delete()
        return response
    body = response.body
    record.update(actions=[
        IdempotencyRecord.state.set("done"),
        IdempotencyRecord.status_code.set(response.status_code),
        IdempotencyRecord.response.set({"body": body if isinstance(body, str) else json.dumps(body),
                                        "headers": dict(response.headers)}),
    ])
    return response


def _previous(tenant_id: str, scope: str, body_hash: str) -> Response:
    try:
        found = IdempotencyRecord.get(tenant_id, scope)
    except DoesNotExist:
        raise errors.Conflict(detail="A request with this Idempotency-Key is being retried; try again.") from None
    if found.body_hash != body_hash:
        raise errors.invalid("Idempotency-Key", "was already used with a different body")
    if found.state != "done" or not found.response:
        raise errors.Conflict(detail="A request with this Idempotency-Key is still in progress.")
    headers = {**found.response.get("headers", {}), "Idempotency-Replayed": "true"}
    return Response(body=found.response["body"], status_code=int(found.status_code or 200), headers=headers)


def _is_conditional(exc: PutError) -> bool:
    return getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException"
