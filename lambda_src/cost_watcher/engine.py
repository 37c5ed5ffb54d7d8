"""run(settings, clients) -> Report: the whole job, the same for Lambda and the CLI.

The pipeline only: regions scanned in parallel (scan/region.py), findings planned and, in
act mode, reclaimed (reclaim/), then the report stored and the digest sent (report/).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from cost_watcher.aws import AwsClients
from cost_watcher.errors import SettingsError
from cost_watcher.judge.window import Window
from cost_watcher.model import Report
from cost_watcher.reclaim import apply as reclaim
from cost_watcher.reclaim.quiet import apply_schedules
from cost_watcher.report import notify
from cost_watcher.scan.prices import WARM_PRICES, PriceBook
from cost_watcher.scan.region import Budget, Progress, scan_region
from cost_watcher.settings import Settings


def run(
    settings: Settings,
    clients: AwsClients,
    now: datetime | None = None,
    *,
    progress: Progress | None = None,
    run_id: str | None = None,
    deadline: datetime | None = None,
    scheduled: datetime | None = None,
) -> Report:
    """Scan every region, judge every endpoint, plan and (in act mode) reclaim, then report.

    `run_id` names the run for its stored report and digest; a retry that passes the same
    id sends no second digest and counts what its earlier attempt reclaimed. `deadline` is
    when the run will be stopped (Lambda's time limit): no reclaim is started that could not
    finish before it. `scheduled` is when the run was due (the same on a retry): its report is
    filed under that day.
    """
    now = now or datetime.now(UTC)
    regions = list(settings.regions) or ([clients.default_region] if clients.default_region else [])
    if not regions:
        raise SettingsError(
            "setting 'regions': none given and no default region configured; pass --region or set AWS_REGION"
        )
    prices = PriceBook(clients.pricing if settings.pricing == "auto" else None, source=settings.pricing,
                       warm=WARM_PRICES)
    report = Report(generated_at=now, lookback_days=settings.lookback_days, regions=regions, dry_run=settings.dry_run)
    budget = Budget(deadline - timedelta(seconds=reclaim.DIGEST_SECONDS) if deadline else None)
    window = Window.of(settings, now)  # built once: every region is judged over the same hours
    with ThreadPoolExecutor(max_workers=min(len(regions), 4)) as pool:
        scans = list(pool.map(lambda region: scan_region(region, settings, clients, window, prices, progress, budget),
                              regions))
    for scan in scans:
        report.findings.extend(scan.findings)
        report.errors.extend(scan.errors)
        report.ignored += scan.ignored
        report.scan_phases.extend(scan.phases)
    reclaim.apply(report.findings, settings, clients, now, report, run_id=run_id, deadline=deadline)
    apply_schedules(report.findings, settings, clients, now, report, deadline=deadline)  # reclaim=schedule
    report.findings.sort(key=lambda f: (-f.reclaimable_usd, f.region, f.name))
    report.api_calls = dict(clients.calls)
    notify.deliver(report, settings, clients, run_id=run_id, scheduled=scheduled)
    return report


