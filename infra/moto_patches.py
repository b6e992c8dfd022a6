"""Local-stack-only fixes to moto's server (never imported by the app or its tests).

1. ``TransactWriteItems`` in moto deep-copies every table a transaction touches, once per item, so that it
   can roll back; with a hundred invoices that is ~50 ms a transaction and seeding the demo took 15 s.
   Here the rollback snapshot is the items the transaction names (what DynamoDB itself guarantees), and
   the table-wide copy becomes a no-op. Same outcome on success and on cancellation.
2. moto's generic response serializer walks every attribute of every item against the botocore shape
   (~10 ms a GetItem); items are already DynamoDB JSON, so they are dumped as they are. (The same two
   fixes as ``dynamodb_transactions_like_aws`` in tests/conftest.py, for the server instead of mock_aws.)
3. moto's backends are not thread-safe (a transaction iterating a table while another request writes it
   raises "dictionary changed size during iteration"); chalice.local serves requests on threads, so DynamoDB
   calls are serialised with one lock.
"""

from __future__ import annotations

import copy
import functools
import json
import threading
from typing import Any

_lock = threading.RLock()
_applied = False


class _TablesNotCopied:
    """Stands in for the ``copy`` module inside moto's DynamoDB models: tables are not deep-copied."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if isinstance(value, self._table_type):
            return value  # rollback is done per item by _transact_write_items below
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _key_of(backend: Any, op_type: str, op: dict[str, Any]) -> dict[str, Any] | None:
    table = backend.tables.get(op.get("TableName"))
    if table is None:
        return None
    if op_type != "Put":
        return op.get("Key")
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    item = op.get("Item", {})
    return {name: item[name] for name in names if name in item}


def _snapshot(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any], Any]]:
    saved = []
    for entry in transact_items:
        op_type, op = next(iter(entry.items()))
        key = _key_of(backend, op_type, op)
        if not key:
            continue
        try:
            current = backend.get_item(op["TableName"], key)
        except Exception:  # an invalid key: moto's own validation reports it
            continue
        saved.append((op["TableName"], key, copy.deepcopy(current)))
    return saved


def _restore(backend: Any, saved: list[tuple[str, dict[str, Any], Any]]) -> None:
    for table_name, key, item in reversed(saved):
        if item is None:
            backend.delete_item(table_name, key)
        else:
            backend.put_item(table_name, item.to_json()["Attributes"])


def apply() -> None:
    global _applied
    if _applied:
        return
    from moto.dynamodb import models
    from moto.dynamodb.responses import DynamoHandler

    models.copy = _TablesNotCopied(models.Table)  # type: ignore[assignment]
    original = models.DynamoDBBackend.transact_write_items

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = _snapshot(self, transact_items)
        try:
            original(self, transact_items)
        except Exception:
            _restore(self, saved)
            raise

    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    dispatch = DynamoHandler.call_action

    @functools.wraps(dispatch)
    def call_action(self: Any) -> Any:
        with _lock:
            return dispatch(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    _fast_item_serializer()
    _applied = True


def _fast_item_serializer() -> None:
    from moto.dynamodb.responses import DynamoResult

    serialize = DynamoResult.execute_result

    @functools.wraps(serialize)
    def execute_result(self: Any, context: Any) -> Any:
        result = self.result
        heavy = {name: result[name] for name in ("Items", "Item") if isinstance(result, dict) and name in result}
        if not heavy:
            return serialize(self, context)
        self._result = {name: value for name, value in result.items() if name not in heavy}
        try:
            status, headers, body = serialize(self, context)
        finally:
            self._result = result
        return status, headers, json.dumps({**json.loads(body or "{}"), **heavy}, default=str)

    DynamoResult.execute_result = execute_result  # type: ignore[method-assign]
