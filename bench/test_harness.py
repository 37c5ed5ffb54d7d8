"""Checks of the benchmark's own parts: `.venv/bin/pytest bench/test_harness.py` (about 10 s).

Not in the main suite (pytest's testpaths is tests/): they guard the yardstick, not the
product. They pin what would silently skew the figures: counting, the latency floor,
AWS's exact-dimension matching, ListMetrics' 14-day horizon, the plan's mix, the budget.
"""

from __future__ import annotations

import io
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import figures
import scan_bench
from baseline_scan import BaselineResult
from latency_server import CountingLatencyApp, LatencyServer, operation_of, service_of
from seed_account import CANDIDATE_KINDS, kind_counts, plan_account

from cost_watcher.sim.moto_fidelity import make_moto_behave_like_aws

AUTH = ("AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{}/aws4_request, "
        "SignedHeaders=host, Signature=abc")


@pytest.fixture(scope="module")
def server():
    os.environ.update(scan_bench.FAKE_CREDENTIALS)
    make_moto_behave_like_aws()
    scan_bench.reset_moto()
    with LatencyServer(latency_s=0.0) as running:
        yield running
    scan_bench.reset_moto()


@pytest.fixture
def cloudwatch(server):
    import boto3
    from botocore.config import Config

    # moto's server decompresses a gzipped PutMetricData body twice; the benchmark seeds in-process.
    return boto3.session.Session(region_name="us-east-1").client(
        "cloudwatch", endpoint_url=server.url, config=Config(disable_request_compression=True))


# --- counting and latency ----------------------------------------------------------------------

@pytest.mark.parametrize(("environ", "body", "expected"), [
    ({"HTTP_X_AMZ_TARGET": "SageMaker.ListEndpoints"}, b"", "ListEndpoints"),
    ({"PATH_INFO": "/service/GraniteServiceVersion20100801/operation/GetMetricData"}, b"", "GetMetricData"),
    ({"CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8"}, b"Action=ListMetrics&Version=1",
     "ListMetrics"),
    ({"QUERY_STRING": "Action=Publish"}, b"", "Publish"),
    ({}, b"", "unknown"),
])
def test_operation_is_read_from_every_protocol(environ, body, expected):
    assert operation_of(environ, body) == expected


def test_service_comes_from_the_credential_scope_with_boto3_names():
    assert service_of({"HTTP_AUTHORIZATION": AUTH.format("monitoring")}) == "cloudwatch"
    assert service_of({"HTTP_AUTHORIZATION": AUTH.format("sagemaker")}) == "sagemaker"
    assert service_of({}) == "unknown"


def test_wrapper_counts_hands_the_body_on_and_takes_at_least_the_latency():
    seen = {}

    def inner(environ, start_response):
        seen["body"] = environ["wsgi.input"].read()
        start_response("200 OK", [])
        return [b"ok"]

    app = CountingLatencyApp(inner, latency_s=0.05)
    environ = {"CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": "17",
               "wsgi.input": io.BytesIO(b"Action=ListTopics"), "HTTP_AUTHORIZATION": AUTH.format("sns")}
    began = time.perf_counter()
    assert app(environ, lambda *_: None) == [b"ok"]
    assert time.perf_counter() - began >= 0.05
    assert seen["body"] == b"Action=ListTopics"
    assert app.snapshot() == {"sns:ListTopics": 1}
    app.reset()
    assert app.snapshot() == {}


def test_slow_handling_is_not_added_to_the_latency():
    def slow(environ, start_response):
        time.sleep(0.06)
        start_response("200 OK", [])
        return [b""]

    app = CountingLatencyApp(slow, latency_s=0.05)
    began = time.perf_counter()
    app({"HTTP_X_AMZ_TARGET": "X.Y"}, lambda *_: None)
    assert 0.06 <= time.perf_counter() - began < 0.1


# --- the metric store answers as AWS does ---------------------------------------------------------

