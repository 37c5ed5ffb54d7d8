"""The function role allows every call the engine makes, and grants nothing the engine does not call.

Derived from runs, not from a hand list. In moto, the Lambda handler runs with exactly the
environment the synthesized template gives the function (mode, regions, tag prefix, the stack's
ledger bucket and KMS-encrypted topic re-created in moto): one report-mode run over the demo
account, and act-mode runs at a frozen clock — day 0 marks, scales down an endpoint past its
grace period and removes marks where traffic returned (one whose owner withdrew the opt-in),
day 4 deletes, autoscaling policies and scheduled actions included. Every recorded call becomes
the IAM authorizations it needs (iam_requests.py); each is evaluated against the statements of
the function role in that template (iam_eval.py). Inference-component calls, which moto cannot
run, are found in the engine's source and evaluated from one synthetic call each; Compute
Optimizer, which moto does not implement either, is answered by a handler (nothing idle).
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

import cost_watcher
from cost_watcher.scan.clients import Clients
from cost_watcher.sim.account import build_account
from cost_watcher.sim.moto_fidelity import simulate_inference_components
from cost_watcher.sim.specs import EndpointSpec, VariantSpec, busy, demo_specs
from tests.infra.iam_eval import Request, allowed, denied, function_role, granted_actions, render, role_statements
from tests.infra.iam_requests import ACCOUNT, Call, CallRecorder, requests_for
from tests.infra.template import only

pytestmark = pytest.mark.slow  # builds two moto accounts and runs the handler three times

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
REGION = "us-east-1"  # where the stack is deployed
DAY_4 = NOW + timedelta(days=4, hours=1)  # past the 3-day grace period of what day 0 marked
# Used by Lambda itself on the function's behalf (logs, active tracing, the async dead-letter
# queue), never by the engine's code: the one part of the role a run cannot show.
LAMBDA_PLATFORM = frozenset({
    "logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords",
    "sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
})
CHANGING_VERBS = ("Add", "Create", "Delete", "Deregister", "Put", "Register", "Stop", "Update")
API_SERVICES = ("sagemaker", "cloudwatch", "application-autoscaling", "resourcegroupstaggingapi", "s3", "sns",
                "pricing", "compute-optimizer")
PYTHON_METHODS = frozenset(name for kind in (str, bytes, dict, list, set, re.Pattern, re.Match) for name in dir(kind))
IC = "llm-ic"  # the inference component of the synthetic calls
IC_DIMENSION = "sagemaker:inference-component:DesiredCopyCount"


@dataclass
class Runs:
    """What the handler did in one deployment mode, and how to render that template's tokens."""

    calls: list[Call]
    counted: Counter[str]  # Clients.calls of the same runs
    responses: list[dict[str, Any]]
    refs: dict[str, str]
    environment: dict[str, str]
    synthetic: list[Call] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return self.environment["COST_WATCHER_TAG_PREFIX"]

    def requests(self) -> list[Request]:
        return [request for call in [*self.calls, *self.synthetic] for request in requests_for(call)]


# --- the runs ---------------------------------------------------------------------------------

def moto_twin(template: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The stack's ledger bucket, KMS key and topic, made in moto; returns (values of the template's
    tokens, the function's environment rendered with them)."""
    bucket_id, _ = only(template, "AWS::S3::Bucket")
    key_id, _ = only(template, "AWS::KMS::Key")
    topic_id, topic = only(template, "AWS::SNS::Topic")
    bucket = "cost-watcher-ledger-under-test"
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=bucket)
    key = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]
    refs = {"AWS::Partition": "aws", "AWS::AccountId": ACCOUNT, "AWS::Region": REGION,
            "AWS::URLSuffix": "amazonaws.com", bucket_id: bucket, f"{bucket_id}.Arn": f"arn:aws:s3:::{bucket}",
            key_id: key["KeyId"], f"{key_id}.Arn": key["Arn"]}
    attributes = {"KmsMasterKeyId": render(topic["KmsMasterKeyId"], refs)} if "KmsMasterKeyId" in topic else {}
    refs[topic_id] = boto3.client("sns", region_name=REGION).create_topic(
        Name="cost-watcher-digest", Attributes=attributes)["TopicArn"]
    _, function = only(template, "AWS::Lambda::Function")
    environment = {name: render(value, refs) for name, value in function["Environment"]["Variables"].items()}
    return refs, environment


