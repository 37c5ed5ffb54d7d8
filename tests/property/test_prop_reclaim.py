"""Properties of reclaim.apply as a whole, against a recording fake of the AWS calls it makes:
whatever the findings, the calls that change an endpoint stay within the cap, touch only
opted-in endpoints (an unmark excepted), never an unknown one, never one in a region whose
scan had errors, and none at all in a dry run."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from prop_strategies import NOW, PREFIX, REGIONS, findings, settings_values

from cost_watcher.model import DESTRUCTIVE_ACTIONS, Action, Finding, RegionError, Report, Verdict
from cost_watcher.reclaim import apply as reclaim
from cost_watcher.reclaim.actions import Wait

QUICK = settings(max_examples=150, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CHANGES_AN_ENDPOINT = {"add_tags", "delete_tags", "delete_endpoint", "update_endpoint_weights_and_capacities",
                       "update_inference_component_runtime_config", "delete_inference_component",
                       "register_scalable_target", "deregister_scalable_target", "delete_scaling_policy",
                       "delete_scheduled_action"}
DESTRUCTIVE_CALLS = CHANGES_AN_ENDPOINT - {"add_tags", "delete_tags"}


class FakeAWS:
    """Just enough of SageMaker, CloudWatch, Application Auto Scaling and the tagging API for
    reclaim.apply: every endpoint is live as scanned and silent since, unless `work` says what
    a series has seen since (by region, metric name and exact dimensions: see `series_key`);
    every call is recorded as (region, operation, endpoint name)."""

    def __init__(self, findings: list[Finding], work: dict[tuple, float] | None = None) -> None:
        self.endpoints = {(f.region, f.name): f for f in findings}
        self.work = dict(work or {})
        self.calls: list[tuple[str, str, str]] = []
        self.metric_queries: list[tuple[str, dict[str, Any]]] = []  # (region, MetricStat.Metric) asked for

    def client(self, service: str, region: str | None = None) -> Any:
        return _Service(self, service, region or REGIONS[0])

    def sagemaker(self, region: str) -> Any:
        return self.client("sagemaker", region)

    def cloudwatch(self, region: str) -> Any:
        return self.client("cloudwatch", region)

    def autoscaling(self, region: str) -> Any:
        return self.client("application-autoscaling", region)

    def answer(self, region: str, operation: str, params: dict[str, Any]) -> Any:
        name = _endpoint_of(params)
        self.calls.append((region, operation, name))
        finding = self.endpoints.get((region, name))
        endpoint = finding.endpoint if finding else None
        if operation == "describe_endpoint":
            return {"EndpointName": name, "EndpointArn": endpoint.arn, "EndpointConfigName": f"{name}-config",
                    "EndpointStatus": "InService", "CreationTime": endpoint.created,
                    "ProductionVariants": [{"VariantName": v.name, "CurrentInstanceCount": v.instance_count,
                                            "DesiredInstanceCount": v.instance_count, "CurrentWeight": 1.0,
                                            "DesiredWeight": 1.0} for v in endpoint.variants]}
        if operation == "describe_endpoint_config":
            owner = self.endpoints[(region, params["EndpointConfigName"].removesuffix("-config"))].endpoint
            def spec(v: Any) -> dict[str, Any]:
                return {"VariantName": v.name, "ModelName": f"{owner.name}-model", **(
                    {"ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 1}} if v.serverless else
                    {"InstanceType": v.instance_type, "InitialInstanceCount": v.instance_count})}

            config = {"EndpointConfigName": params["EndpointConfigName"],
                      "ProductionVariants": [spec(v) for v in owner.variants if not v.shadow]}
            if any(v.shadow for v in owner.variants):
                config["ShadowProductionVariants"] = [spec(v) for v in owner.variants if v.shadow]
            if owner.asynchronous:
                config["AsyncInferenceConfig"] = {"OutputConfig": {"S3OutputPath": "s3://out/"}}
            return config
        if operation == "describe_model":
            return {"ModelName": params["ModelName"]}
        return {}

    def pages(self, region: str, operation: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        self.calls.append((region, operation, _endpoint_of(params)))
        if operation == "get_metric_data":  # what `work` says each series saw since the scan (default: nothing)
            results = []
            for query in params["MetricDataQueries"]:
                metric = query["MetricStat"]["Metric"]
                self.metric_queries.append((region, metric))
                value = self.work.get(series_key(region, metric["MetricName"],
                                                 {d["Name"]: d["Value"] for d in metric["Dimensions"]}))
                stamps, values = ([params["EndTime"]], [value]) if value is not None else ([], [])
                results.append({"Id": query["Id"], "Timestamps": stamps, "Values": values, "StatusCode": "Complete"})
            yield {"MetricDataResults": results}
        elif operation == "get_resources":  # our mark, on the endpoints that carry one
            yield {"ResourceTagMappingList": [
                {"ResourceARN": f.endpoint.arn, "Tags": [{"Key": PREFIX + "idle-since", "Value": str(f.idle_since)}]}
                for (r, _), f in self.endpoints.items() if r == region and f.idle_since]}
        elif operation == "describe_scalable_targets":
            ids = set(params.get("ResourceIds", []))
            yield {"ScalableTargets": [
                {"ServiceNamespace": "sagemaker", "ResourceId": t.resource_id, "ScalableDimension": t.dimension,
                 "MinCapacity": t.min_capacity, "MaxCapacity": t.max_capacity}
                for (r, _), f in self.endpoints.items() if r == region
                for t in f.endpoint.scaling.values() if t.resource_id in ids]}
        elif operation == "list_tags":  # the endpoint's tags as scanned (components: none)
            finding = self.endpoints.get((region, _endpoint_of(params)))
            tags = _scanned_tags(finding) if finding and "inference-component/" not in params["ResourceArn"] else {}
            yield {"Tags": [{"Key": key, "Value": value} for key, value in tags.items()]}
        else:  # describe_scaling_policies, describe_scheduled_actions
            yield {"ScalingPolicies": [], "ScheduledActions": []}


class _Service:
    def __init__(self, aws: FakeAWS, service: str, region: str) -> None:
        self.aws, self.service, self.region = aws, service, region

    def get_paginator(self, operation: str) -> Any:
        aws, region = self.aws, self.region

        class Paginator:
            def paginate(self, **params: Any) -> Iterator[dict[str, Any]]:
                return aws.pages(region, operation, params)

        return Paginator()

    def __getattr__(self, operation: str) -> Any:
        return lambda **params: self.aws.answer(self.region, operation, params)


def _scanned_tags(finding: Finding) -> dict[str, str]:
    """The tags the scan read: the endpoint's own, or those its finding's opt-in and mark came from."""
    if finding.endpoint and finding.endpoint.tags:
        return dict(finding.endpoint.tags)
    tags = {PREFIX + "reclaim": finding.reclaim_tag} if finding.reclaim_tag else {}
    if finding.idle_since:
        tags[PREFIX + "idle-since"] = finding.idle_since.isoformat()
    return tags


def series_key(region: str, metric: str, dimensions: dict[str, str]) -> tuple:
    """How FakeAWS.work names one CloudWatch series: CloudWatch matches the exact dimension set."""
    return region, metric, tuple(sorted(dimensions.items()))


def _endpoint_of(params: dict[str, Any]) -> str:
    for key in ("EndpointName", "ResourceArn", "ResourceId", "EndpointConfigName", "ModelName"):
        if key in params:
            value = str(params[key])
            if key == "ResourceId":
                return value.split("/")[1]
            if key in ("EndpointConfigName", "ModelName"):
                return value.rsplit("-", 1)[0]
            return value.rsplit("/", 1)[-1]
    return ""


@st.composite
def nights(draw: st.DrawFn) -> tuple[list[Finding], Any, set[str]]:
    """A night's findings (unique names, no inference components: their waiters need a real
    client), the settings, and the regions whose scan had errors."""
    items = draw(st.lists(findings(), max_size=10, unique_by=lambda f: (f.region, f.name)))
    for finding in items:
        finding.endpoint.components = []
        finding.endpoint.arn = f"arn:aws:sagemaker:{finding.region}:123456789012:endpoint/{finding.name}"
        if draw(st.booleans()):  # make the due, opted-in, judged case common enough to matter
            finding.endpoint.status = finding.status = "InService"
            finding.endpoint.described = True
            finding.endpoint.created = NOW - timedelta(days=90)
            finding.verdict = Verdict.IDLE
            finding.reclaim_tag = draw(st.sampled_from(["delete", "scale-down"]))
            finding.idle_since = NOW.date() - timedelta(days=30)
    config = draw(settings_values).replace(dry_run=draw(st.sampled_from([False, False, False, True])),
                                           ledger=draw(st.sampled_from(["s3://cw-ledger/prod"] * 5 + [None])))
    return items, config, set(draw(st.lists(st.sampled_from(REGIONS), unique=True, max_size=1)))


@QUICK
@given(nights())
def test_reclaim_keeps_every_promise(night):
    items, config, errored = night
    by_key = {(f.region, f.name): (f.verdict, f.reclaim_tag) for f in items}
    aws = FakeAWS(items)
    report = Report(NOW, config.lookback_days, list(REGIONS), config.dry_run, findings=items,
                    errors=[RegionError(region, "cloudwatch:GetMetricData", "partial") for region in errored])
    with tempfile.TemporaryDirectory() as ledger:
        reclaim.apply(items, config.replace(ledger=ledger if config.ledger else None), aws, NOW, report,
                      wait=Wait(0, 1), clock=lambda: NOW + timedelta(minutes=5))

    changed = [(r, op, name) for r, op, name in aws.calls if op in CHANGES_AN_ENDPOINT]
    event(f"destructive actions done: {min(len({(r, n) for r, op, n in changed if op in DESTRUCTIVE_CALLS}), 3)}")
    if config.dry_run:
        assert changed == []
    reclaimed = {(r, name) for r, op, name in changed if op in DESTRUCTIVE_CALLS}
    assert len(reclaimed) <= config.max_actions_per_run
    done = [f for f in items if f.action in DESTRUCTIVE_ACTIONS and f.action_result == "done"]
    assert len(done) <= config.max_actions_per_run and {(f.region, f.name) for f in done} == reclaimed
    for region, operation, name in changed:
        verdict, tag = by_key[(region, name)]
        assert verdict != Verdict.UNKNOWN, (operation, name)
        if operation != "delete_tags":  # removing our own mark needs no opt-in
            assert tag in ("delete", "scale-down"), (operation, name, tag)
            assert region not in errored, (operation, name, region)
    for finding in items:
        if finding.verdict == Verdict.UNKNOWN:
            assert finding.action == Action.NONE
            assert not [c for c in aws.calls if (c[0], c[2]) == (finding.region, finding.name)]