def _dims(endpoint, variant=None):
    dims = [{"Name": "EndpointName", "Value": endpoint}]
    return dims + ([{"Name": "VariantName", "Value": variant}] if variant else [])


def _query(query_id, dims, period=3600, stat="Sum"):
    return {"Id": query_id, "MetricStat": {"Metric": {"Namespace": "AWS/SageMaker", "MetricName": "Invocations",
                                                      "Dimensions": dims}, "Period": period, "Stat": stat}}


def test_metric_queries_match_the_exact_dimension_set(cloudwatch):
    top = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    cloudwatch.put_metric_data(Namespace="AWS/SageMaker", MetricData=[
        {"MetricName": "Invocations", "Dimensions": _dims("exact", "AllTraffic"), "Value": float(hours),
         "Timestamp": top - timedelta(hours=hours)} for hours in (1, 2, 3)])
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[_query("both", _dims("exact", "AllTraffic")), _query("alone", _dims("exact")),
                           _query("daily", _dims("exact", "AllTraffic"), period=86400, stat="Maximum")],
        StartTime=top - timedelta(hours=5), EndTime=top, ScanBy="TimestampAscending")
    results = {result["Id"]: result["Values"] for result in answer["MetricDataResults"]}
    assert results == {"both": [3.0, 2.0, 1.0], "alone": [], "daily": [3.0]}
    stats = cloudwatch.get_metric_statistics(Namespace="AWS/SageMaker", MetricName="Invocations",
                                             Dimensions=_dims("exact"), StartTime=top - timedelta(hours=5),
                                             EndTime=top, Period=3600, Statistics=["Sum"])
    assert stats["Datapoints"] == []


def test_list_metrics_lists_each_recent_series_once_and_pages_at_500(cloudwatch):
    now = datetime.now(UTC)
    data = [{"MetricName": "Invocations", "Dimensions": _dims(f"page-{i:03d}", "AllTraffic"), "Value": 1.0,
             "Timestamp": now - timedelta(hours=hours)} for i in range(520) for hours in (1, 2)]
    data.append({"MetricName": "Invocations", "Dimensions": _dims("old", "AllTraffic"), "Value": 1.0,
                 "Timestamp": now - timedelta(days=20)})
    for start in range(0, len(data), 1000):
        cloudwatch.put_metric_data(Namespace="Bench/Paging", MetricData=data[start:start + 1000])
    pages = list(cloudwatch.get_paginator("list_metrics").paginate(Namespace="Bench/Paging"))
    names = [dict((d["Name"], d["Value"]) for d in m["Dimensions"])["EndpointName"]
             for page in pages for m in page["Metrics"]]
    assert [len(page["Metrics"]) for page in pages] == [500, 20]
    assert len(names) == len(set(names)) == 520
    assert "old" not in names


def test_moto_fidelity_answers_like_aws(server):
    import boto3

    session = boto3.session.Session(region_name="us-east-1")
    assert session.client("sagemaker", endpoint_url=server.url).list_inference_components()[
        "InferenceComponents"] == []
    autoscaling = session.client("application-autoscaling", endpoint_url=server.url)
    for index in range(120):
        autoscaling.register_scalable_target(
            ServiceNamespace="sagemaker", ResourceId=f"endpoint/e{index}/variant/AllTraffic",
            ScalableDimension="sagemaker:variant:DesiredInstanceCount", MinCapacity=1, MaxCapacity=2)
    pages = list(autoscaling.get_paginator("describe_scalable_targets").paginate(ServiceNamespace="sagemaker"))
    assert [len(page["ScalableTargets"]) for page in pages] == [50, 50, 20]


# --- the plan, the baseline's projection, the budget --------------------------------------------