def _tags_of(region: str, arn: str) -> dict[str, str]:
    try:
        tags = boto3.client("sagemaker", region_name=region).list_tags(ResourceArn=arn)["Tags"]
    except ClientError:
        return {}  # gone already: no tags to condition on
    return {tag["Key"]: tag["Value"] for tag in tags}


def _key_of(topic_arn: str) -> str | None:
    attributes = boto3.client("sns", region_name=REGION).get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    return attributes.get("KmsMasterKeyId")


def no_idle_recommendations(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
    """Compute Optimizer, which moto does not implement, answers: enrolled, nothing idle. The call is
    recorded (before-parameter-build) and counted either way; this only keeps the run's answer realistic."""
    return AWSResponse("https://simulated", 200, {}, None), {"idleRecommendations": []}


def recording_clients() -> tuple[Clients, CallRecorder]:
    """The clients the handler runs with, recording every call (moto answers; no inference components;
    Compute Optimizer lists nothing)."""
    clients = Clients()
    simulate_inference_components(clients, [])
    clients.register("before-call.compute-optimizer.GetIdleRecommendations", no_idle_recommendations)
    recorder = CallRecorder(_tags_of, _key_of)
    clients.register("before-parameter-build", recorder)
    return clients, recorder


def invoke(environment: dict[str, str], clients: Clients, run: str) -> dict[str, Any]:
    """A scheduled invocation of the deployed handler, in-process."""
    from cost_watcher.faces.handler import handle

    return handle({"execution_id": run}, None, environment, clients)


@pytest.fixture(scope="module")
def report_runs(report_template: dict[str, Any]) -> Runs:
    """One scheduled run of the report-mode deployment (its own moto account, closed afterwards)."""
    import time_machine
    from moto import mock_aws

    with time_machine.travel(NOW, tick=False), mock_aws():
        refs, environment = moto_twin(report_template)
        build_account(Clients(), demo_specs(NOW, environment["COST_WATCHER_TAG_PREFIX"]), NOW)
        clients, recorder = recording_clients()
        response = invoke(environment, clients, "report-run")
    runs = Runs(recorder.calls, clients.calls, [response], refs, environment)
    # the scan reads a hosted component's copy count (moto has no inference components), and a
    # candidate's tags with ListTags when the region's tag listing (GetResources) failed
    runs.synthetic = [
        Call("sagemaker", "DescribeInferenceComponent", REGION, {"InferenceComponentName": IC}, {}),
        Call("sagemaker", "ListTags", REGION,
             {"ResourceArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{demo_specs(NOW)[0].name}"}, {}),
    ]
    return runs


def act_specs(prefix: str) -> list[EndpointSpec]:
    """The demo account, plus what the demo lacks: an opted-in endpoint with autoscaling (its
    scheduled action is added after building), and a busy one still carrying our mark after
    its owner removed the opt-in."""
    reclaim, mark = prefix + "reclaim", prefix + "idle-since"
    return [
        *demo_specs(NOW, prefix),
        EndpointSpec("nightly-batch-scorer", REGION, (VariantSpec(count=2),), tags={reclaim: "delete"},
                     autoscaling=(1, 3, 50)),
        EndpointSpec("opted-out-ranker", REGION, (VariantSpec(traffic=busy(200), cpu_pct=30),),
                     tags={mark: (NOW - timedelta(days=2)).date().isoformat()}),
    ]


@pytest.fixture(scope="module")
def act_runs(act_template: dict[str, Any]) -> Runs:
    """Day 0 and day 4 of the act-mode deployment (its own moto account, closed afterwards)."""
    import time_machine
    from moto import mock_aws

    with time_machine.travel(NOW, tick=False) as clock, mock_aws():
        refs, environment = moto_twin(act_template)
        builder = Clients()
        build_account(builder, act_specs(environment["COST_WATCHER_TAG_PREFIX"]), NOW)
        builder.autoscaling(REGION).put_scheduled_action(
            ServiceNamespace="sagemaker", ScheduledActionName="weekend-floor", Schedule="cron(0 20 ? * FRI *)",
            ResourceId="endpoint/nightly-batch-scorer/variant/AllTraffic",
            ScalableDimension="sagemaker:variant:DesiredInstanceCount",
            ScalableTargetAction={"MinCapacity": 1, "MaxCapacity": 2})
        clients, recorder = recording_clients()
        responses = [invoke(environment, clients, "act-day-0")]
        clock.move_to(DAY_4)
        responses.append(invoke(environment, clients, "act-day-4"))
    runs = Runs(recorder.calls, clients.calls, responses, refs, environment)
    runs.synthetic = synthetic_calls(runs)
    return runs


# --- what moto cannot run -----------------------------------------------------------------------

def engine_modules() -> dict[str, ast.Module]:
    """The engine's modules the Lambda handler can reach by import (the CLI, demo and restore are
    not part of the function)."""
    package = Path(cost_watcher.__file__).parent
    found: dict[str, ast.Module] = {}
    pending = ["faces.handler"]
    while pending:
        name = pending.pop()
        path = package / (name.replace(".", "/") + ".py")
        if name in found or not path.exists():
            continue
        found[name] = ast.parse(path.read_text())
        for node in ast.walk(found[name]):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cost_watcher"):
                module = node.module.removeprefix("cost_watcher").lstrip(".")
                pending += [module] if module else []
                pending += [f"{module}.{alias.name}".lstrip(".") for alias in node.names]
    return found


def engine_operations() -> set[str]:
    """Every AWS operation the function's code names: client methods (called or passed on),
    paginators, waiters (botocore's and those declared in the code)."""
    clients = {name: boto3.client(name, region_name=REGION) for name in API_SERVICES}
    methods = {method: operation for client in clients.values()
               for method, operation in client.meta.method_to_api_mapping.items()}
    waiters = {waiter: client.get_waiter(waiter).config.operation
               for client in clients.values() for waiter in client.waiter_names}
    # `pattern.search(...)` is not SageMaker's Search: skip names Python's own types have too
    methods = {m: op for m, op in methods.items() if m not in PYTHON_METHODS}
    operations: set[str] = set()
    for tree in engine_modules().values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in methods:
                operations.add(methods[node.attr])
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args and \
                    isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                if node.func.attr == "get_paginator" and node.args[0].value in methods:
                    operations.add(methods[node.args[0].value])
                if node.func.attr == "get_waiter" and node.args[0].value in waiters:
                    operations.add(waiters[node.args[0].value])
            if isinstance(node, ast.Dict):  # waiter models written in botocore's format
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "operation" and isinstance(value, ast.Constant):
                        operations.add(value.value)
    return operations


def synthetic_calls(runs: Runs) -> list[Call]:
    """Inference-component calls as the engine makes them, on a component carrying the opt-in
    each needs (the tag condition is checked on the component itself), and the autoscaling
    writes the runs made, repeated on a component's copy count."""
    reclaim = runs.prefix + "reclaim"
    named = {"InferenceComponentName": IC}
    calls = [
        Call("sagemaker", "DescribeInferenceComponent", REGION, named, {}),
        Call("sagemaker", "ListTags", REGION,
             {"ResourceArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:inference-component/{IC}"}, {}),
        Call("sagemaker", "DeleteInferenceComponent", REGION, named, {reclaim: "delete"}),
        Call("sagemaker", "UpdateInferenceComponentRuntimeConfig", REGION,
             {**named, "DesiredRuntimeConfig": {"CopyCount": 0}}, {reclaim: "scale-down"}),
    ]
    writes = {call.operation: call for call in runs.calls
              if call.service == "application-autoscaling" and call.operation.startswith(CHANGING_VERBS)}
    calls += [Call(call.service, call.operation, REGION,
                   {**call.params, "ResourceId": f"inference-component/{IC}", "ScalableDimension": IC_DIMENSION})
              for call in writes.values()]
    return calls


# --- the runs did what they are meant to show ------------------------------------------------------

def test_the_report_run_scanned_stored_and_published(report_runs):
    (response,) = report_runs.responses
    assert response["status"] == "ok", response
    assert response["notification"].startswith("sent: ")
    bucket = report_runs.environment["COST_WATCHER_LEDGER"]
    assert response["report_location"].startswith(f"{bucket}/reports/")
    assert {f"{c.service}:{c.operation}" for c in report_runs.calls} == set(report_runs.counted)


def test_the_act_runs_marked_unmarked_scaled_down_and_deleted(act_runs):
    """... and put a quiet-hours schedule on the demo's office-hours endpoint (marked day 0, applied day 4)."""
    assert any(c.operation == "PutScheduledAction" and c.params.get("Timezone") for c in act_runs.calls)
    assert any(c.operation == "RegisterScalableTarget" and "claims-assistant" in c.params["ResourceId"]
               for c in act_runs.calls)
    done = Counter()
    for response in act_runs.responses:
        assert response["notification"].startswith("sent: "), response
        done.update({key: n for key, n in response["summary"]["actions"].items() if key.endswith(":done")})
    assert {"mark:done", "unmark:done", "scale-down:done", "delete:done", "schedule:done"} <= set(done), done
    assert {f"{c.service}:{c.operation}" for c in act_runs.calls} == set(act_runs.counted)
    # the opt-out case: our mark removed from an endpoint that no longer carries the reclaim tag
    reclaim = act_runs.prefix + "reclaim"
    assert any(c.operation == "DeleteTags" and reclaim not in (c.resource_tags or {}) for c in act_runs.calls)


def test_every_operation_in_the_engine_is_run_in_moto_or_given_a_synthetic_call(act_runs, report_runs):
    in_code = engine_operations()
    run = {call.operation for runs in (report_runs, act_runs) for call in runs.calls}
    synthetic = {call.operation for call in act_runs.synthetic}
    assert synthetic <= in_code, "a synthetic call for an operation the engine no longer makes: drop it"
    assert sorted(in_code - run - synthetic) == []


# --- the role allows what the runs needed --------------------------------------------------------

def test_the_report_mode_role_allows_every_call_of_a_report_run(report_runs, report_template):
    statements = role_statements(report_template, function_role(report_template))
    assert list(denied(statements, report_runs.requests(), report_runs.refs)) == []


def test_the_act_mode_role_allows_every_call_of_the_act_runs(act_runs, act_template):
    statements = role_statements(act_template, function_role(act_template))
    assert list(denied(statements, act_runs.requests(), act_runs.refs)) == []


# --- and nothing more ------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", ["report", "act"])
def test_every_granted_action_is_needed_by_a_run_of_that_mode(variant, synth, report_runs, act_runs):
    template = synth.templates[variant]
    runs = report_runs if variant == "report" else act_runs
    granted = granted_actions(role_statements(template, function_role(template)))
    needed = {request.action for request in runs.requests()}
    assert sorted(granted - needed - LAMBDA_PLATFORM) == []


def _changes_hosting(action: str) -> bool:
    service, _, name = action.partition(":")
    return service in ("sagemaker", "application-autoscaling") and name.startswith(CHANGING_VERBS)


def test_report_mode_denies_every_change_the_act_runs_made(act_runs, report_runs, act_template, report_template):
    changes = [request for request in act_runs.requests() if _changes_hosting(request.action)]
    act_can_change = {a for a in granted_actions(role_statements(act_template, function_role(act_template)))
                      if _changes_hosting(a)}
    assert act_can_change and {request.action for request in changes} == act_can_change
    statements = role_statements(report_template, function_role(report_template))
    allowed_changes = [str(request) for request in changes if allowed(statements, request, report_runs.refs)]
    assert allowed_changes == []


# --- the evaluator says no where IAM would: refusals on the act-mode role ------------------------

def _endpoint_call(operation: str, tags: dict[str, str], region: str = REGION, **params: Any) -> Call:
    arn = f"arn:aws:sagemaker:{region}:{ACCOUNT}:endpoint/churn"
    if operation in ("AddTags", "DeleteTags"):
        params["ResourceArn"] = arn
    else:
        params["EndpointName"] = "churn"
    return Call("sagemaker", operation, region, params, tags)


def refusal_cases(prefix: str, bucket: str) -> dict[str, Call]:
    reclaim, mark, ignore = prefix + "reclaim", prefix + "idle-since", prefix + "ignore"
    return {
        "delete with a scale-down opt-in": _endpoint_call("DeleteEndpoint", {reclaim: "scale-down"}),
        "delete with an opt-in in the wrong case": _endpoint_call("DeleteEndpoint", {reclaim: "Delete"}),
        "delete without opt-in": _endpoint_call("DeleteEndpoint", {}),
        "scale down without opt-in": _endpoint_call(
            "UpdateEndpointWeightsAndCapacities", {}, DesiredWeightsAndCapacities=[]),
        "mark without opt-in": _endpoint_call("AddTags", {}, Tags=[{"Key": mark, "Value": "2025-03-10"}]),
        "write the owner's opt-in": _endpoint_call("AddTags", {reclaim: "scale-down"},
                                                   Tags=[{"Key": reclaim, "Value": "delete"}]),
        "remove the owner's opt-out": _endpoint_call("DeleteTags", {reclaim: "delete", ignore: "true"},
                                                     TagKeys=[ignore]),
        "remove another tag with our mark": _endpoint_call("DeleteTags", {reclaim: "delete"},
                                                           TagKeys=[mark, "team"]),
        "quiet-hours mark on an endpoint opted in to deletion": _endpoint_call(
            "AddTags", {reclaim: "delete"}, Tags=[{"Key": prefix + "quiet-since", "Value": "2025-03-10"}]),
        "idle mark on an endpoint opted in to a schedule only": _endpoint_call(
            "AddTags", {reclaim: "schedule"}, Tags=[{"Key": mark, "Value": "2025-03-10"}]),
        "another tag with the quiet-hours mark": _endpoint_call(
            "AddTags", {reclaim: "schedule"}, Tags=[{"Key": prefix + "quiet-since", "Value": "2025-03-10"},
                                                    {"Key": "team", "Value": "x"}]),
        "scheduled actions on another service": Call("application-autoscaling", "PutScheduledAction", REGION, {
            "ServiceNamespace": "ecs", "ResourceId": "service/prod/web",
            "ScheduledActionName": "cost-watcher-quiet-1-in", "ScalableDimension": "ecs:service:DesiredCount",
            "Schedule": "cron(0 19 ? * MON *)"}),
        "describe outside the scanned regions": _endpoint_call("DescribeEndpoint", {}, region="ap-southeast-2"),
        "delete a component opted in on its endpoint only": Call(
            "sagemaker", "DeleteInferenceComponent", REGION, {"InferenceComponentName": IC}, {}),
        "scale another service": Call("application-autoscaling", "RegisterScalableTarget", REGION, {
            "ServiceNamespace": "ecs", "ResourceId": "service/prod/web",
            "ScalableDimension": "ecs:service:DesiredCount", "MinCapacity": 0}),
        "write outside the ledger's folders": Call("s3", "PutObject", REGION, {"Bucket": bucket, "Key": "other/x"}),
        "write another bucket": Call("s3", "PutObject", REGION, {"Bucket": "someone-else", "Key": "reports/x.json"}),
    }


def test_the_act_mode_role_refuses_what_owners_did_not_allow(act_runs, act_template):
    statements = role_statements(act_template, function_role(act_template))
    bucket = act_runs.environment["COST_WATCHER_LEDGER"].removeprefix("s3://")
    wrongly_allowed = sorted(case for case, call in refusal_cases(act_runs.prefix, bucket).items()
                             if any(allowed(statements, request, act_runs.refs) for request in requests_for(call)))
    assert wrongly_allowed == []


def test_our_mark_can_be_removed_after_the_owner_withdrew_the_opt_in(act_runs, act_template):
    """Removing only `<prefix>idle-since` needs no opt-in: it can only delay a reclaim."""
    statements = role_statements(act_template, function_role(act_template))
    call = _endpoint_call("DeleteTags", {act_runs.prefix + "idle-since": "2025-03-01"},
                          TagKeys=[act_runs.prefix + "idle-since"])
    assert all(allowed(statements, request, act_runs.refs) for request in requests_for(call))


# --- the spoke role (organization mode) allows the member account's part of the same runs -------

HUB_SIDE = ("s3:", "sns:", "kms:", "pricing:")  # the ledger, the digest and prices stay with the hub


def spoke_statements(synth, variant: str) -> list[dict[str, Any]]:
    """The spoke role's statements as the StackSet would deploy them for this variant's settings."""
    from infra.organization import spoke_template

    settings = synth.settings[variant]
    template = spoke_template(list(settings.engine.regions) or [REGION], "CostWatcherSpoke",
                              settings.engine.tag_prefix if settings.act else None, None)
    (role_id, _), = ((k, v) for k, v in template["Resources"].items() if v["Type"] == "AWS::IAM::Role")
    return role_statements(template, role_id)


@pytest.mark.parametrize("variant", ["report", "act"])
def test_the_spoke_role_allows_every_member_account_call_and_nothing_more(variant, synth, report_runs, act_runs):
    runs = report_runs if variant == "report" else act_runs
    statements = spoke_statements(synth, variant)
    member = [request for request in runs.requests() if not request.action.startswith(HUB_SIDE)]
    assert member and list(denied(statements, member, runs.refs)) == []
    assert sorted(granted_actions(statements) - {request.action for request in member}) == []


def test_the_report_mode_spoke_role_denies_every_change_the_act_runs_made(synth, act_runs, report_runs):
    statements = spoke_statements(synth, "report")
    changes = [str(r) for r in act_runs.requests() if _changes_hosting(r.action) and
               allowed(statements, r, report_runs.refs)]
    assert changes == []
