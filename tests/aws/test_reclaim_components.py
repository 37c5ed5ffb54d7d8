"""Inference-component endpoints, with botocore Stubber (moto has no inference components):
delete order, a bounded wait, scale-down to zero copies, and restore."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from cost_watcher.model import Action, Component, Endpoint, Finding, Report, Variant, Verdict
from cost_watcher.reclaim import apply as reclaim
from cost_watcher.reclaim.actions import Wait
from cost_watcher.reclaim.ledger import open_ledger
from cost_watcher.reclaim.restore import restore
from cost_watcher.settings import Settings

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
REGION = "us-east-1"
ARN = f"arn:aws:sagemaker:{REGION}:123456789012"
CREATED = NOW - timedelta(days=40)
TARGET_ID = "inference-component/ic-a"
IC_DIMENSION = "sagemaker:inference-component:DesiredCopyCount"
QUICK = Wait(delay=0, attempts=3)


class StubbedClients:
    """The three clients reclaim uses, each behind a Stubber, with one shared call log."""

    tag = "delete"  # the owner's opt-in on the endpoint under test

    def __init__(self) -> None:
        session = boto3.session.Session(region_name=REGION)
        self.log: list[str] = []
        self.metric_queries: list[dict[str, Any]] = []
        self._clients = {name: session.client(name, region_name=REGION)
                         for name in ("sagemaker", "application-autoscaling", "cloudwatch")}
        self.stubs = {name: Stubber(client) for name, client in self._clients.items()}
        for client in self._clients.values():
            # before-parameter-build: the Stubber answers at before-call, ahead of other handlers
            client.meta.events.register("before-parameter-build", lambda model, **_: self.log.append(model.name))
        self._clients["cloudwatch"].meta.events.register(
            "before-parameter-build.cloudwatch.GetMetricData",
            lambda params, **_: self.metric_queries.extend(params["MetricDataQueries"]))
        for stub in self.stubs.values():
            stub.activate()

    def sagemaker(self, region: str) -> Any:
        return self._clients["sagemaker"]

    def autoscaling(self, region: str) -> Any:
        return self._clients["application-autoscaling"]

    def cloudwatch(self, region: str) -> Any:
        return self._clients["cloudwatch"]

    @property
    def sm(self) -> Stubber:
        return self.stubs["sagemaker"]

    @property
    def aas(self) -> Stubber:
        return self.stubs["application-autoscaling"]

    def done(self) -> None:
        for stub in self.stubs.values():
            stub.assert_no_pending_responses()


def endpoint_description(status: str = "InService") -> dict[str, Any]:
    return {
        "EndpointName": "llm", "EndpointArn": f"{ARN}:endpoint/llm", "EndpointConfigName": "llm-config",
        "EndpointStatus": status, "CreationTime": CREATED, "LastModifiedTime": CREATED,
        "ProductionVariants": [{"VariantName": "AllTraffic", "CurrentInstanceCount": 2, "DesiredInstanceCount": 2}],
    }


def config_description(min_instances: int = 0) -> dict[str, Any]:
    return {
        "EndpointConfigName": "llm-config", "EndpointConfigArn": f"{ARN}:endpoint-config/llm-config",
        "CreationTime": CREATED, "ExecutionRoleArn": "arn:aws:iam::123456789012:role/sm",
        "ProductionVariants": [{
            "VariantName": "AllTraffic", "InstanceType": "ml.g5.2xlarge", "InitialInstanceCount": 2,
            "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": min_instances, "MaxInstanceCount": 4},
            "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
        }],
    }


def component_description(name: str, status: str = "InService", copies: int = 2) -> dict[str, Any]:
    return {
        "InferenceComponentName": name, "InferenceComponentArn": f"{ARN}:inference-component/{name}",
        "EndpointName": "llm", "EndpointArn": f"{ARN}:endpoint/llm", "VariantName": "AllTraffic",
        "CreationTime": CREATED, "LastModifiedTime": CREATED, "InferenceComponentStatus": status,
        "Specification": {
            "ModelName": f"model-{name}",
            "Container": {"DeployedImage": {"SpecifiedImage": f"img/{name}:1", "ResolvedImage": f"img/{name}@sha"},
                          "ArtifactUrl": f"s3://models/{name}.tar.gz", "Environment": {"MAX_TOKENS": "512"}},
            "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024, "NumberOfAcceleratorDevicesRequired": 1.0},
        },
        "RuntimeConfig": {"DesiredCopyCount": copies, "CurrentCopyCount": copies},
    }


def model_description(name: str) -> dict[str, Any]:
    return {"ModelName": name, "ModelArn": f"{ARN}:model/{name}", "CreationTime": CREATED,
            "ExecutionRoleArn": "arn:aws:iam::123456789012:role/sm", "EnableNetworkIsolation": False}


TARGET = {"ServiceNamespace": "sagemaker", "ResourceId": TARGET_ID, "ScalableDimension": IC_DIMENSION,
          "MinCapacity": 1, "MaxCapacity": 4, "CreationTime": CREATED,
          "RoleARN": "arn:aws:iam::123456789012:role/aws-service-role/autoscaling"}
POLICY = {"PolicyARN": "arn:aws:autoscaling:policy/ic-a", "PolicyName": "ic-a-tracking",
          "ServiceNamespace": "sagemaker", "ResourceId": TARGET_ID, "ScalableDimension": IC_DIMENSION,
          "PolicyType": "TargetTrackingScaling",
          "CreationTime": CREATED, "Alarms": [{"AlarmName": "a", "AlarmARN": "arn:aws:cloudwatch:alarm:a"}],
          "TargetTrackingScalingPolicyConfiguration": {
              "TargetValue": 4.0,
              "PredefinedMetricSpecification": {
                  "PredefinedMetricType": "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"}}}
GONE = {"service_error_code": "ValidationException",
        "service_message": "Could not find inference component"}


def finding(action_tag: str = "delete") -> Finding:
    inventory = Endpoint(
        name="llm", region=REGION, status="InService", created=CREATED, arn=f"{ARN}:endpoint/llm",
        config_name="llm-config", variants=[Variant("AllTraffic", "ml.g5.2xlarge", 2, min_instance_count=0)],
        components=[Component("ic-a", "llm", "AllTraffic"), Component("ic-b", "llm", "AllTraffic")], described=True,
        tags={"cost-watcher:reclaim": action_tag, "cost-watcher:idle-since": "2025-03-01"})
    return Finding(name="llm", region=REGION, status="InService", created=CREATED, verdict=Verdict.IDLE, score=100,
                   reason="idle", reclaim_tag=action_tag, idle_since=date(2025, 3, 1), reclaimable_usd=2000.0,
                   components=["ic-a", "ic-b"], endpoint=inventory)


def stub_recheck(clients: StubbedClients) -> None:
    results = [{"Id": f"q{i}", "Label": "", "Timestamps": [], "Values": [], "StatusCode": "Complete"}
               for i in range(3)]
    clients.stubs["cloudwatch"].add_response("get_metric_data", {"MetricDataResults": results})


def stub_component_tags(clients: StubbedClients, opt_ins: dict[str, str | None]) -> None:
    """Each component's own tags, read right before acting (IAM checks the opt-in on each)."""
    for name, value in opt_ins.items():
        tags = [{"Key": "cost-watcher:reclaim", "Value": value}] if value else []
        clients.sm.add_response("list_tags", {"Tags": [{"Key": "team", "Value": "genai"}, *tags]},
                                {"ResourceArn": f"{ARN}:inference-component/{name}"})


