"""moto's CloudWatch as AWS answers it: one sorted series per (namespace, metric, exact dimensions).

Why: moto keeps every datapoint in one list, rescans it once per period of every
GetMetricData query, and ListMetrics repeats a series per datapoint; at thousands of
endpoints that is hours of CPU per scan. Here a query costs a binary search.

AWS's rules, not moto's laxer ones: GetMetricData and GetMetricStatistics match the exact
dimension set (EndpointName alone finds nothing of a series published with
EndpointName+VariantName); ListMetrics lists each series once, 500 a page, only if it has
data from the last 14 days. Metric math is refused with a clear error, not answered wrongly.
Part of the one fidelity layer: install it through moto_fidelity.make_moto_behave_like_aws().
"""

from __future__ import annotations

import math
import threading
import time
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from moto.cloudwatch.exceptions import InvalidParameterValue, ValidationError
from moto.cloudwatch.models import CloudWatchBackend

LIST_METRICS_PAGE = 500
LIST_METRICS_RECENT_S = 14 * 86400  # ListMetrics only shows series with data in the last 14 days
SeriesKey = tuple[str, str, frozenset[tuple[str, str]]]


def to_epoch(value: Any) -> float:
    """Seconds since the epoch from a datetime (naive means UTC), an ISO string or a number."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return to_epoch(datetime.fromisoformat(value.replace("Z", "+00:00")))
    raise InvalidParameterValue(f"Timestamp {value!r} is not a date")


def _dims(dimensions: Iterable[dict[str, str]] | None) -> frozenset[tuple[str, str]]:
    return frozenset((d["Name"], d["Value"]) for d in dimensions or ())


class Series:
    """One metric series: timestamps and values, sorted lazily on first read."""

    __slots__ = ("_lock", "_sorted", "newest", "stamps", "values")

    def __init__(self) -> None:
        self.stamps = array("d")
        self.values = array("d")
        self.newest = -math.inf
        self._sorted = True
        self._lock = threading.Lock()

    def add(self, stamp: float, value: float) -> None:
        if self.stamps and stamp < self.stamps[-1]:
            self._sorted = False
        self.newest = max(self.newest, stamp)
        self.stamps.append(stamp)
        self.values.append(value)

    def window(self, start: float, end: float) -> tuple[Sequence[float], Sequence[float]]:
        """Points with start <= t < end, as parallel sequences."""
        with self._lock:
            if not self._sorted:
                order = sorted(range(len(self.stamps)), key=self.stamps.__getitem__)
                self.stamps = array("d", (self.stamps[i] for i in order))
                self.values = array("d", (self.values[i] for i in order))
                self._sorted = True
            low, high = bisect_left(self.stamps, start), bisect_left(self.stamps, end)
            return self.stamps[low:high], self.values[low:high]


def statistic(stat: str, values: Sequence[float]) -> float:
    """Sum, Average, Minimum, Maximum, SampleCount or pNN of the raw values in one period."""
    if stat == "Sum":
        return float(sum(values))
    if stat == "Average":
        return float(sum(values)) / len(values)
    if stat == "Minimum":
        return float(min(values))
    if stat == "Maximum":
        return float(max(values))
    if stat == "SampleCount":
        return float(len(values))
    if stat.startswith("p"):
        try:
            rank = float(stat[1:]) / 100
        except ValueError:
            rank = -1.0
        if 0 <= rank <= 1:
            ordered = sorted(values)
            return float(ordered[max(0, math.ceil(rank * len(ordered)) - 1)])
    raise InvalidParameterValue(f"Statistic {stat!r} is not supported by the simulated metric store; "
                                "use Sum, Average, Minimum, Maximum, SampleCount or pNN")


def aggregate(stamps: Sequence[float], values: Sequence[float], start: float, period: int,
              stat: str) -> list[tuple[float, float]]:
    """Bucket points into periods counted from `start` (as moto does) and reduce each bucket."""
    buckets: dict[int, list[float]] = {}
    for stamp, value in zip(stamps, values, strict=True):
        buckets.setdefault(int((stamp - start) // period), []).append(value)
    return [(start + index * period, statistic(stat, bucket)) for index, bucket in sorted(buckets.items())]


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


class MetricIndex:
    """All series of one backend (account + region)."""

    def __init__(self) -> None:
        self.series: dict[SeriesKey, Series] = {}
        self.order: list[SeriesKey] = []  # first-seen order, as ListMetrics pages it

    def add(self, namespace: str, metric: str, dims: frozenset[tuple[str, str]], stamp: float, value: float) -> None:
        key = (namespace, metric, dims)
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = Series()
            self.order.append(key)
        series.add(stamp, value)

    def query(self, namespace: str, metric: str, dims: frozenset[tuple[str, str]], start: float, end: float,
              period: int, stat: str) -> list[tuple[float, float]]:
        series = self.series.get((namespace, metric, dims))
        if series is None:
            return []
        stamps, values = series.window(start, end)
        return aggregate(stamps, values, start, period, stat)

    def matching(self, namespace: str | None, metric: str | None,
                 wanted: Sequence[tuple[str, str | None]]) -> list[SeriesKey]:
        """Series ListMetrics would list: with data in the last two weeks and the wanted dimensions."""
        recent = time.time() - LIST_METRICS_RECENT_S
        found = []
        for key in self.order:
            key_namespace, key_metric, dims = key
            if (namespace and key_namespace != namespace) or (metric and key_metric != metric):
                continue
            if self.series[key].newest < recent:
                continue
            names = dict(dims)
            if all(name in names and (value is None or names[name] == value) for name, value in wanted):
                found.append(key)
        return found


def _index(backend: CloudWatchBackend) -> MetricIndex:
    index = backend.__dict__.get("_simulated_index")
    if index is None:
        index = backend.__dict__.setdefault("_simulated_index", MetricIndex())
    return index


# --- the replacement backend methods ----------------------------------------------------------

def put_metric_data(self: CloudWatchBackend, namespace: str, metric_data: list[dict[str, Any]]) -> None:
    for number, metric in enumerate(metric_data, start=1):
        self._validate_parameters_put_metric_data(metric, number)
    index = _index(self)
    for metric in metric_data:
        if metric.get("StatisticValues"):
            raise InvalidParameterValue("StatisticValues is not supported by the simulated metric store")
        dims = _dims(metric.get("Dimensions"))
        stamp = to_epoch(metric.get("Timestamp") or datetime.now(UTC))
        values = metric.get("Values") or [metric.get("Value", 0)]
        counts = metric.get("Counts") or [1] * len(values)
        for value, count in zip(values, counts, strict=True):
            for _ in range(int(float(count))):
                index.add(namespace, metric["MetricName"], dims, stamp, float(value))


def get_metric_data(self: CloudWatchBackend, queries: list[dict[str, Any]], start_time: datetime,
                    end_time: datetime, scan_by: str = "TimestampAscending") -> list[dict[str, Any]]:
    start, end = math.floor(to_epoch(start_time)), math.floor(to_epoch(end_time))
    if start >= end:
        raise ValidationError("The parameter StartTime must be less than the parameter EndTime.")
    index = _index(self)
    results = []
    for query in queries:
        stat_spec = query.get("MetricStat")
        if stat_spec is None:
            raise ValidationError("The simulated metric store answers MetricStat queries only, "
                                  f"not expressions (query {query.get('Id')!r})")
        metric = stat_spec["Metric"]
        points = index.query(metric["Namespace"], metric["MetricName"], _dims(metric.get("Dimensions")),
                             start, end, int(stat_spec["Period"]), stat_spec["Stat"])
        if scan_by == "TimestampDescending":
            points.reverse()
        if query.get("ReturnData", True):
            results.append({
                "id": query["Id"],
                "label": query.get("Label") or f"{metric['MetricName']} {stat_spec['Stat']}",
                "values": [value for _, value in points],
                "timestamps": [_utc(stamp) for stamp, _ in points],
                "status_code": "Complete",
            })
    return results


def get_metric_statistics(self: CloudWatchBackend, namespace: str, metric_name: str, start_time: datetime,
                          end_time: datetime, period: int, stats: list[str], dimensions: list[dict[str, str]],
                          unit: str | None = None) -> list[dict[str, Any]]:
    start, end = math.floor(to_epoch(start_time)), math.floor(to_epoch(end_time))
    if start >= end:
        raise InvalidParameterValue("The parameter StartTime must be less than the parameter EndTime.")
    series = _index(self).series.get((namespace, metric_name, _dims(dimensions)))
    if series is None:
        return []
    stamps, values = series.window(start, end)
    by_stat = {stat: dict(aggregate(stamps, values, start, period, stat)) for stat in stats}
    first = by_stat[stats[0]] if stats else {}
    return [
        {"Timestamp": _utc(stamp), **{stat: by_stat[stat][stamp] for stat in stats}, "Unit": unit or "None"}
        for stamp in sorted(first)
    ]


def list_metrics(self: CloudWatchBackend, next_token: str | None, namespace: str, metric_name: str,
                 dimensions: list[dict[str, str]]) -> tuple[str | None, list[dict[str, Any]]]:
    wanted = [(d["Name"], d.get("Value")) for d in dimensions or ()]
    keys = _index(self).matching(namespace, metric_name, wanted)
    try:
        offset = int(next_token or 0)
    except ValueError:
        raise InvalidParameterValue("Request parameter NextToken is invalid") from None
    page = keys[offset:offset + LIST_METRICS_PAGE]
    following = offset + LIST_METRICS_PAGE
    metrics = [
        {"Namespace": ns, "MetricName": name, "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(dims)]}
        for ns, name, dims in page
    ]
    return (str(following) if following < len(keys) else None), metrics


_REPLACEMENTS = {
    "put_metric_data": put_metric_data,
    "get_metric_data": get_metric_data,
    "get_metric_statistics": get_metric_statistics,
    "list_metrics": list_metrics,
}


def install() -> None:
    """Use the indexed store for every CloudWatch backend in this process (idempotent)."""
    for name, replacement in _REPLACEMENTS.items():
        setattr(CloudWatchBackend, name, replacement)