def test_plan_is_deterministic_with_the_documented_mix():
    plans = plan_account(1000)
    assert plans == plan_account(1000)
    assert len({plan.name for plan in plans}) == 1000
    counts = kind_counts(1000)
    assert sum(counts.values()) == 1000
    idle = sum(counts[kind] for kind in ("idle-never", "idle-quiet", "idle-stale"))
    assert idle == 100
    assert sum(plan.candidate for plan in plans) == sum(counts[kind] for kind in CANDIDATE_KINDS)
    assert all(plan.age_days < 7 for plan in plans if plan.kind == "too-new")


def test_baseline_projection_scales_only_the_per_endpoint_part():
    result = BaselineResult(endpoints=5000, examined=1000, list_calls=500, examine_calls=3050,
                            list_seconds=25.0, examine_seconds=160.0)
    assert result.estimated
    assert result.projected_calls == 500 + 3050 * 5
    assert result.projected_seconds == pytest.approx(25.0 + 160.0 * 5)


def test_budget_and_flags():
    assert scan_bench.call_budget(1000, 140, 10) == 2 * 10 + 3 * 2 + 2 * 140 + 6 + 10
    assert scan_bench.call_budget(150, 0, 0) == 2 * 2 + 3 * 1
    assert scan_bench.call_budget(320, 44, 10, regions=2) == 2 * (2 * 2 + 3 + 2 * 22 + 1 + 10)
    assert scan_bench.parse_sizes("100, 1_000,100") == (100, 1000)
    assert figures.parse_scenarios("320x2,1000") == (figures.Scenario(320, 2), figures.Scenario(1000, 1))
    for bad in ("", "ten", "5", "100,999999", "320x9", "320xtwo"):
        with pytest.raises(scan_bench.UsageError, match="--sizes"):
            scan_bench.parse_sizes(bad)
    assert scan_bench.main(["--latency-ms", "-1"]) == 2
    assert scan_bench.main(["--memory-mb", "64"]) == 2


def test_false_positives_and_negatives_are_counted_against_the_planted_kinds():
    by_kind = {"busy": {"active": 9, "idle": 1}, "idle-never": {"idle": 3, "unknown": 1},
               "idle-stale": {"idle": 2}, "low": {"underused": 2, "missing": 1}}
    assert figures.verdict_errors(by_kind) == (1, 2)
    assert figures.verdict_errors({"busy": {"active": 5}, "idle-quiet": {"idle": 2}}) == (0, 0)


def test_the_critical_path_follows_what_each_phase_waited_for():
    def phase(name, start, end, *after):
        return {"region": "r", "phase": name, "start_s": start, "end_s": end, "after": list(after)}

    phases = [phase("endpoints", 0, 0.6), phase("series", 0.1, 0.2), phase("tags", 0.1, 0.9),
              phase("hourly", 0.2, 1.5, "series"), phase("describes", 1.5, 2.4, "hourly", "tags", "endpoints"),
              phase("judge", 2.4, 2.5, "describes", "tags")]
    assert [p["phase"] for p in figures.critical_path(phases)] == ["series", "hourly", "describes", "judge"]
    assert figures.critical_path([]) == []
    lines = figures.phase_lines(phases)
    assert lines[0].startswith("r: 2,500 ms") and sum(line.lstrip().startswith("*") for line in lines) == 4


def test_issue_15_targets_are_checked_where_they_apply():
    ok = {"endpoints": 320, "regions": 2, "label": "320 over 2 regions", "custodian_speedup": 12.5,
          "scan": {"calls": 150, "wall_s": 2.0}, "false_positives": 0, "false_negatives": 0}
    assert figures.targets([ok], 2048) == []
    slow = {**ok, "custodian_speedup": 11.0, "scan": {"calls": 161, "wall_s": 2.0}}
    assert len(figures.targets([slow], 2048)) == 2
    big = {"endpoints": 10_000, "regions": 1, "label": "10,000", "scan": {"wall_s": 61.0, "peak_rss_mib": 600}}
    assert len(figures.targets([big], 2048)) == 2 and figures.targets([big], 4096) != []
