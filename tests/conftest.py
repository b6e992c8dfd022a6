"""Every test runs against a fresh in-memory AWS (moto ``mock_aws``) through the real app.

Configuration is set here, before anything imports the settings module, because PynamoDB fixes a
model's region and endpoint when the class is created.
"""

from __future__ import annotations

import os

os.environ.update({
    "AWS_DEFAULT_REGION": "ap-southeast-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "NHACNO_TABLE_PREFIX": "nhacno-test",
    "NHACNO_ADMIN_KEY": "test-admin-key",
    "NHACNO_SYSTEM_SENDER": "no-reply@nhacno.vn",
    "NHACNO_CORS_ORIGINS": "https://app.example.vn,https://console.example.vn",
})
os.environ.pop("NHACNO_AWS_ENDPOINT", None)

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from chalice.test import Client
from moto import mock_aws

from chalicelib.adapters import aws, queue
from chalicelib.services import auth, tenants
from chalicelib.settings import settings
from chalicelib.store.tables import create_all

ADMIN_KEY = "test-admin-key"


@contextmanager
def fresh_aws() -> Iterator[None]:
    """A new in-memory AWS with every table, and no cached keys, tenants or clients from before."""
    with mock_aws():
        aws.reset()
        queue.reset()
        auth.forget_cache()
        tenants.forget()
        create_all()
        aws.client("sqs").create_queue(QueueName=settings.queue_name)
        aws.client("ses").verify_email_identity(EmailAddress=settings.system_sender)
        yield
    aws.reset()
    auth.forget_cache()
    tenants.forget()


@pytest.fixture
def aws_mock() -> Iterator[None]:
    with fresh_aws():
        yield


@pytest.fixture(scope="module")
def module_aws() -> Iterator[None]:
    """One in-memory AWS for a whole module, for tests that share expensive data (thousands of customers)."""
    with fresh_aws(), dynamodb_transactions_like_aws():
        yield


_moto_lock = threading.RLock()


@contextmanager
def dynamodb_transactions_like_aws() -> Iterator[None]:
    """Make moto's TransactWriteItems atomic across threads and cheap, as DynamoDB's is.

    moto backs up every table a transaction touches with a deep copy (so a write costs O(table size):
    minutes for thousands of customers) and restores those copies on failure, which under threads can
    wipe out another thread's committed write. Here each transaction runs under one lock and a failed
    one restores only the items it touched. Our own code is untouched; only the fake gets DynamoDB's
    guarantees.
    """
    from moto.dynamodb import models as ddb
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    real_copy = ddb.copy
    original = ddb.DynamoDBBackend.transact_write_items

    class _NoTableCopies:
        @staticmethod
        def deepcopy(obj: Any, memo: Any = None) -> Any:
            return obj if isinstance(obj, Table) else real_copy.deepcopy(obj, memo)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with _moto_lock:
            before = []
            for entry in transact_items:
                op = next(iter(entry.values()))
                table = self.get_table(op["TableName"])
                key = op.get("Key") or {name: op["Item"][name] for name in (table.hash_key_attr, table.range_key_attr)
                                        if name}
                current = self.get_item(op["TableName"], key)
                before.append((op["TableName"], key, current.to_json()["Attributes"] if current else None))
            try:
                return original(self, transact_items)
            except Exception:
                for table_name, key, attrs in reversed(before):
                    if attrs is None:
                        self.delete_item(table_name, key)
                    else:
                        self.put_item(table_name, attrs)
                raise

    def locked(name: str) -> Any:
        method = getattr(ddb.DynamoDBBackend, name)

        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            with _moto_lock:
                return method(self, *args, **kwargs)

        return call

    from moto.dynamodb.responses import DynamoResult

    serialize = DynamoResult.execute_result

    def execute_result(self: Any, context: Any) -> Any:
        # moto's generic serializer walks every attribute of every item against the botocore shape
        # (seconds for a page of 200 customers); items are already DynamoDB JSON, so dump them as is.
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

    def native(value: Any) -> tuple[Any, ...]:
        # DynamoType's rich comparisons cast on every call; sort and compare plain Python values instead.
        return (0, Decimal(value.value)) if value.type == "N" else (1, value.value)

    def sorted_items(self: Any, hash_attrs: list[str], range_attrs: list[str | None], items: list[Any]) -> list[Any]:
        names = self._generate_attr_to_sort_by(hash_attrs, range_attrs)
        items.sort(key=lambda item: tuple(native(item.attrs[name]) for name in names))
        return items

    def comes_before(self: Any, item: Any, start: dict[str, Any], hash_attrs: list[str],
                     range_attrs: list[str | None], forward: bool) -> bool:
        for name in self._generate_attr_to_sort_by(hash_attrs, range_attrs):
            if name in item.attrs:
                mine, theirs = native(item.attrs[name]), native(DynamoType(start.get(name)))
                if mine != theirs:
                    return (mine < theirs) == forward
        return True

    patches = [mock.patch.object(ddb, "copy", _NoTableCopies),
               mock.patch.object(Table, "sorted_items", sorted_items),
               mock.patch.object(Table, "_item_comes_before_dct", comes_before),
               mock.patch.object(DynamoResult, "execute_result", execute_result),
               mock.patch.object(ddb.DynamoDBBackend, "transact_write_items", transact_write_items)]
    patches += [mock.patch.object(ddb.DynamoDBBackend, name, locked(name))
                for name in ("get_item", "put_item", "delete_item", "update_item", "query", "scan")]
    for patch in patches:
        patch.start()
    try:
        yield
    finally:
        for patch in reversed(patches):
            patch.stop()


class Api:
    """The app through Chalice's test client, with JSON in and out and a bearer key."""

    def __init__(self, client: Client, key: str | None = None) -> None:
        self.client = client
        self.key = key

    def request(self, method: str, path: str, body: Any = None, *, key: str | None = None,
                headers: dict[str, str] | None = None, raw: bytes | str | None = None) -> Any:
        all_headers = {"Content-Type": "application/json"}
        token = key if key is not None else self.key
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        all_headers.update(headers or {})
        payload = raw if raw is not None else (None if body is None else json.dumps(body))
        response = getattr(self.client.http, method.lower())(path, headers=all_headers, body=payload)
        response.data = json.loads(response.body) if response.body else None
        return response

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.request("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.request("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw)

    def as_(self, key: str | None) -> Api:
        return Api(self.client, key)


@pytest.fixture
def client(aws_mock: None) -> Iterator[Client]:
    from app import app

    with Client(app) as chalice_client:
        yield chalice_client


@pytest.fixture(scope="module")
def module_client(module_aws: None) -> Iterator[Client]:
    from app import app

    with Client(app) as chalice_client:
        yield chalice_client


def new_tenant(client: Client, name: str = "Công ty TNHH Minh Anh") -> Api:
    api = Api(client)
    response = api.post("/v1/admin/tenants", {"name": name}, key=ADMIN_KEY)
    assert response.status_code == 201, response.body
    return api.as_(response.data["api_key"])


@pytest.fixture
def api(client: Client) -> Api:
    return new_tenant(client)


@pytest.fixture
def other(client: Client) -> Api:
    return new_tenant(client, "Công ty Cổ phần Bình Minh")
