"""What one region's scan reads about each endpoint's traffic, and what it makes of it.

The hourly queries every judged endpoint gets, the test that makes an endpoint a candidate
for describing, the detail queries a described candidate gets, and the grouping of series
into an EndpointUsage. Pure: the queries are sent by scan/region.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cost_watcher.judge.pricing import is_accelerated
from cost_watcher.judge.signals import INVOCATIONS
from cost_watcher.model import Endpoint, EndpointUsage
from cost_watcher.scan import metrics, series
from cost_watcher.scan.metrics import Query
from cost_watcher.settings import Settings

HOUR, DAY = 3600, 86400


def hourly_queries(endpoint: Endpoint, variants: set[str]) -> list[Query]:
    queries = [metrics.variant_query(INVOCATIONS, endpoint.name, v, "Sum", HOUR) for v in sorted(variants)]
    queries += [metrics.component_query(c.name, "Sum", HOUR) for c in endpoint.components]
    return queries


def surely_candidate(endpoint: Endpoint, known: dict[str, set[str]], invoked: dict[str, set[str]]) -> bool:
    """No series listed for any of its variants, or a variant with no invocations in 14 days (ListMetrics
    lists only series with data in the last two weeks): a variant without traffic makes it a candidate
    whatever the hourly pass says, so its describe can start before that pass is read."""
    return endpoint.name not in known or bool(known[endpoint.name] - invoked.get(endpoint.name, set()))


def needs_describe(endpoint: Endpoint, queries: list[Query], points: dict, failed: dict, settings: Settings,
                   known: dict[str, set[str]], invoked: dict[str, set[str]]) -> bool:
    """Describe when a verdict may need config, cost or tags: little or no traffic somewhere."""
    if not queries or surely_candidate(endpoint, known, invoked) or any(q in failed for q in queries):
        return True
    totals = [sum(value for _, value in points.get(q, [])) for q in queries]
    if any(total == 0 for total in totals):
        return True
    return sum(totals) / settings.lookback_days < settings.underused_max_daily_invocations


def detail_queries(endpoint: Endpoint, listed_variants: set[str]) -> list[Query]:
    """For a described candidate, everything its verdict reads: its kind's signal hourly over the
    window (variants CloudWatch lists but the config no longer has included: replaced ones still
    count), and in one daily pass over last_used_days the same signal (last use) and peak CPU/GPU
    utilisation of billed variants (kept for the lookback window only)."""
    retired = sorted(listed_variants - {v.name for v in endpoint.variants})
    queries = series.work_queries(endpoint, HOUR, retired) + series.work_queries(endpoint, DAY, retired)
    for variant in endpoint.variants:
        if variant.billed_instances:
            queries.append(series.utilization_query("CPUUtilization", endpoint.name, variant.name, DAY))
            if is_accelerated(variant.instance_type or ""):
                queries.append(series.utilization_query("GPUUtilization", endpoint.name, variant.name, DAY))
    return queries


def endpoint_usage(
    queries: list[Query], points: dict, daily: dict, failed: dict, window_start: datetime
) -> EndpointUsage:
    """Group an endpoint's series by variant or component and summarise each; the async queue
    counts hours with requests waiting; utilisation comes from the daily pass and counts only
    days that overlap the lookback window."""
    broken = [q for q in queries if q in failed]
    if broken:
        return EndpointUsage(error=failed[broken[0]])
    usage = EndpointUsage()
    grouped: dict[str, dict[str, list]] = {}
    first_day = floor(window_start, DAY)
    for query in queries:
        role, owner = series.role_of(query)
        slot = grouped.setdefault(owner, {"hourly": [], "daily": [], "util": []})
        if role == "utilization":
            slot["util"].extend(p for p in daily.get(query, []) if p[0] >= first_day)
        elif query.period == DAY:
            slot["daily"].extend(daily.get(query, []))
        else:
            slot["hourly"].extend(points.get(query, []))
    for owner, slot in grouped.items():
        summary = metrics.summarize(slot["hourly"], slot["daily"], slot["util"])
        kind, _, name = owner.partition(":")
        if kind == "endpoint":  # the queue: waiting requests are work, but not invocations
            summary.invocations = summary.peak_hourly = 0.0
            usage.queue = summary
        else:
            (usage.components if kind == "component" else usage.variants)[name] = summary
    return usage


def floor(moment: datetime, seconds: int) -> datetime:
    return datetime.fromtimestamp(moment.timestamp() // seconds * seconds, tz=UTC)