def stub_snapshot(clients: StubbedClients, min_instances: int = 0) -> None:
    sm, aas = clients.sm, clients.aas
    sm.add_response("describe_endpoint", endpoint_description(), {"EndpointName": "llm"})
    # tags read fresh right before acting: the owner's opt-in is still as scanned
    sm.add_response("list_tags", {"Tags": [{"Key": "cost-watcher:reclaim", "Value": clients.tag},
                                           {"Key": "cost-watcher:idle-since", "Value": "2025-03-01"}]},
                    {"ResourceArn": f"{ARN}:endpoint/llm"})
    stub_component_tags(clients, {"ic-a": clients.tag, "ic-b": clients.tag})
    sm.add_response("describe_endpoint_config", config_description(min_instances), {"EndpointConfigName": "llm-config"})
    for name in ("ic-a", "ic-b"):
        sm.add_response("describe_inference_component", component_description(name), {"InferenceComponentName": name})
    for name in ("model-ic-a", "model-ic-b"):
        sm.add_response("describe_model", model_description(name), {"ModelName": name})
    sm.add_response("list_tags", {"Tags": [{"Key": "team", "Value": "genai"},
                                           {"Key": "cost-watcher:reclaim", "Value": "delete"},
                                           {"Key": "cost-watcher:idle-since", "Value": "2025-03-01"}]},
                    {"ResourceArn": f"{ARN}:endpoint/llm"})
    aas.add_response("describe_scalable_targets", {"ScalableTargets": [TARGET]}, {
        "ServiceNamespace": "sagemaker",
        "ResourceIds": ["endpoint/llm/variant/AllTraffic", "inference-component/ic-a", "inference-component/ic-b"]})
    ids = {"ServiceNamespace": "sagemaker", "ResourceId": TARGET_ID, "ScalableDimension": IC_DIMENSION}
    aas.add_response("describe_scaling_policies", {"ScalingPolicies": [POLICY]}, ids)
    aas.add_response("describe_scheduled_actions", {"ScheduledActions": []}, ids)


