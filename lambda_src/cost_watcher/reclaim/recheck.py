"""The fresh re-check right before acting (the third yes of DESIGN rule 2): one batched
read of each candidate's traffic since the scan."""

from __future__ import annotations

from datetime import datetime

from cost_watcher.aws import AwsClients
from cost_watcher.errors import describe_error
from cost_watcher.judge import policy
from cost_watcher.model import Finding, Outcome
from cost_watcher.reclaim import actions
from cost_watcher.reclaim.marks import unmark_after_traffic
from cost_watcher.scan import series
from cost_watcher.settings import Settings


def recheck(candidates: list[Finding], settings: Settings, clients: AwsClients, scan_end: datetime,
            now: datetime) -> list[Finding]:
    """One GetMetricData batch per region over the last 24 h and everything since the scan.
    Returns the candidates still idle; the others are skipped (and unmarked on traffic)."""
    start, end, period = policy.recheck_window(scan_end, now)
    ready: list[Finding] = []
    by_region: dict[str, list[Finding]] = {}
    for finding in candidates:
        by_region.setdefault(finding.region, []).append(finding)
    for region, group in by_region.items():
        # the same signal the verdict read: an async endpoint's processed work and queue, the others' invocations
        queries = {f.name: series.work_queries(f.endpoint, period) if f.endpoint else [] for f in group}
        try:
            totals, errors = actions.recent_invocations(clients.cloudwatch(region), queries, start, end)
        except Exception as error:  # noqa: BLE001
            totals, errors = {}, {f.name: describe_error(error) for f in group}
        for finding in group:
            if finding.name in errors:
                finding.action_result = Outcome.skipped(f"re-check could not read its traffic ({errors[finding.name]})")
                continue
            objection = policy.recheck_objection(finding, totals.get(finding.name, 0.0), start, end, settings)
            if objection:
                finding.action_result = Outcome.skipped(objection)
                unmark_after_traffic(finding, settings, clients)
            else:
                ready.append(finding)
    return ready
