"""``make package`` builds a deployable stack: every table with its indexes, the IAM access, the gateway's
problem+json errors, a template cfn-lint accepts, and a zip holding the templates and data files.

The package is built once per test session, the way ``make package`` builds it (``python -m infra.package``),
into a temporary directory shared by the xdist workers (a file lock makes the second worker wait for the
first one's build instead of building again). Chalice's dependency cache is shared with the working tree,
so only a first run downloads wheels.
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from chalicelib.store.tables import MODELS
from infra import resources
from infra.resources import logical_name

ROOT = Path(__file__).resolve().parent.parent
STAGE = "dev"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory, testrun_uid: str) -> Path:
    # The same directory for every xdist worker of this run, and a new one for each run.
    shared = tmp_path_factory.getbasetemp().parent
    out = shared / f"package-{STAGE}-{testrun_uid}"
    with open(shared / f"package-{STAGE}-{testrun_uid}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "built").exists():
            run = subprocess.run([sys.executable, "-m", "infra.package", "--stage", STAGE, "--out", str(out),
                                  "--keep-policy"], cwd=ROOT, capture_output=True, text=True, timeout=600)
            assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
            (out / "built").touch()
    return out


@pytest.fixture(scope="module")
def template(packaged: Path) -> dict[str, Any]:
    return json.loads((packaged / "sam.json").read_text())


def _tables(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {resource["Properties"]["TableName"]: resource["Properties"]
            for resource in template["Resources"].values() if resource["Type"] == "AWS::DynamoDB::Table"}


def test_template_declares_every_model_table_with_its_keys_and_indexes(template: dict[str, Any]) -> None:
    tables = _tables(template)
    prefix = resources.load_stage(STAGE).table_prefix
    assert len(tables) == len(MODELS)
    for model in MODELS:
        table = tables[f"{prefix}-{logical_name(model)}"]
        keys = {key["KeyType"]: key["AttributeName"] for key in table["KeySchema"]}
        assert keys["HASH"] == model._hash_keyname
        assert keys.get("RANGE") == model._range_keyname
        assert table["KeySchema"][0]["KeyType"] == "HASH"
        assert table["BillingMode"] == "PAY_PER_REQUEST"
        assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        expected_indexes = {name for name, index in model._indexes.items()}
        declared = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
        declared |= {index["IndexName"] for index in table.get("LocalSecondaryIndexes", [])}
        assert declared == expected_indexes, model.__name__
        defined = {item["AttributeName"] for item in table["AttributeDefinitions"]}
        used = {key["AttributeName"] for key in table["KeySchema"]}
        for index in table.get("GlobalSecondaryIndexes", []):
            used |= {key["AttributeName"] for key in index["KeySchema"]}
        assert defined == used, model.__name__  # CloudFormation refuses unused or missing definitions


def test_idempotency_records_expire_through_ttl(template: dict[str, Any]) -> None:
    table = _tables(template)[f"{resources.load_stage(STAGE).table_prefix}-idempotency"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires", "Enabled": True}


def test_every_function_reads_the_tables_the_stack_creates(template: dict[str, Any]) -> None:
    prefix = resources.load_stage(STAGE).table_prefix
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]
    assert functions
    for function in functions:
        assert function["Properties"]["Environment"]["Variables"]["NHACNO_TABLE_PREFIX"] == prefix
    assert all(name.startswith(f"{prefix}-") for name in _tables(template))


def test_lambda_roles_may_use_every_table_and_its_indexes(template: dict[str, Any]) -> None:
    roles = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert roles
    for role in roles:
        statements = [s for policy in role["Properties"]["Policies"] for s in policy["PolicyDocument"]["Statement"]]
        granted = {arn for s in statements if any(a.startswith("dynamodb:") for a in s["Action"])
                   for arn in s["Resource"]}
        for name in _tables(template):
            assert f"arn:aws:dynamodb:*:*:table/{name}" in granted
            assert f"arn:aws:dynamodb:*:*:table/{name}/index/*" in granted


@pytest.mark.parametrize("stage", ["dev", "prod", "local"])
def test_committed_policy_files_match_the_models(stage: str) -> None:
    # chalice deploy reads .chalice/policy-<stage>.json as committed; `make package` regenerates it.
    committed = json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())
    assert committed == resources.policy(resources.load_stage(stage)), "run `make package STAGE=" + stage + "`"


def test_gateway_errors_are_problem_json_and_unknown_paths_are_404(template: dict[str, Any]) -> None:
    responses = template["Resources"]["RestAPI"]["Properties"]["GatewayResponses"]
    assert {"DEFAULT_4XX", "DEFAULT_5XX", "MISSING_AUTHENTICATION_TOKEN"} <= set(responses)
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    for name, response in responses.items():
        assert response["ResponseParameters"]["Headers"]["Content-Type"] == "'application/problem+json'"
        body = json.loads(response["ResponseTemplates"]["application/json"].replace("$context.requestId", "r1"))
        assert {"type", "title", "status", "detail"} <= set(body), name
    body = json.loads(responses["MISSING_AUTHENTICATION_TOKEN"]["ResponseTemplates"]["application/json"])
    assert body["status"] == 404


def test_cfn_lint_accepts_the_template(packaged: Path) -> None:
    run = subprocess.run([str(BIN / "cfn-lint"), str(packaged / "sam.json")], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


def test_zip_carries_app_templates_and_data(packaged: Path) -> None:
    names = set(zipfile.ZipFile(packaged / "deployment.zip").namelist())
    assert "app.py" in names
    assert "chalicelib/data/vn_bank_bins.csv" in names
    templates = [p.relative_to(ROOT / "templates").as_posix() for p in (ROOT / "templates").rglob("*") if p.is_file()]
    assert templates, "templates/ is empty"
    missing = [t for t in templates if f"chalicelib/templates/{t}" not in names]
    assert not missing


def test_admin_key_is_a_noecho_parameter_not_a_committed_value(template: dict[str, Any]) -> None:
    assert template["Parameters"]["AdminKey"]["NoEcho"] is True
    variables = template["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables["NHACNO_ADMIN_KEY"] == {"Ref": "AdminKey"}


def test_send_queue_has_a_dead_letter_queue_and_six_times_the_worker_timeout(template: dict[str, Any]) -> None:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    worker_timeout = config["lambda_functions"]["send_worker"]["lambda_timeout"]
    queue = template["Resources"]["SendQueue"]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"]["QueueName"] == "nhacno-dev-send"
    assert queue["Properties"]["VisibilityTimeout"] >= 6 * worker_timeout
    redrive = queue["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["SendDeadLetterQueue", "Arn"]}
    assert template["Resources"]["SendDeadLetterQueue"]["Type"] == "AWS::SQS::Queue"


def test_worker_reports_partial_batch_failures_from_the_queue_it_reads(template: dict[str, Any]) -> None:
    worker = template["Resources"]["SendWorker"]
    source = worker["Properties"]["Events"]["SendWorkerSqsEventSource"]["Properties"]
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["Queue"]["Fn::Sub"].endswith(":nhacno-dev-send")


def test_ses_events_flow_from_the_configuration_set_to_the_handlers_topic(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    destination = resources["SesEventDestination"]["Properties"]
    assert destination["ConfigurationSetName"] == {"Ref": "SesConfigurationSet"}
    assert sorted(destination["EventDestination"]["MatchingEventTypes"]) == ["bounce", "complaint", "delivery"]
    assert destination["EventDestination"]["SnsDestination"]["TopicARN"] == {"Ref": "SesEventsTopic"}
    topic_name = resources["SesEventsTopic"]["Properties"]["TopicName"]
    subscription = resources["SesEvents"]["Properties"]["Events"]["SesEventsSnsSubscription"]["Properties"]
    assert subscription["Topic"]["Fn::Sub"].endswith(f":{topic_name}")
    config_set = resources["SesConfigurationSet"]["Properties"]["Name"]
    for name, resource in resources.items():
        if resource["Type"] == "AWS::Serverless::Function":
            env = resource["Properties"]["Environment"]["Variables"]
            assert env["NHACNO_SES_CONFIGURATION_SET"] == config_set, name


def test_scheduler_runs_on_a_schedule(template: dict[str, Any]) -> None:
    events = template["Resources"]["Scheduler"]["Properties"]["Events"]
    assert any(event["Type"] == "Schedule" and event["Properties"]["Schedule"].startswith("rate(")
               for event in events.values())