def run_apply(clients: StubbedClients, tmp_path, wait: Wait = QUICK) -> tuple[Finding, Report]:
    target = finding(clients.tag)
    report = Report(generated_at=NOW, lookback_days=7, regions=[REGION], dry_run=False, findings=[target])
    config = Settings(regions=(REGION,), dry_run=False, ledger=str(tmp_path))
    reclaim.apply([target], config, clients, NOW, report, wait=wait, clock=lambda: NOW)
    return target, report


@pytest.fixture
def clients() -> StubbedClients:
    return StubbedClients()


def stub_until_components_deleted(clients: StubbedClients) -> None:
    """Re-check, record, autoscaling removed, then both components' deletes asked for."""
    stub_recheck(clients)
    stub_snapshot(clients)
    ids = {"ServiceNamespace": "sagemaker", "ResourceId": TARGET_ID, "ScalableDimension": IC_DIMENSION}
    clients.aas.add_response("delete_scaling_policy", {}, {"PolicyName": "ic-a-tracking", **ids})
    clients.aas.add_response("deregister_scalable_target", {}, ids)
    for name in ("ic-a", "ic-b"):
        clients.sm.add_response("delete_inference_component", {}, {"InferenceComponentName": name})


def test_components_are_deleted_and_gone_before_the_endpoint(clients: StubbedClients, tmp_path):
    stub_until_components_deleted(clients)
    clients.sm.add_response("describe_inference_component", component_description("ic-a", "Deleting"),
                            {"InferenceComponentName": "ic-a"})
    clients.sm.add_client_error("describe_inference_component", expected_params={"InferenceComponentName": "ic-a"},
                                **GONE)
    clients.sm.add_client_error("describe_inference_component", expected_params={"InferenceComponentName": "ic-b"},
                                **GONE)
    clients.sm.add_response("delete_endpoint", {}, {"EndpointName": "llm"})

    target, report = run_apply(clients, tmp_path)

    assert (target.action, target.action_result) == (Action.DELETE, "done"), target.action_result
    assert report.errors == []
    clients.done()
    acting = [name for name in clients.log if not name.startswith(("Describe", "List", "GetMetric"))]
    assert acting == ["DeleteScalingPolicy", "DeregisterScalableTarget", "DeleteInferenceComponent",
                      "DeleteInferenceComponent", "DeleteEndpoint"]
    log = clients.log
    assert log.index("DeleteEndpoint") > max(i for i, name in enumerate(log) if name == "DescribeInferenceComponent")
    # the re-check read each component by its own dimension, the variant by exactly two
    dimension_sets = sorted(tuple(sorted(d["Name"] for d in q["MetricStat"]["Metric"]["Dimensions"]))
                            for q in clients.metric_queries)
    assert dimension_sets == [("EndpointName", "VariantName"), ("InferenceComponentName",),
                              ("InferenceComponentName",)]
    record = open_ledger(str(tmp_path), None).latest_record("llm", REGION)
    assert [c["InferenceComponentName"] for c in record.doc["inference_components"]] == ["ic-a", "ic-b"]
    assert [m["ModelName"] for m in record.doc["models"]] == ["model-ic-a", "model-ic-b"]


