"""What a Cloud Custodian policy on `sagemaker-endpoint` with a per-variant `metrics` filter costs.

Custodian itself is not installed (it pins its own boto3); this reproduces the calls such a
policy makes, in the order and with the concurrency c7n's code gives them:

- listing: `ListEndpoints` through boto3's paginator at the API's default page (10 on AWS);
- detail: `DescribeEndpoint` per endpoint (the resource's `detail_spec`), in chunks of 20 on 3
  worker threads (`QueryResourceManager.max_workers = 3`, `chunk_size = 20`);
- tags: `ListTags` per endpoint, one after another (`SagemakerEndpoint.augment`);
- the `metrics` filter: one `GetMetricStatistics` per endpoint *and variant* (EndpointName +
  VariantName: CloudWatch matches the exact dimension set, so a filter on EndpointName alone
  reads nothing), one period over the whole window, in chunks of 50 on 3 worker threads
  (`MetricsFilter.process`);
- regions one after another, as `custodian run -r A -r B` runs a policy in each region in turn.

`sample` bounds a run on big accounts as in baseline_scan.py: the listing is complete, the
per-endpoint work is measured on the first `sample` endpoints of each region and scaled.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from baseline_scan import AWS_DEFAULT_PAGE, Sample

DETAIL_WORKERS, DETAIL_CHUNK = 3, 20
METRIC_WORKERS, METRIC_CHUNK = 3, 50


@dataclass
class RegionRun(Sample):
    region: str = ""


@dataclass
class CustodianResult:
    regions: list[RegionRun] = field(default_factory=list)
    idle: dict[str, bool] = field(default_factory=dict)  # endpoint -> no invocations on any variant

    @property
    def estimated(self) -> bool:
        return any(run.estimated for run in self.regions)

    @property
    def projected_calls(self) -> int:
        return sum(run.projected_calls for run in self.regions)

    @property
    def projected_seconds(self) -> float:
        return sum(run.projected_seconds for run in self.regions)


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    iterator = iter(items)
    return [chunk for chunk in iter(lambda: list(islice(iterator, size)), [])]


def custodian_region(session: Any, region: str, lookback_days: int, sample: int | None, end: datetime,
                     idle: dict[str, bool]) -> RegionRun:
    sagemaker = session.client("sagemaker", region_name=region)
    cloudwatch = session.client("cloudwatch", region_name=region)
    began = time.perf_counter()
    resources: list[dict[str, Any]] = []
    list_calls = 0
    for page in sagemaker.get_paginator("list_endpoints").paginate(PaginationConfig={"PageSize": AWS_DEFAULT_PAGE}):
        list_calls += 1
        resources.extend(page["Endpoints"])
    listed = time.perf_counter()
    chosen = resources if sample is None else resources[:sample]

    def describe(chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [sagemaker.describe_endpoint(EndpointName=r["EndpointName"]) for r in chunk]

    with ThreadPoolExecutor(DETAIL_WORKERS) as pool:
        described = [r for chunk in pool.map(describe, _chunks(chosen, DETAIL_CHUNK)) for r in chunk]
    for resource in described:
        resource["Tags"] = sagemaker.list_tags(ResourceArn=resource["EndpointArn"])["Tags"]

    start = end - timedelta(days=lookback_days)

    def metrics(chunk: list[dict[str, Any]]) -> list[tuple[str, float, int]]:
        out = []
        for resource in chunk:
            total, calls = 0.0, 0
            for variant in resource.get("ProductionVariants", []):
                answer = cloudwatch.get_metric_statistics(
                    Namespace="AWS/SageMaker", MetricName="Invocations",
                    Dimensions=[{"Name": "EndpointName", "Value": resource["EndpointName"]},
                                {"Name": "VariantName", "Value": variant["VariantName"]}],
                    StartTime=start, EndTime=end, Period=lookback_days * 86400, Statistics=["Sum"])
                calls += 1
                total += sum(point["Sum"] for point in answer["Datapoints"])
            out.append((resource["EndpointName"], total, calls))
        return out

    with ThreadPoolExecutor(METRIC_WORKERS) as pool:
        read = [row for chunk in pool.map(metrics, _chunks(described, METRIC_CHUNK)) for row in chunk]
    for name, total, _ in read:
        idle[name] = total == 0
    finished = time.perf_counter()
    examine_calls = 2 * len(described) + sum(calls for _, _, calls in read)
    return RegionRun(endpoints=len(resources), examined=len(chosen), list_calls=list_calls,
                     examine_calls=examine_calls, list_seconds=listed - began, examine_seconds=finished - listed,
                     region=region)


def custodian_scan(session: Any, regions: list[str], lookback_days: int = 7, sample: int | None = None,
                   now: datetime | None = None) -> CustodianResult:
    """Run the policy in each region in turn; `session` is a plain boto3 session."""
    end = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    result = CustodianResult()
    for region in regions:
        result.regions.append(custodian_region(session, region, lookback_days, sample, end, result.idle))
    return result
