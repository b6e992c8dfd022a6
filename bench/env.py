"""The bench's in-memory AWS: the test suite's configuration, ``fresh_aws`` and moto made as cheap as DynamoDB.

Importing this module first sets the environment (tests/conftest.py does it before anything imports the
settings module, because PynamoDB fixes a model's region and endpoint when the class is created), so
``bench`` imports it before the app. ``dynamodb_transactions_like_aws`` keeps moto's transactions from
deep-copying whole tables: without it moto's own copying, not our code, would dominate every figure.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from tests.conftest import ADMIN_KEY, Api, dynamodb_transactions_like_aws, fresh_aws  # noqa: F401  (sets env)


@contextmanager
def _batch_get_served_as_is() -> Iterator[None]:
    """BatchGetItem's ``Responses`` dumped as the DynamoDB JSON they already are, as conftest does for
    ``Items``: moto's generic serializer otherwise walks every attribute against the botocore shape."""
    from moto.dynamodb.responses import DynamoResult

    serialize = DynamoResult.execute_result

    def execute_result(self: Any, context: Any) -> Any:
        result = self.result
        if not (isinstance(result, dict) and "Responses" in result):
            return serialize(self, context)
        self._result = {name: value for name, value in result.items() if name != "Responses"}
        try:
            status, headers, body = serialize(self, context)
        finally:
            self._result = result
        return status, headers, json.dumps({**json.loads(body or "{}"), "Responses": result["Responses"]},
                                           default=str)

    with mock.patch.object(DynamoResult, "execute_result", execute_result):
        yield


@contextmanager
def in_memory_aws() -> Iterator[None]:
    """A fresh moto backend with every table, the queue and the system sender, cheap transactions."""
    with fresh_aws(), dynamodb_transactions_like_aws(), _batch_get_served_as_is():
        yield


def dynamodb_backend() -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from chalicelib.settings import settings

    return dynamodb_backends[DEFAULT_ACCOUNT_ID][settings.region]