def test_component_still_deleting_defers_the_endpoint_delete(clients: StubbedClients, tmp_path):
    stub_until_components_deleted(clients)
    for _ in range(2):
        clients.sm.add_response("describe_inference_component", component_description("ic-a", "Deleting"),
                                {"InferenceComponentName": "ic-a"})

    target, report = run_apply(clients, tmp_path, wait=Wait(delay=0, attempts=2))

    assert target.action_result.startswith("skipped: inference component ic-a still not deleted")
    assert "DeleteEndpoint" not in clients.log and report.errors == []
    clients.done()


def test_scale_down_sets_component_copies_to_zero_after_lowering_their_floor(clients: StubbedClients, tmp_path):
    clients.tag = "scale-down"
    stub_recheck(clients)
    stub_snapshot(clients, min_instances=0)
    clients.aas.add_response("register_scalable_target", {}, {
        "ServiceNamespace": "sagemaker", "ResourceId": TARGET_ID, "ScalableDimension": IC_DIMENSION,
        "MinCapacity": 0, "MaxCapacity": 4})
    for name in ("ic-a", "ic-b"):
        clients.sm.add_response(
            "update_inference_component_runtime_config", {"InferenceComponentArn": f"{ARN}:inference-component/{name}"},
            {"InferenceComponentName": name, "DesiredRuntimeConfig": {"CopyCount": 0}})

    target, _ = run_apply(clients, tmp_path)

    assert (target.action, target.action_result) == (Action.SCALE_DOWN, "done"), target.action_result
    clients.done()
    acting = [name for name in clients.log if not name.startswith(("Describe", "List", "GetMetric"))]
    assert acting == ["RegisterScalableTarget", "UpdateInferenceComponentRuntimeConfig",
                      "UpdateInferenceComponentRuntimeConfig"]
    record = open_ledger(str(tmp_path), None).latest_record("llm", REGION)
    assert [(c["CopyCount"], c["To"]) for c in record.doc["scale_down"]["components"]] == [(2, 0), (2, 0)]


