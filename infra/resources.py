"""The CloudFormation resources Chalice does not create, generated from the code that uses them.

``chalice package --merge-template`` merges this template into Chalice's own SAM template. The DynamoDB
tables come from the PynamoDB models in ``chalicelib.store.tables.MODELS`` (keys, attribute types, GSIs,
the TTL attribute), so a model change cannot drift from what is deployed. Table names use the stage's
``NHACNO_TABLE_PREFIX`` from ``.chalice/config.json``, the same value the Lambda reads.

The Lambda role's policy (``.chalice/policy-<stage>.json``, with ``autogen_policy: false``, because Chalice
cannot see PynamoDB's calls) is generated here too, so ``chalice deploy`` and ``chalice package`` grant the
same access. To add resources (queues, topics, SES configuration sets), write a function
``(Stage) -> dict`` of resources and add it to ``SECTIONS``; add what the Lambda needs on them to
``POLICY_SECTIONS``.

    python -m infra.resources --stage prod --template build/resources.json --policy .chalice/policy-prod.json
    python -m infra.resources --stage prod --standalone --template build/data-prod.json   # for chalice deploy
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pynamodb.attributes import TTLAttribute
from pynamodb.models import Model

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".chalice" / "config.json"
REST_API = "RestAPI"  # the logical id Chalice gives the API in its SAM template
PROBLEM_TYPE_BASE = "https://nhacno.vn/problems/"


@dataclass(frozen=True)
class Stage:
    name: str
    table_prefix: str

    @property
    def production(self) -> bool:
        return self.name == "prod"


def load_stage(name: str, config_path: Path = CONFIG) -> Stage:
    config = json.loads(config_path.read_text())
    stage = config.get("stages", {}).get(name)
    if stage is None:
        raise SystemExit(f"No stage {name!r} in {config_path}.")
    env = {**config.get("environment_variables", {}), **stage.get("environment_variables", {})}
    prefix = env.get("NHACNO_TABLE_PREFIX")
    if not prefix:
        raise SystemExit(f"Stage {name!r} sets no NHACNO_TABLE_PREFIX in {config_path}.")
    return Stage(name, prefix)


# --- DynamoDB ------------------------------------------------------------------------------------

def models() -> list[type[Model]]:
    from chalicelib.store.tables import MODELS

    return list(MODELS)


def logical_name(model: type[Model]) -> str:
    """The table's name without the prefix of whichever settings imported it ("bank-accounts")."""
    from chalicelib.settings import settings

    table_name: str = model.Meta.table_name
    prefix = f"{settings.table_prefix}-"
    if not table_name.startswith(prefix):
        raise ValueError(f"{model.__name__}: table {table_name} does not start with {prefix}")
    return table_name[len(prefix):]


def logical_id(model: type[Model]) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", logical_name(model))) + "Table"


def _keys(schema: list[dict[str, str]]) -> list[dict[str, str]]:
    # CloudFormation wants the HASH key first; PynamoDB lists keys in attribute order.
    ordered = sorted(schema, key=lambda key: key["KeyType"] != "HASH")
    return [{"AttributeName": key["AttributeName"], "KeyType": key["KeyType"]} for key in ordered]


def _projection(index: dict[str, Any]) -> dict[str, Any]:
    projection = {"ProjectionType": index["projection"]["ProjectionType"]}
    if index["projection"].get("NonKeyAttributes"):
        projection["NonKeyAttributes"] = list(index["projection"]["NonKeyAttributes"])
    return projection


def table_resource(model: type[Model], stage: Stage) -> dict[str, Any]:
    """One ``AWS::DynamoDB::Table`` with exactly the schema PynamoDB's ``create_table`` would make."""
    schema = model._get_schema()
    definitions = {item["AttributeName"]: item["AttributeType"] for item in schema["attribute_definitions"]}
    for index in [*schema["global_secondary_indexes"], *schema["local_secondary_indexes"]]:
        for item in index.get("attribute_definitions", []):
            definitions[item["AttributeName"]] = item["AttributeType"]
    properties: dict[str, Any] = {
        "TableName": f"{stage.table_prefix}-{logical_name(model)}",
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": name, "AttributeType": kind}
                                 for name, kind in sorted(definitions.items())],
        "KeySchema": _keys(schema["key_schema"]),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    }
    if schema["global_secondary_indexes"]:
        properties["GlobalSecondaryIndexes"] = [
            {"IndexName": index["index_name"], "KeySchema": _keys(index["key_schema"]),
             "Projection": _projection(index)}
            for index in schema["global_secondary_indexes"]
        ]
    if schema["local_secondary_indexes"]:
        properties["LocalSecondaryIndexes"] = [
            {"IndexName": index["index_name"], "KeySchema": _keys(index["key_schema"]),
             "Projection": _projection(index)}
            for index in schema["local_secondary_indexes"]
        ]
    ttl = [attr.attr_name for attr in model.get_attributes().values() if isinstance(attr, TTLAttribute)]
    if ttl:
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl[0], "Enabled": True}
    # Customer data outlives a deleted stack in production; dev stacks clean up after themselves.
    policy = "Retain" if stage.production else "Delete"
    return {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": policy, "UpdateReplacePolicy": policy,
            "Properties": properties}


