"""Paging, the call budget, exact metric dimensions, and failures that must yield unknown."""

from __future__ import annotations

import math

import pytest
from botocore.exceptions import ClientError

from cost_watcher.judge.signals import INSTANCE_NAMESPACE
from cost_watcher.model import Verdict
from cost_watcher.sim.account import build_account
from cost_watcher.sim.specs import EndpointSpec, VariantSpec, burst_at, busy

VARIANT_DIMENSIONS = {"EndpointName", "VariantName"}


def fleet(count: int, idle_every: int = 10, region: str = "us-east-1") -> list[EndpointSpec]:
    """`count` endpoints, every `idle_every`-th idle since 20 days, the rest busy within the last day."""
    return [
        EndpointSpec(f"ep-{i:04d}", region, (VariantSpec(traffic=burst_at(20) if i % idle_every == 0 else busy(120)),))
        for i in range(count)
    ]


def build_fleet(clients, specs, now):
    """Two days of history keeps moto quick; idle endpoints then look never invoked, which is still idle."""
    build_account(clients, specs, now, history_days=2)


def captured_queries(clients, region="us-east-1"):
    """Record every GetMetricData query as it is sent."""
    sent = []
    clients.cloudwatch(region).meta.events.register(
        "provide-client-params.cloudwatch.GetMetricData",
        lambda params, **_: sent.extend(params["MetricDataQueries"]),
    )
    return sent


@pytest.mark.parametrize("count", [12, 150])
def test_every_endpoint_is_found_across_pages(clients, scan, now, count):
    build_fleet(clients, fleet(count), now)
    report = scan(regions=("us-east-1",))
    assert sorted(f.name for f in report.findings) == [f"ep-{i:04d}" for i in range(count)]
    assert report.api_calls["sagemaker:ListEndpoints"] == math.ceil(count / 100)
    idle = {f.name for f in report.findings if f.verdict == Verdict.IDLE}
    assert idle == {f"ep-{i:04d}" for i in range(0, count, 10)}


def test_calls_stay_within_budget(clients, scan, now):
    count = 300
    build_fleet(clients, fleet(count), now)
    report = scan(regions=("us-east-1",))
    candidates = sum(1 for f in report.findings if f.endpoint.described)
    # endpoints and their tags 100 a page, metric series and hourly reads 500 a call, two describes a
    # candidate (its config once a config name, its tags from the tagging API's listing) and a few more
    budget = 2 * count / 100 + count / 250 + 2 * candidates + 8
    assert candidates == count // 10
    assert "sagemaker:ListTags" not in report.api_calls
    assert sum(report.api_calls.values()) <= budget, report.api_calls


def test_metric_queries_name_exactly_the_published_dimensions(clients, scan, now):
    build_fleet(clients, fleet(20), now)
    sent = captured_queries(clients)
    scan(regions=("us-east-1",))
    assert sent
    for query in sent:
        metric = query["MetricStat"]["Metric"]
        names = [d["Name"] for d in metric["Dimensions"]]
        assert len(names) == len(set(names))
        if metric["Namespace"] == INSTANCE_NAMESPACE or "VariantName" in names:
            assert set(names) == VARIANT_DIMENSIONS
        else:
            assert names == ["InferenceComponentName"]


def test_queries_are_batched_500_a_call(clients, scan, now):
    build_fleet(clients, fleet(510, idle_every=1000), now)
    batches = []
    clients.cloudwatch("us-east-1").meta.events.register(
        "provide-client-params.cloudwatch.GetMetricData",
        lambda params, **_: batches.append(len(params["MetricDataQueries"])),
    )
    scan(regions=("us-east-1",))
    assert max(batches) <= 500
    # as many as one call may carry: 500 queries, or 100,800 datapoints (the one hourly pass reads the
    # timetable's 14 days, 337 hourly points a series, so 299 a call); the 509 series with invocations
    # are asked (ep-0000 has none, so is not)
    per_call = min(500, 100_800 // 337)
    assert batches[:2] == [per_call, 509 - per_call]


def test_cloudwatch_failure_gives_unknown_never_idle(clients, scan, now):
    build_fleet(clients, fleet(5, idle_every=2), now)

    def refuse(**_):
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not allowed"}}, "GetMetricData")

    clients.cloudwatch("us-east-1").meta.events.register("before-call.cloudwatch.GetMetricData", refuse)
    report = scan(regions=("us-east-1",))
    assert {f.verdict for f in report.findings} == {Verdict.UNKNOWN}
    assert all(f.reclaimable_usd == 0 for f in report.findings)
    assert any(e.operation == "cloudwatch:GetMetricData" and "AccessDenied" in e.message for e in report.errors)


def test_partial_data_status_is_not_silence(clients, scan, now):
    build_fleet(clients, fleet(3, idle_every=1), now)

    def partial(parsed, **_):
        for result in parsed.get("MetricDataResults", []):
            result["StatusCode"] = "PartialData"

    clients.cloudwatch("us-east-1").meta.events.register("after-call.cloudwatch.GetMetricData", partial)
    report = scan(regions=("us-east-1",))
    assert {f.verdict for f in report.findings} == {Verdict.UNKNOWN}


def test_a_failed_region_is_reported_and_the_other_region_still_scanned(clients, scan, now):
    build_fleet(clients, fleet(3, region="us-east-1") + fleet(3, region="eu-west-1"), now)

    def unreachable(**_):
        error = {"Error": {"Code": "UnrecognizedClientException", "Message": "region disabled"}}
        raise ClientError(error, "ListEndpoints")

    clients.sagemaker("eu-west-1").meta.events.register("before-call.sagemaker.ListEndpoints", unreachable)
    report = scan()
    assert {f.region for f in report.findings} == {"us-east-1"}
    assert [(e.region, e.operation) for e in report.errors] == [("eu-west-1", "ListEndpoints")]


def test_empty_account(clients, scan):
    report = scan()
    assert report.findings == [] and report.errors == []
