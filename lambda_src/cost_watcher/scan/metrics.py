"""CloudWatch reads: which series exist (ListMetrics) and their values (GetMetricData, batched).

CloudWatch matches the exact dimension set, so every query names exactly the dimensions
SageMaker publishes: EndpointName + VariantName for a variant, InferenceComponentName for
an inference component. A series with no data is an answer (never invoked), not an error.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cost_watcher.errors import describe_error
from cost_watcher.judge.signals import INVOCATIONS, INVOCATIONS_NAMESPACE
from cost_watcher.model import Usage

MAX_QUERIES_PER_CALL = 500
MAX_DATAPOINTS_PER_CALL = 100_800


@dataclass(frozen=True)
class Query:
    """One series to read: namespace, metric, exact dimensions, statistic and period."""

    namespace: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str
    period: int

    def to_api(self, query_id: str) -> dict[str, Any]:
        return {
            "Id": query_id,
            "MetricStat": {
                "Metric": {
                    "Namespace": self.namespace,
                    "MetricName": self.metric,
                    "Dimensions": [{"Name": name, "Value": value} for name, value in self.dimensions],
                },
                "Period": self.period,
                "Stat": self.stat,
            },
            "ReturnData": True,
        }


def variant_query(
    metric: str, endpoint: str, variant: str, stat: str, period: int, namespace: str = INVOCATIONS_NAMESPACE
) -> Query:
    return Query(namespace, metric, (("EndpointName", endpoint), ("VariantName", variant)), stat, period)


def component_query(component: str, stat: str, period: int) -> Query:
    return Query(INVOCATIONS_NAMESPACE, INVOCATIONS, (("InferenceComponentName", component),), stat, period)


def endpoint_query(metric: str, endpoint: str, stat: str, period: int) -> Query:
    """A series SageMaker publishes with EndpointName alone (the async queue)."""
    return Query(INVOCATIONS_NAMESPACE, metric, (("EndpointName", endpoint),), stat, period)


Points = list[tuple[datetime, float]]


def list_series(cloudwatch: Any, namespace: str, metric: str) -> set[tuple[tuple[str, str], ...]]:
    """Dimension sets of every series with data in the last 14 days (what ListMetrics covers).

    Returned as sorted tuples and de-duplicated: the API may list a series twice.
    """
    found: set[tuple[tuple[str, str], ...]] = set()
    for page in cloudwatch.get_paginator("list_metrics").paginate(Namespace=namespace, MetricName=metric):
        for item in page.get("Metrics", []):
            found.add(tuple(sorted((d["Name"], d["Value"]) for d in item.get("Dimensions", []))))
    return found


def variants_by_endpoint(series: Iterable[tuple[tuple[str, str], ...]]) -> dict[str, set[str]]:
    """Keep only series with exactly EndpointName + VariantName; map endpoint -> variants."""
    found: dict[str, set[str]] = {}
    for dims in series:
        names = dict(dims)
        if set(names) == {"EndpointName", "VariantName"}:
            found.setdefault(names["EndpointName"], set()).add(names["VariantName"])
    return found


def batches(queries: Sequence[Query], start: datetime, end: datetime) -> Iterator[Sequence[Query]]:
    """Split so each call stays within 500 queries and CloudWatch's 100,800 datapoints."""
    shortest = min((q.period for q in queries), default=3600)
    points_per_query = max(1, math.ceil((end - start).total_seconds() / shortest))
    size = max(1, min(MAX_QUERIES_PER_CALL, MAX_DATAPOINTS_PER_CALL // points_per_query))
    for index in range(0, len(queries), size):
        yield queries[index : index + size]


def fetch(
    cloudwatch: Any, queries: Sequence[Query], start: datetime, end: datetime, pool: Executor | None = None
) -> tuple[dict[Query, Points], dict[Query, str]]:
    """Read every query's datapoints between start and end (the calls in `pool` at once, if given).

    Returns (points by query, error by query). A call that fails leaves its queries in the
    error map; a series whose status stays partial after all pages is an error too, so
    the caller never mistakes an incomplete answer for silence.
    """
    unique = list(dict.fromkeys(queries))
    points: dict[Query, Points] = {}
    errors: dict[Query, str] = {}
    chunks = list(batches(unique, start, end))
    if pool is not None and len(chunks) > 1:
        answers = list(pool.map(lambda batch: _fetch_batch(cloudwatch, batch, start, end), chunks))
    else:
        answers = [_fetch_batch(cloudwatch, batch, start, end) for batch in chunks]
    for batch_points, batch_errors in answers:
        points.update(batch_points)
        errors.update(batch_errors)
    return points, errors


def _fetch_batch(
    cloudwatch: Any, batch: Sequence[Query], start: datetime, end: datetime
) -> tuple[dict[Query, Points], dict[Query, str]]:
    ids = {f"q{index}": query for index, query in enumerate(batch)}
    collected: dict[str, Points] = {query_id: [] for query_id in ids}
    status: dict[str, str] = {}
    points: dict[Query, Points] = {}
    errors: dict[Query, str] = {}
    try:
        for page in _pages(cloudwatch, ids, start, end):
            for result in page.get("MetricDataResults", []):
                collected[result["Id"]].extend(
                    zip(result.get("Timestamps", []), result.get("Values", []), strict=False)
                )
                status[result["Id"]] = result.get("StatusCode", "Complete")
    except Exception as error:  # noqa: BLE001 - any failure makes these series unknown
        return {}, {query: f"GetMetricData failed: {describe_error(error)}" for query in batch}
    for query_id, query in ids.items():
        code = status.get(query_id)
        if code is None:
            errors[query] = "GetMetricData returned no result for this series"
        elif code != "Complete":
            errors[query] = f"GetMetricData returned status {code}"
        else:
            points[query] = collected[query_id]
    return points, errors


def _pages(cloudwatch: Any, ids: dict[str, Query], start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
    request = {
        "MetricDataQueries": [query.to_api(query_id) for query_id, query in ids.items()],
        "StartTime": start,
        "EndTime": end,
        "ScanBy": "TimestampDescending",
    }
    yield from cloudwatch.get_paginator("get_metric_data").paginate(**request)


def summarize(hourly: Points, daily: Points = (), utilization: Points = ()) -> Usage:
    """Condense one series' datapoints into the figures scoring needs."""
    busy = [(stamp, value) for stamp, value in hourly if value > 0]
    used_days = [stamp for stamp, value in daily if value > 0]
    last_seen = [stamp for stamp, _ in busy] + used_days
    return Usage(
        invocations=sum(value for _, value in busy),
        active_hours=len({stamp for stamp, _ in busy}),
        peak_hourly=max((value for _, value in busy), default=0.0),
        last_invocation=max(last_seen, default=None),
        max_utilization_pct=max((value for _, value in utilization), default=None),
    )