def tables(stage: Stage) -> dict[str, Any]:
    return {logical_id(model): table_resource(model, stage) for model in models()}


def table_statements(stage: Stage) -> list[dict[str, Any]]:
    arns = []
    for model in models():
        arn = f"arn:aws:dynamodb:*:*:table/{stage.table_prefix}-{logical_name(model)}"
        arns += [arn, f"{arn}/index/*"]
    return [{
        "Sid": "NhacnoTables",
        "Effect": "Allow",
        "Action": [
            "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
            "dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem",
            "dynamodb:Query", "dynamodb:UpdateItem",
        ],
        "Resource": arns,
    }]


# --- API Gateway ---------------------------------------------------------------------------------

# (status, title, detail) for the errors API Gateway answers itself, before our code runs. The body is
# the same problem+json our Lambda sends. MISSING_AUTHENTICATION_TOKEN is what API Gateway says for a
# path no route matches: a 404 to our callers (the local server does the same, see infra/local.py).
GATEWAY_ERRORS: dict[str, tuple[int, str, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": (404, "Not Found", "No route matches this method and path."),
    "RESOURCE_NOT_FOUND": (404, "Not Found", "No route matches this method and path."),
    "ACCESS_DENIED": (403, "Forbidden", "Access denied."),
    "UNAUTHORIZED": (401, "Unauthorized", "Send Authorization: Bearer <api key>."),
    "BAD_REQUEST_BODY": (400, "Bad Request", "The request body is not valid."),
    "BAD_REQUEST_PARAMETERS": (400, "Bad Request", "The request parameters are not valid."),
    "REQUEST_TOO_LARGE": (413, "Payload Too Large", "The request body is too large."),
    "UNSUPPORTED_MEDIA_TYPE": (415, "Unsupported Media Type", "Send application/json."),
    "THROTTLED": (429, "Too Many Requests", "Too many requests; slow down and retry."),
    "QUOTA_EXCEEDED": (429, "Too Many Requests", "The request quota is used up."),
    "INTEGRATION_TIMEOUT": (504, "Gateway Timeout", "The request took too long."),
    "INTEGRATION_FAILURE": (502, "Bad Gateway", "Something went wrong on our side."),
    # The defaults cover every other type. API Gateway offers no variable for the status code, so the
    # body names the class of error; each type above keeps its exact status.
    "DEFAULT_4XX": (400, "Bad Request", "The request was refused."),
    "DEFAULT_5XX": (500, "Internal Server Error", "Something went wrong on our side."),
}
_SLUGS = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found", 413: "payload-too-large",
          415: "unsupported-media-type", 429: "rate-limited", 500: "internal", 502: "internal", 504: "timeout"}


def gateway_response(response_type: str, status: int, title: str, detail: str) -> dict[str, Any]:
    body = json.dumps({"type": PROBLEM_TYPE_BASE + _SLUGS.get(status, str(status)), "title": title,
                       "status": status, "detail": detail}, separators=(",", ":"))
    # A literal body plus the request id; "$context.requestId" is the one variable worth carrying.
    body = body[:-1] + ',"request_id":"$context.requestId"}'
    response: dict[str, Any] = {
        "ResponseParameters": {"Headers": {"Content-Type": "'application/problem+json'"}},
        "ResponseTemplates": {"application/json": body},
    }
    if not response_type.startswith("DEFAULT_"):
        response["StatusCode"] = str(status)
    return response


def gateway_responses(stage: Stage) -> dict[str, Any]:
    """Problem+json for API Gateway's own errors, set on Chalice's ``RestAPI`` (SAM ``GatewayResponses``).

    Set on the API rather than as separate ``AWS::ApiGateway::GatewayResponse`` resources so that they are
    part of the API definition and every deployment of the stage carries them.
    """
    responses = {name: gateway_response(name, *spec) for name, spec in GATEWAY_ERRORS.items()}
    return {REST_API: {"Properties": {"GatewayResponses": responses}}}


# --- messaging: the send queue, SES events ---------------------------------------------------------

SEND_WORKER = "SendWorker"  # Chalice's logical ids for the event handlers in app.py
SES_EVENTS = "SesEvents"
WORKER_TIMEOUT_SECONDS = 60  # .chalice/config.json gives send_worker this timeout
MAX_RECEIVES = 5


