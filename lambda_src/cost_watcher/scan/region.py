"""One region's scan: list, read the signal, describe only what a verdict needs, judge.

Per region: list endpoints and inference components, discover which metric series exist,
read one batch of hourly invocations, and describe only the endpoints whose traffic is low
enough that a verdict needs their configuration, cost or tags ("candidates"). Busy
endpoints cost no per-endpoint call at all. A failure is reported for the region and never
raised; in Lambda a region whose scan runs into the last minute before the time limit is
given up the same way, so the report and digest still go out.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cost_watcher.aws import AwsClients
from cost_watcher.errors import TimeLimit, describe_error, is_not_found
from cost_watcher.judge import signals
from cost_watcher.judge.pricing import is_accelerated
from cost_watcher.judge.scoring import judge
from cost_watcher.judge.signals import INSTANCE_NAMESPACE, INVOCATIONS, INVOCATIONS_NAMESPACE
from cost_watcher.judge.tags import parse_tags
from cost_watcher.judge.window import Window
from cost_watcher.model import Endpoint, EndpointUsage, Finding, RegionError, variant_resource_id
from cost_watcher.scan import hourly, inventory, metrics, opinion, series
from cost_watcher.scan.metrics import Query
from cost_watcher.scan.prices import PriceBook
from cost_watcher.settings import Settings

Progress = Callable[[str], None]
HOUR, DAY = 3600, 86400



@dataclass(frozen=True)
class Budget:
    """When the scan must stop (None: no limit, as on the command line)."""

    deadline: datetime | None = None

    def check(self, before: str) -> None:
        if self.deadline is not None and datetime.now(UTC) >= self.deadline:
            raise TimeLimit(f"scan stopped before {before}: the function's time limit is near; "
                            "a later run scans this region")


@dataclass
class RegionScan:
    region: str
    findings: list[Finding] = field(default_factory=list)
    errors: list[RegionError] = field(default_factory=list)
    ignored: int = 0


def scan_region(
    region: str,
    settings: Settings,
    clients: AwsClients,
    window: Window,
    prices: PriceBook,
    progress: Progress | None = None,
    budget: Budget = Budget(),
) -> RegionScan:
    scan = RegionScan(region)
    try:
        _scan(scan, settings, clients, window, prices, progress or (lambda _: None), budget)
    except TimeLimit as error:
        scan.findings = []
        scan.errors.append(RegionError(region, "time limit", str(error)))
    except Exception as error:  # noqa: BLE001 - one region's failure must not hide the others
        scan.findings = []
        scan.errors.append(RegionError(region, _operation(error), describe_error(error)))
    return scan


def _scan(
    scan: RegionScan, settings: Settings, clients: AwsClients, window: Window, prices: PriceBook, progress: Progress,
    budget: Budget,
) -> None:
    region = scan.region
    sagemaker, cloudwatch = clients.sagemaker(region), clients.cloudwatch(region)
    now = window.now
    endpoints = inventory.list_endpoints(sagemaker, region)
    progress(f"{region}: {len(endpoints)} endpoints listed")
    if not endpoints:
        return
    budget.check("listing inference components")
    _attach_components(scan, sagemaker, endpoints)
    judged = [
        e for e in endpoints if signals.serves(e.status) and not window.too_new(e.created)
    ]

    budget.check("listing metric series")
    known = _known_variants(scan, cloudwatch)
    budget.check("reading hourly invocations")
    start, end = _floor(now - timedelta(days=settings.lookback_days), HOUR), now
    since = hourly.history_start(now, settings, start)  # one pass for the window and the timetable's weeks
    first = {e.name: _hourly_queries(e, known.get(e.name, set())) for e in judged}
    history, failed = metrics.fetch(cloudwatch, [q for qs in first.values() for q in qs], since, end)
    points = hourly.within(history, start)
    progress(f"{region}: hourly invocations read for {len(first)} endpoints")

    candidates = [e for e in judged if _needs_describe(e, first[e.name], points, failed, settings, known)
                  or hourly.worth_describing(e, first[e.name], history, settings, since, end)]
    budget.check(f"describing {len(candidates)} low-traffic endpoints")
    unseen = _describe_all(scan, clients, candidates, settings, progress, budget)
    candidates = [e for e in candidates if e.described]
    budget.check("reading autoscaling and utilisation")
    if candidates:
        _attach_scaling(scan, clients, candidates)

    read = {e.name: _detail_queries(e, known.get(e.name, set())) for e in candidates}
    detail_queries = [q for qs in read.values() for q in qs]
    hourly_new = [q for q in detail_queries if q.period == HOUR and q not in points and q not in failed]
    daily_start = _floor(now - timedelta(days=settings.last_used_days), DAY)
    more, more_failed = metrics.fetch(cloudwatch, hourly_new, since, end)
    history.update(more)
    more = hourly.within(more, start)
    daily, daily_failed = metrics.fetch(cloudwatch, [q for q in detail_queries if q.period == DAY], daily_start, end)
    points.update(more)
    failed.update(more_failed)
    failed.update(daily_failed)
    if failed:
        scan.errors.append(
            RegionError(
                region,
                "cloudwatch:GetMetricData",
                f"{len(failed)} series could not be read: {next(iter(failed.values()))}",
            )
        )

    for endpoint in endpoints:
        usage = None
        if endpoint.name in unseen:
            usage = EndpointUsage(error=unseen[endpoint.name])
        elif endpoint.name in first:
            usage = _usage(read.get(endpoint.name, first[endpoint.name]), points, daily, failed, start)
        if endpoint.status == "Deleted":
            continue
        if endpoint.described and parse_tags(endpoint.tags, settings.tag_prefix).ignore:
            scan.ignored += 1
            continue
        finding = judge(endpoint, usage, settings, window, prices.hourly, prices.provisioned_concurrency)
        if endpoint.name in first and endpoint.name not in unseen:
            hourly.attach(finding, endpoint, read.get(endpoint.name, first[endpoint.name]), history, settings,
                          since, end, prices.hourly)
        scan.findings.append(finding)
    budget.check("reading Compute Optimizer's idle recommendations")
    opinion.attach(scan.findings, opinion.read_idle_recommendations(clients.compute_optimizer(region)))
    progress(f"{region}: {len(scan.findings)} endpoints judged, {len(candidates)} described")


def _attach_components(scan: RegionScan, sagemaker: Any, endpoints: list[Endpoint]) -> None:
    try:
        components = inventory.list_components(sagemaker)
    except Exception as error:  # noqa: BLE001 - unseen components make the region incomplete, not failed
        scan.errors.append(RegionError(scan.region, "sagemaker:ListInferenceComponents", describe_error(error)))
        return
    for endpoint in endpoints:
        endpoint.components = components.get(endpoint.name, [])


def _known_variants(scan: RegionScan, cloudwatch: Any) -> dict[str, set[str]]:
    """Variants per endpoint from the series CloudWatch lists: instance metrics name every
    instance-backed variant (busy or not), invocation metrics every variant with traffic
    (serverless ones included). Two listings of N/500 calls each are far cheaper than
    describing the endpoints they would otherwise leave unnamed."""
    try:
        series = metrics.list_series(cloudwatch, INSTANCE_NAMESPACE, "CPUUtilization")
        series |= metrics.list_series(cloudwatch, INVOCATIONS_NAMESPACE, INVOCATIONS)
    except Exception as error:  # noqa: BLE001 - without the listing every endpoint is described instead
        scan.errors.append(RegionError(scan.region, "cloudwatch:ListMetrics", describe_error(error)))
        return {}
    return metrics.variants_by_endpoint(series)


def _hourly_queries(endpoint: Endpoint, variants: set[str]) -> list[Query]:
    queries = [metrics.variant_query(INVOCATIONS, endpoint.name, v, "Sum", HOUR) for v in sorted(variants)]
    queries += [metrics.component_query(c.name, "Sum", HOUR) for c in endpoint.components]
    return queries


def _needs_describe(
    endpoint: Endpoint, queries: list[Query], points: dict, failed: dict, settings: Settings, known: dict[str, set[str]]
) -> bool:
    """Describe when a verdict may need config, cost or tags: little or no traffic somewhere."""
    if not queries or endpoint.name not in known or any(q in failed for q in queries):
        return True
    totals = [sum(value for _, value in points.get(q, [])) for q in queries]
    if any(total == 0 for total in totals):
        return True
    return sum(totals) / settings.lookback_days < settings.underused_max_daily_invocations


def _describe_all(
    scan: RegionScan, clients: AwsClients, candidates: list[Endpoint], settings: Settings, progress: Progress,
    budget: Budget = Budget(),
) -> dict[str, str]:
    """Describe candidates in a bounded pool; returns endpoint -> why it could not be described.
    Raises TimeLimit when the time limit came before all were described."""
    sagemaker = clients.sagemaker(scan.region)

    def one(endpoint: Endpoint) -> tuple[Endpoint, BaseException | None]:
        try:
            budget.check("describing the low-traffic endpoints")
            inventory.describe(sagemaker, endpoint)
            return endpoint, None
        except Exception as error:  # noqa: BLE001 - judged per endpoint below
            return endpoint, error

    failures: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=settings.max_workers) as pool:
        results = list(pool.map(one, candidates))
    stopped = next((error for _, error in results if isinstance(error, TimeLimit)), None)
    if stopped is not None:
        raise stopped
    for endpoint, error in results:
        if error is None:
            continue
        if getattr(error, "operation_name", None) == "DescribeEndpoint" and is_not_found(error):
            endpoint.status = "Deleted"  # gone since it was listed: nothing left to judge
            continue
        failures[endpoint.name] = f"{_operation(error)} failed: {describe_error(error)}"
        scan.errors.append(
            RegionError(scan.region, f"sagemaker:{_operation(error)}", f"{endpoint.name}: {describe_error(error)}")
        )
    progress(f"{scan.region}: {len(candidates)} low-traffic endpoints described")
    return failures


def _attach_scaling(scan: RegionScan, clients: AwsClients, candidates: list[Endpoint]) -> None:
    try:
        resource_ids = [variant_resource_id(e.name, v.name) for e in candidates for v in e.variants]
        targets = inventory.scaling_targets(clients.autoscaling(scan.region), resource_ids)
    except Exception as error:  # noqa: BLE001 - autoscaling only refines advice; say it was not seen
        scan.errors.append(
            RegionError(scan.region, "application-autoscaling:DescribeScalableTargets", describe_error(error))
        )
        return
    for endpoint in candidates:
        inventory.attach_scaling(endpoint, targets)


def _detail_queries(endpoint: Endpoint, listed_variants: set[str]) -> list[Query]:
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


def _usage(
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
    first_day = _floor(window_start, DAY)
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


def _floor(moment: datetime, seconds: int) -> datetime:
    return datetime.fromtimestamp(moment.timestamp() // seconds * seconds, tz=UTC)


def _operation(error: BaseException) -> str:
    operation = getattr(error, "operation_name", None)
    return operation or type(error).__name__
