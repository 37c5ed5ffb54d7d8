"""One region's scan: list, read the signal, describe only what a verdict needs, judge.

Per region, on the shortest path AWS allows: the first page of endpoints, then at once the
rest of the listings (endpoints, inference components, the metric series CloudWatch lists,
every endpoint's tags through the tagging API, Compute Optimizer's opinion); one hourly
GetMetricData pass (its calls in parallel); then only the endpoints whose traffic is low
enough that a verdict needs their configuration or cost ("candidates") are described, in a
bounded pool, each config once. While their detail is read (autoscaling, the daily pass),
the Price List is asked for all their instance types at once. Busy endpoints cost no
per-endpoint call at all. Each step's start and end are kept (`RegionScan.phases`) so the
critical path can be measured. A failure is reported for the region and never raised; in
Lambda a region whose scan runs into the last minute before the time limit is given up the
same way, so the report and digest still go out.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cost_watcher.aws import AwsClients
from cost_watcher.errors import TimeLimit, describe_error
from cost_watcher.judge import signals
from cost_watcher.judge.scoring import judge
from cost_watcher.judge.signals import INSTANCE_NAMESPACE, INVOCATIONS, INVOCATIONS_NAMESPACE
from cost_watcher.judge.tags import parse_tags
from cost_watcher.judge.window import Window
from cost_watcher.model import Endpoint, EndpointUsage, Finding, RegionError, ScanPhase, variant_resource_id
from cost_watcher.scan import inventory, metrics, opinion, tags, usage
from cost_watcher.scan.describe import Describer, operation_of
from cost_watcher.scan.prices import PriceBook
from cost_watcher.scan.timeline import Timeline
from cost_watcher.scan.usage import DAY, HOUR, floor
from cost_watcher.settings import Settings

Progress = Callable[[str], None]
LISTINGS = 6  # components, two metric listings, tags, Compute Optimizer, and one spare



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
    phases: list[ScanPhase] = field(default_factory=list)


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
        scan.errors.append(RegionError(region, operation_of(error), describe_error(error)))
    return scan


def _scan(
    scan: RegionScan, settings: Settings, clients: AwsClients, window: Window, prices: PriceBook, progress: Progress,
    budget: Budget,
) -> None:
    timeline = Timeline(scan.region)
    scan.phases = timeline.phases
    pools = Pools(ThreadPoolExecutor(LISTINGS, thread_name_prefix=f"list-{scan.region}"),
                  ThreadPoolExecutor(settings.max_workers, thread_name_prefix=f"describe-{scan.region}"),
                  ThreadPoolExecutor(settings.max_workers, thread_name_prefix=f"metrics-{scan.region}"))
    try:
        _steps(scan, settings, clients, window, prices, progress, budget, timeline, pools)
    finally:
        for pool in (pools.listings, pools.describes, pools.reads):
            pool.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True)
class Pools:
    """One pool per kind of wait, so no step queues behind another kind: the listings (one thread
    each), the describes and the metric reads (each bounded by `max_workers`)."""

    listings: ThreadPoolExecutor
    describes: ThreadPoolExecutor
    reads: ThreadPoolExecutor


def _steps(
    scan: RegionScan, settings: Settings, clients: AwsClients, window: Window, prices: PriceBook, progress: Progress,
    budget: Budget, timeline: Timeline, pools: Pools,
) -> None:
    region, now = scan.region, window.now
    with timeline.phase("clients"):
        sagemaker, cloudwatch = clients.sagemaker(region), clients.cloudwatch(region)
    started: dict[str, Future[Any]] = {}

    def start_listings() -> None:
        """The listings that need only the region: all at once, once it has endpoints."""
        work = {
            "components": lambda: inventory.list_components(sagemaker),
            "series: instances": lambda: metrics.list_series(cloudwatch, INSTANCE_NAMESPACE, "CPUUtilization"),
            "series: invocations": lambda: metrics.list_series(cloudwatch, INVOCATIONS_NAMESPACE, INVOCATIONS),
            "tags": lambda: tags.endpoint_tags(clients.client("resourcegroupstaggingapi", region)),
            "opinion": lambda: opinion.read_idle_recommendations(clients.compute_optimizer(region)),
        }
        for name, step in work.items():
            started[name] = pools.listings.submit(timeline.timed(name, step, ("clients",)))

    start, end = floor(now - timedelta(days=settings.lookback_days), HOUR), now

    def hourly_pass() -> tuple[dict, dict]:
        """Every series with invocations in 14 days, and every component, hourly over the window:
        needs only the listings, so it runs while the endpoints are still being listed."""
        budget.check("reading hourly invocations")
        invoked, components = started["series: invocations"].result(), started["components"].result()
        queries = [metrics.variant_query(INVOCATIONS, dict(d)["EndpointName"], dict(d)["VariantName"], "Sum", HOUR)
                   for d in sorted(invoked) if {name for name, _ in d} == {"EndpointName", "VariantName"}]
        queries += [metrics.component_query(c.name, "Sum", HOUR) for cs in components.values() for c in cs]
        return metrics.fetch(cloudwatch, queries, start, end, pools.reads)

    with timeline.phase("endpoints", ("clients",)):
        endpoints = inventory.list_endpoints(sagemaker, region, lambda: _start(start_listings, started, pools,
                                                                               timeline, hourly_pass))
    progress(f"{region}: {len(endpoints)} endpoints listed")
    if not endpoints:
        return
    _attach_components(scan, started["components"], endpoints)
    judged = [e for e in endpoints if signals.serves(e.status) and not window.too_new(e.created)]
    known, invoked = _known_variants(scan, started["series: instances"], started["series: invocations"])
    describer = Describer(sagemaker, pools.describes, started["tags"],
                          lambda: budget.check("describing the low-traffic endpoints"))
    for endpoint in judged:
        if usage.surely_candidate(endpoint, known, invoked):
            describer.submit(endpoint)  # a variant without invocations in 14 days: no need to wait for the hourly pass

    first = {e.name: usage.hourly_queries(e, invoked.get(e.name, set())) for e in judged}
    if "hourly invocations" not in started:  # a first page without endpoints, and more pages
        _start(start_listings, started, pools, timeline, hourly_pass)
    points, failed = _hourly(started["hourly invocations"])
    wanted = {q for qs in first.values() for q in qs}
    failed = {q: why for q, why in failed.items() if q in wanted}  # only the judged endpoints' series count
    progress(f"{region}: hourly invocations read for {len(first)} endpoints")
    candidates = [e for e in judged if usage.needs_describe(e, first[e.name], points, failed, settings, known, invoked)]
    budget.check(f"describing {len(candidates)} low-traffic endpoints")
    with timeline.phase("describes", ("hourly invocations", "tags", "endpoints")):
        for endpoint in candidates:
            describer.submit(endpoint)
        unseen, errors = describer.settle(region)
        scan.errors.extend(errors)
        progress(f"{region}: {len(describer.submitted)} low-traffic endpoints described")
    candidates = [e for e in candidates if e.described]
    prices.prefetch({v.instance_type for e in candidates for v in e.variants if v.instance_type}, region)

    budget.check("reading autoscaling and utilisation")
    scaling = pools.listings.submit(timeline.timed(
        "autoscaling", lambda: _attach_scaling(scan, clients, candidates, pools.describes), ("describes",)))
    read = {e.name: usage.detail_queries(e, known.get(e.name, set())) for e in candidates}
    detail = [q for qs in read.values() for q in qs]
    hourly_new = [q for q in detail if q.period == HOUR and q not in points and q not in failed]
    daily_start = floor(now - timedelta(days=settings.last_used_days), DAY)
    more = pools.listings.submit(timeline.timed("detail: hourly",
                                                lambda: metrics.fetch(cloudwatch, hourly_new, start, end),
                                                ("describes",)))
    with timeline.phase("detail: daily", ("describes",)):
        daily, daily_failed = metrics.fetch(cloudwatch, [q for q in detail if q.period == DAY], daily_start, end,
                                            pools.reads)
    more_points, more_failed = more.result()
    scaling.result()
    points.update(more_points)
    failed.update(more_failed)
    failed.update(daily_failed)
    if failed:
        scan.errors.append(RegionError(region, "cloudwatch:GetMetricData",
                                       f"{len(failed)} series could not be read: {next(iter(failed.values()))}"))

    listed_tags = _listed_tags(scan, started["tags"])
    with timeline.phase("judge", ("detail: daily", "detail: hourly", "autoscaling", "tags")):
        for endpoint in endpoints:
            _judge_one(scan, endpoint, settings, window, prices, listed_tags, unseen, first, read, points, daily,
                       failed, start)
    budget.check("reading Compute Optimizer's idle recommendations")
    with timeline.phase("opinion attached", ("judge", "opinion")):
        opinion.attach(scan.findings, started["opinion"].result())
    progress(f"{region}: {len(scan.findings)} endpoints judged, {len(candidates)} described")


def _start(start_listings: Callable[[], None], started: dict[str, Future[Any]], pools: Pools, timeline: Timeline,
           hourly_pass: Callable[[], tuple[dict, dict]]) -> None:
    start_listings()
    started["hourly invocations"] = pools.listings.submit(
        timeline.timed("hourly invocations", hourly_pass, ("series: invocations", "components")))


def _hourly(future: Future[Any]) -> tuple[dict, dict]:
    """The hourly pass's answer; nothing when it could not run (a listing it needed failed)."""
    try:
        return future.result()
    except TimeLimit:
        raise
    except Exception:  # noqa: BLE001 - a listing it needed failed (reported there): every endpoint is then a
        return {}, {}  # candidate (no traffic seen), and its detail pass reads what this one did not