def messaging(stage: Stage) -> dict[str, Any]:
    """The send queue and its dead-letter queue, the SES configuration set publishing delivery, bounce
    and complaint events to the SNS topic the ``ses_events`` handler listens on, and partial batch
    responses for the worker (Chalice sets no ``ReportBatchItemFailures``; without it a record the
    worker reports failed would be deleted instead of redelivered)."""
    prefix = stage.table_prefix
    return {
        "SendDeadLetterQueue": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": f"{prefix}-send-dlq", "MessageRetentionPeriod": 1_209_600}},
        "SendQueue": {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": f"{prefix}-send",
            # AWS advises at least six times the function's timeout.
            "VisibilityTimeout": 6 * WORKER_TIMEOUT_SECONDS,
            "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["SendDeadLetterQueue", "Arn"]},
                              "maxReceiveCount": MAX_RECEIVES}}},
        "SesEventsTopic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": f"{prefix}-ses-events"}},
        "SesEventsTopicPolicy": {"Type": "AWS::SNS::TopicPolicy", "Properties": {
            "Topics": [{"Ref": "SesEventsTopic"}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Sid": "SesPublishes", "Effect": "Allow", "Principal": {"Service": "ses.amazonaws.com"},
                "Action": "sns:Publish", "Resource": {"Ref": "SesEventsTopic"},
                "Condition": {"StringEquals": {"AWS:SourceAccount": {"Ref": "AWS::AccountId"}}}}]}}},
        "SesConfigurationSet": {"Type": "AWS::SES::ConfigurationSet", "Properties": {
            "Name": f"{prefix}-reminders"}},
        "SesEventDestination": {"Type": "AWS::SES::ConfigurationSetEventDestination", "Properties": {
            "ConfigurationSetName": {"Ref": "SesConfigurationSet"},
            "EventDestination": {"Name": "reminder-events", "Enabled": True,
                                 "MatchingEventTypes": ["delivery", "bounce", "complaint"],
                                 "SnsDestination": {"TopicARN": {"Ref": "SesEventsTopic"}}}}},
        SEND_WORKER: {"DependsOn": ["SendQueue"], "Properties": {"Events": {"SendWorkerSqsEventSource": {
            "Properties": {"FunctionResponseTypes": ["ReportBatchItemFailures"]}}}}},
        SES_EVENTS: {"DependsOn": ["SesEventsTopic"]},
    }


def messaging_statements(stage: Stage) -> list[dict[str, Any]]:
    prefix = stage.table_prefix
    return [
        {"Sid": "SendQueue", "Effect": "Allow",
         "Action": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
         "Resource": f"arn:aws:sqs:*:*:{prefix}-send"},
        {"Sid": "Email", "Effect": "Allow",
         "Action": ["ses:SendRawEmail", "ses:SendEmail", "ses:VerifyEmailIdentity", "ses:DeleteIdentity",
                    "ses:GetIdentityVerificationAttributes"],
         "Resource": "*"},
    ]


# --- secrets ---------------------------------------------------------------------------------------

API_HANDLER = "APIHandler"  # Chalice's logical id for the API's Lambda


def admin_key(stage: Stage) -> dict[str, Any]:
    """The operator's admin key as a NoEcho parameter, never in config.json or the repository."""
    return {API_HANDLER: {"Properties": {"Environment": {"Variables": {"NHACNO_ADMIN_KEY": {"Ref": "AdminKey"}}}}}}


PARAMETERS = {
    "AdminKey": {"Type": "String", "NoEcho": True, "MinLength": 24,
                 "Description": "Bearer key for POST /v1/admin/tenants (the deployment's operator key)."},
}


# --- assembly ------------------------------------------------------------------------------------

def logs_statements(stage: Stage) -> list[dict[str, Any]]:
    return [{
        "Sid": "Logs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": "arn:aws:logs:*:*:*",
    }]


SECTIONS: list[Callable[[Stage], dict[str, Any]]] = [tables, messaging, gateway_responses, admin_key]
POLICY_SECTIONS: list[Callable[[Stage], list[dict[str, Any]]]] = [logs_statements, table_statements,
                                                                   messaging_statements]


def template(stage: Stage, *, standalone: bool = False) -> dict[str, Any]:
    """The merge template; ``standalone`` keeps only whole resources (for a data stack next to chalice deploy)."""
    resources: dict[str, Any] = {}
    for section in SECTIONS:
        for name, resource in section(stage).items():
            if name in resources:
                raise ValueError(f"Two sections define {name}")
            resources[name] = resource
    if standalone:  # entries without a Type patch Chalice's own resources
        resources = {name: resource for name, resource in resources.items() if "Type" in resource}
    outputs = {f"{name}Name": {"Value": {"Ref": name}} for name in resources
               if resources[name].get("Type") == "AWS::DynamoDB::Table"}
    document: dict[str, Any] = {"Resources": resources, "Outputs": outputs}
    if not standalone:
        document = {"Parameters": PARAMETERS, **document}
    return document


def policy(stage: Stage) -> dict[str, Any]:
    statements = [statement for section in POLICY_SECTIONS for statement in section(stage)]
    return {"Version": "2012-10-17", "Statement": statements}


def dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--template", type=Path, help="write the merge template here")
    parser.add_argument("--policy", type=Path, help="write the Lambda role's policy here")
    parser.add_argument("--standalone", action="store_true",
                        help="only whole resources: a template of its own, for use with chalice deploy")
    args = parser.parse_args(argv)
    stage = load_stage(args.stage)
    document = template(stage, standalone=args.standalone)
    if args.template is None and args.policy is None:
        print(dump(document), end="")
    if args.template is not None:
        args.template.parent.mkdir(parents=True, exist_ok=True)
        args.template.write_text(dump(document))
    if args.policy is not None:
        args.policy.write_text(dump(policy(stage)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
