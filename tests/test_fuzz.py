"""Fuzz: Schemathesis against the running local API (``python -m infra.local`` on free ports), from its own
``/v1/openapi.json``, with the demo tenant's key: every operation, a bounded number of seeded examples.

Every response must: not be a 5xx; have a status code the document lists for that operation; have a
content type the document lists; match the documented schema.
No operation is excluded and no check is waived.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from tests.test_local_stack import running_stack

EXAMPLES = 10
CHECKS = [checks.not_a_server_error, openapi_checks.status_code_conformance,
          openapi_checks.content_type_conformance, openapi_checks.response_schema_conformance]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with running_stack(tmp_path_factory) as running:
        yield running


@pytest.fixture(scope="module")
def api_schema(stack: Any) -> Any:
    return schemathesis.openapi.from_url(stack.base + "/v1/openapi.json")


def fuzz(operation: Any, checks_here: list[Any], base: str, key: str) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        case.call_and_validate(base_url=base, headers={"Authorization": f"Bearer {key}"}, checks=checks_here,
                               timeout=60)

    run()


def test_every_operation_answers_within_its_documented_contract(api_schema: Any, stack: Any) -> None:
    key = stack.value("Demo API key:")
    failures: dict[str, str] = {}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 50
    for operation in operations:
        try:
            fuzz(operation, CHECKS, stack.base, key)
        except Exception as exc:  # every operation runs; all failures are reported together
            failures[operation.label] = str(exc)[:2000]
    print(f"\nfuzzed {len(operations)} operations x up to {EXAMPLES} examples")
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
