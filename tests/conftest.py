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
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client
from moto import mock_aws

from chalicelib.adapters import aws
from chalicelib.services import auth, tenants
from chalicelib.store.tables import create_all

ADMIN_KEY = "test-admin-key"


@pytest.fixture
def aws_mock() -> Iterator[None]:
    with mock_aws():
        aws.reset()
        auth.forget_cache()
        tenants.forget()
        create_all()
        yield
    aws.reset()


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
