"""One region's scan: list, read the signal, describe only what a verdict needs, judge.

Per region, on the shortest path AWS allows: the first page of endpoints starts at once the
other listings (scan/listings.py: inference components, the metric series CloudWatch lists,
every endpoint's tags through the tagging API, Compute Optimizer's opinion) while the rest of
the pages are read; the hourly GetMetricData pass starts as soon as the series are listed.
Only the endpoints whose traffic is low enough that a verdict needs their configuration or
cost ("candidates") are described, in a bounded pool, each config once: those no hourly
answer can clear as soon as their page is read, the others after the hourly pass. While
their detail is read (autoscaling, the daily pass), the Price List is asked for all their
instance types at once. Busy endpoints cost no
per-endpoint call at all. Each step's start and end are kept (`RegionScan.phases`) so the
critical path can be measured. A failure is reported for the region and never raised; in
Lambda a region whose scan runs into the last minute before the time limit is given up the
same way, so the report and digest still go out.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cost_watcher.aws import AwsClients
from cost_watcher.errors import TimeLimit, describe_error
from cost_watcher.judge import signals
from cost_watcher.judge.scoring import judge
from cost_watcher.judge.tags import parse_tags
from cost_watcher.judge.window import Window
from cost_watcher.model import Endpoint, EndpointUsage, Finding, RegionError, ScanPhase, variant_resource_id
from cost_watcher.scan import hourly, inventory, metrics, opinion, tags, usage
from cost_watcher.scan.describe import Describer, operation_of
from cost_watcher.scan.listings import Listings
from cost_watcher.scan.metrics import Points, Query
from cost_watcher.scan.prices import PriceBook
from cost_watcher.scan.timeline import Timeline
from cost_watcher.scan.usage import DAY, HOUR, floor
from cost_watcher.settings import Settings

Progress = Callable[[str], None]
LISTINGS = 7  # components, two metric listings, tags, Compute Optimizer, the hourly pass, one spare



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
    start, end = floor(now - timedelta(days=settings.lookback_days), HOUR), now
    since = hourly.history_start(now, settings, start)  # one hourly pass for the window and the timetable's weeks
    listings = Listings(clients, region, pools.listings, pools.reads, timeline)
    describer = Describer(sagemaker, pools.describes, lambda: listings.futures["tags"].result(),
                          lambda: budget.check("describing the low-traffic endpoints"))

    def on_page(page: list[Endpoint]) -> None:
        """The first page starts the other listings; once they are in, each page's endpoints that are
        candidates whatever the hourly pass says are described while the next page is listed."""
        if not listings.started:
            listings.start((since, end), lambda: budget.check("reading hourly invocations"))
        if listings.inventory_ready():
            _describe_surely(page, listings, window, describer)

    with timeline.phase("endpoints", ("clients",)):
        endpoints = inventory.list_endpoints(sagemaker, region, on_page)
    progress(f"{region}: {len(endpoints)} endpoints listed")
    if not endpoints:
        return
    listings.attach_components(endpoints, scan.errors)
    judged = [e for e in endpoints if signals.serves(e.status) and not window.too_new(e.created)]
    known, invoked = listings.read_variants(scan.errors)
    for endpoint in judged:
        if usage.surely_candidate(endpoint, known, invoked):
            describer.submit(endpoint)  # a variant without invocations in 14 days: no need to wait for the hourly pass

    first = {e.name: usage.hourly_queries(e, invoked.get(e.name, set())) for e in judged}
    history, failed = listings.hourly()
    points = hourly.within(history, start)
    wanted = {q for qs in first.values() for q in qs}
    failed = {q: why for q, why in failed.items() if q in wanted}  # only the judged endpoints' series count
    progress(f"{region}: hourly invocations read for {len(first)} endpoints")
    candidates = [e for e in judged if usage.needs_describe(e, first[e.name], points, failed, settings, known, invoked)
                  or hourly.worth_describing(e, first[e.name], history, settings, since, end)]
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
                                                lambda: metrics.fetch(cloudwatch, hourly_new, since, end),
                                                ("describes",)))
    with timeline.phase("detail: daily", ("describes",)):
        daily, daily_failed = metrics.fetch(cloudwatch, [q for q in detail if q.period == DAY], daily_start, end,
                                            pools.reads)
    more_history, more_failed = more.result()
    scaling.result()
    history.update(more_history)
    points.update(hourly.within(more_history, start))
    failed.update(more_failed)
    failed.update(daily_failed)
    if failed:
        scan.errors.append(RegionError(region, "cloudwatch:GetMetricData",
                                       f"{len(failed)} series could not be read: {next(iter(failed.values()))}"))

    reads = Reads(first, read, points, daily, failed, history, unseen, listings.tags(scan.errors), start, since, end)
    with timeline.phase("judge", ("detail: daily", "detail: hourly", "autoscaling", "tags")):
        for endpoint in endpoints:
            _judge_one(scan, endpoint, settings, window, prices, reads)
    budget.check("reading Compute Optimizer's idle recommendations")
    with timeline.phase("opinion attached", ("judge", "opinion")):
        opinion.attach(scan.findings, listings.futures["opinion"].result())
    progress(f"{region}: {len(scan.findings)} endpoints judged, {len(candidates)} described")


def _describe_surely(page: list[Endpoint], listings: Listings, window: Window, describer: Describer) -> None:
    """Describe the page's judged endpoints that are candidates whatever the hourly pass says (a
    listing that failed leaves the decision to after the endpoints, where it is reported)."""
    try:
        known, invoked = listings.variants()
        components = listings.futures["components"].result()
    except Exception:  # noqa: BLE001
        return
    for endpoint in page:
        if signals.serves(endpoint.status) and not window.too_new(endpoint.created) \
                and usage.surely_candidate(endpoint, known, invoked):
            endpoint.components = components.get(endpoint.name, [])
            describer.submit(endpoint)


@dataclass(frozen=True)
class Reads:
    """What the region's reads found, for judging each endpoint: its queries (hourly pass, and the
    detail of a candidate), the series (the window's and the timetable's weeks), what failed."""

    first: dict[str, list[Query]]
    detail: dict[str, list[Query]]
    points: dict[Query, Points]  # the verdict's window
    daily: dict[Query, Points]
    failed: dict[Query, str]
    history: dict[Query, Points]  # the timetable's weeks (scan/hourly.py)
    unseen: dict[str, str]  # endpoints whose describe failed: why
    tags: dict[str, dict[str, str]] | None  # the tagging API's answer (None: not read)
    start: datetime
    since: datetime
    end: datetime

    def queries(self, name: str) -> list[Query]:
        return self.detail.get(name, self.first[name])


def _judge_one(scan: RegionScan, endpoint: Endpoint, settings: Settings, window: Window, prices: PriceBook,
               reads: Reads) -> None:
    if endpoint.status == "Deleted":
        return
    if not endpoint.tags_read and reads.tags is not None:
        endpoint.tags, endpoint.tags_read = tags.tags_of(endpoint, reads.tags), True
    seen = None
    if endpoint.name in reads.unseen:
        seen = EndpointUsage(error=reads.unseen[endpoint.name])
    elif endpoint.name in reads.first:
        seen = usage.endpoint_usage(reads.queries(endpoint.name), reads.points, reads.daily, reads.failed, reads.start)
    if endpoint.tags_read and parse_tags(endpoint.tags, settings.tag_prefix).ignore:
        scan.ignored += 1
        return
    finding = judge(endpoint, seen, settings, window, prices.hourly, prices.provisioned_concurrency)
    if endpoint.name in reads.first and endpoint.name not in reads.unseen:
        hourly.attach(finding, endpoint, reads.queries(endpoint.name), reads.history, settings, reads.since,
                      reads.end, prices.hourly)
    scan.findings.append(finding)


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