def _judge_one(scan: RegionScan, endpoint: Endpoint, settings: Settings, window: Window, prices: PriceBook,
               listed_tags: dict[str, dict[str, str]] | None, unseen: dict[str, str], first: dict, read: dict,
               points: dict, daily: dict, failed: dict, start: datetime) -> None:
    if endpoint.status == "Deleted":
        return
    if not endpoint.tags_read and listed_tags is not None:
        endpoint.tags, endpoint.tags_read = tags.tags_of(endpoint, listed_tags), True
    seen = None
    if endpoint.name in unseen:
        seen = EndpointUsage(error=unseen[endpoint.name])
    elif endpoint.name in first:
        seen = usage.endpoint_usage(read.get(endpoint.name, first[endpoint.name]), points, daily, failed, start)
    if endpoint.tags_read and parse_tags(endpoint.tags, settings.tag_prefix).ignore:
        scan.ignored += 1
        return
    scan.findings.append(judge(endpoint, seen, settings, window, prices.hourly, prices.provisioned_concurrency))


def _attach_components(scan: RegionScan, listing: Future[Any], endpoints: list[Endpoint]) -> None:
    try:
        components = listing.result()
    except Exception as error:  # noqa: BLE001 - unseen components make the region incomplete, not failed
        scan.errors.append(RegionError(scan.region, "sagemaker:ListInferenceComponents", describe_error(error)))
        return
    for endpoint in endpoints:
        endpoint.components = components.get(endpoint.name, [])