def test_restore_recreates_components_with_their_copies_and_autoscaling(clients: StubbedClients, tmp_path):
    test_components_are_deleted_and_gone_before_the_endpoint(clients, tmp_path)  # leaves a delete record
    sm, aas = clients.sm, clients.aas
    missing = {"service_error_code": "ValidationException", "service_message": "Could not find endpoint"}
    sm.add_client_error("describe_endpoint", expected_params={"EndpointName": "llm"}, **missing)
    for name in ("model-ic-a", "model-ic-b"):
        sm.add_response("describe_model", model_description(name), {"ModelName": name})
    sm.add_response("describe_endpoint_config", config_description(), {"EndpointConfigName": "llm-config"})
    sm.add_response("create_endpoint", {"EndpointArn": f"{ARN}:endpoint/llm"}, {
        "EndpointName": "llm", "EndpointConfigName": "llm-config",
        "Tags": [{"Key": "team", "Value": "genai"}, {"Key": "cost-watcher:reclaim", "Value": "delete"}]})
    sm.add_response("describe_endpoint", endpoint_description(), {"EndpointName": "llm"})  # waiter
    sm.add_response("describe_endpoint", endpoint_description(), {"EndpointName": "llm"})
    for name in ("ic-a", "ic-b"):
        sm.add_client_error("describe_inference_component", expected_params={"InferenceComponentName": name}, **GONE)
        sm.add_response("create_inference_component", {"InferenceComponentArn": f"{ARN}:inference-component/{name}"}, {
            "InferenceComponentName": name, "EndpointName": "llm", "VariantName": "AllTraffic",
            "Specification": {
                "ModelName": f"model-{name}",
                "Container": {"Image": f"img/{name}:1", "ArtifactUrl": f"s3://models/{name}.tar.gz",
                              "Environment": {"MAX_TOKENS": "512"}},
                "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024,
                                                "NumberOfAcceleratorDevicesRequired": 1.0},
            },
            "RuntimeConfig": {"CopyCount": 2}})
        sm.add_response("describe_inference_component", component_description(name), {"InferenceComponentName": name})
    aas.add_response("register_scalable_target", {}, {
        "ServiceNamespace": "sagemaker", "ResourceId": TARGET_ID, "ScalableDimension": IC_DIMENSION,
        "MinCapacity": 1, "MaxCapacity": 4, "RoleARN": TARGET["RoleARN"]})
    aas.add_response("put_scaling_policy", {"PolicyARN": POLICY["PolicyARN"]}, {
        "PolicyName": "ic-a-tracking", "ServiceNamespace": "sagemaker", "ResourceId": TARGET_ID,
        "ScalableDimension": IC_DIMENSION, "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": POLICY["TargetTrackingScalingPolicyConfiguration"]})
    clients.log.clear()

    result = restore("llm", REGION, open_ledger(str(tmp_path), None), clients, wait=QUICK, clock=lambda: NOW)

    assert result.status == "restored", (result.error, result.steps)
    clients.done()
    acting = [name for name in clients.log if not name.startswith(("Describe", "List"))]
    assert acting == ["CreateEndpoint", "CreateInferenceComponent", "CreateInferenceComponent",
                      "RegisterScalableTarget", "PutScalingPolicy"]


@pytest.mark.parametrize(("tag", "ic_b"), [("delete", None), ("delete", "scale-down"), ("scale-down", "Scale-Down")])
def test_a_component_without_its_own_opt_in_stops_the_reclaim_before_anything_changes(
        clients: StubbedClients, tmp_path, tag: str, ic_b: str | None):
    """IAM would refuse to delete or scale that component after autoscaling was already removed."""
    clients.tag = tag
    stub_recheck(clients)
    clients.sm.add_response("describe_endpoint", endpoint_description(), {"EndpointName": "llm"})
    clients.sm.add_response("list_tags", {"Tags": [{"Key": "cost-watcher:reclaim", "Value": tag},
                                                   {"Key": "cost-watcher:idle-since", "Value": "2025-03-01"}]},
                            {"ResourceArn": f"{ARN}:endpoint/llm"})
    stub_component_tags(clients, {"ic-a": "delete", "ic-b": ic_b})

    target, report = run_apply(clients, tmp_path)

    assert target.action_result == "skipped: inference component ic-b is not tagged cost-watcher:reclaim=" + (
        "delete" if tag == "delete" else "delete or scale-down")
    assert f"inference component ic-b needs its own tag cost-watcher:reclaim={tag}" in target.warnings[-1]
    assert report.errors == []
    assert open_ledger(str(tmp_path), None).latest_record("llm", REGION) is None  # no record, nothing changed
    clients.done()
    assert [n for n in clients.log if not n.startswith(("Describe", "List", "GetMetric"))] == []
