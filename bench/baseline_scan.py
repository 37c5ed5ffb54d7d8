"""The per-endpoint scan simple idle-endpoint tools do, as the yardstick for ours.

List every endpoint (AWS's default page of 10), then for each one, one after another:
DescribeEndpoint, ListTags and one GetMetricStatistics per variant (exact
EndpointName+VariantName, hourly Sum over the lookback). This is the AWS blog script's
shape made correct (it paginates and sees never-invoked endpoints), not a straw man.

`sample` bounds a run on big accounts: the listing is always complete, but only the first
`sample` endpoints are examined and the per-endpoint cost is extrapolated to the rest.
The loop is sequential, so its time grows linearly and the estimate is sound; the report
marks it as an estimate.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

AWS_DEFAULT_PAGE = 10  # ListEndpoints' default MaxResults on AWS (moto defaults to 100)


@dataclass
class Sample:
    """A scan measured on a sample of the endpoints and scaled to all of them: listing as made,
    examining in proportion (shared with custodian_baseline.py)."""

    endpoints: int
    examined: int
    list_calls: int
    examine_calls: int
    list_seconds: float
    examine_seconds: float

    @property
    def estimated(self) -> bool:
        return self.examined < self.endpoints

    @property
    def scale(self) -> float:
        return self.endpoints / self.examined if self.examined else 0.0

    @property
    def projected_calls(self) -> int:
        """All calls for the whole account: listing as made, examining scaled to every endpoint."""
        return self.list_calls + round(self.examine_calls * self.scale)

    @property
    def projected_seconds(self) -> float:
        return self.list_seconds + self.examine_seconds * self.scale


@dataclass
class BaselineResult(Sample):
    idle: dict[str, bool] = field(default_factory=dict)  # endpoint -> no invocations in the window


def baseline_scan(sagemaker: Any, cloudwatch: Any, lookback_days: int = 7, sample: int | None = None,
                  now: datetime | None = None) -> BaselineResult:
    """Run the per-endpoint scan; `sagemaker` and `cloudwatch` are plain boto3 clients."""
    end = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=lookback_days)
    list_calls = examine_calls = 0

    began = time.perf_counter()
    names: list[str] = []
    pages = sagemaker.get_paginator("list_endpoints").paginate(PaginationConfig={"PageSize": AWS_DEFAULT_PAGE})
    for page in pages:
        list_calls += 1
        names.extend(item["EndpointName"] for item in page["Endpoints"])
    listed = time.perf_counter()

    chosen = names if sample is None else names[:sample]
    idle: dict[str, bool] = {}
    for name in chosen:
        described = sagemaker.describe_endpoint(EndpointName=name)
        sagemaker.list_tags(ResourceArn=described["EndpointArn"])
        examine_calls += 2
        total = 0.0
        for variant in described.get("ProductionVariants", []):
            answer = cloudwatch.get_metric_statistics(
                Namespace="AWS/SageMaker", MetricName="Invocations",
                Dimensions=[{"Name": "EndpointName", "Value": name},
                            {"Name": "VariantName", "Value": variant["VariantName"]}],
                StartTime=start, EndTime=end, Period=3600, Statistics=["Sum"],
            )
            examine_calls += 1
            total += sum(point["Sum"] for point in answer["Datapoints"])
        idle[name] = total == 0
    finished = time.perf_counter()
    return BaselineResult(endpoints=len(names), examined=len(chosen), list_calls=list_calls,
                          examine_calls=examine_calls,
                          list_seconds=listed - began, examine_seconds=finished - listed, idle=idle)