def _known_variants(scan: RegionScan, instances: Future[Any],
                    invocations: Future[Any]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(variants per endpoint, those with invocations in 14 days), from the series CloudWatch lists:
    instance metrics name every instance-backed variant (busy or not), invocation metrics every
    variant with traffic (serverless ones included). Two listings of N/500 calls each are far
    cheaper than describing the endpoints they would otherwise leave unnamed."""
    try:
        invoked = invocations.result()
        series = instances.result() | invoked
    except Exception as error:  # noqa: BLE001 - without the listing every endpoint is described instead
        scan.errors.append(RegionError(scan.region, "cloudwatch:ListMetrics", describe_error(error)))
        return {}, {}
    return metrics.variants_by_endpoint(series), metrics.variants_by_endpoint(invoked)


def _listed_tags(scan: RegionScan, listing: Future[Any]) -> dict[str, dict[str, str]] | None:
    """The region's tags, or None when the listing failed (then only described endpoints have tags,
    read with ListTags, and the others are judged as before: without their tags)."""
    try:
        return listing.result()
    except Exception as error:  # noqa: BLE001 - the candidates fell back to ListTags; say what was not seen
        scan.errors.append(RegionError(scan.region, "tag:GetResources",
                                       f"tags of busy endpoints not read: {describe_error(error)}"))
        return None


def _attach_scaling(scan: RegionScan, clients: AwsClients, candidates: list[Endpoint],
                    pool: ThreadPoolExecutor) -> None:
    if not candidates:
        return
    try:
        resource_ids = [variant_resource_id(e.name, v.name) for e in candidates for v in e.variants]
        targets = inventory.scaling_targets(clients.autoscaling(scan.region), resource_ids, pool)
    except Exception as error:  # noqa: BLE001 - autoscaling only refines advice; say it was not seen
        scan.errors.append(
            RegionError(scan.region, "application-autoscaling:DescribeScalableTargets", describe_error(error))
        )
        return
    for endpoint in candidates:
        inventory.attach_scaling(endpoint, targets)


