"""The hourly history a timetable reads (judge/timetable.py), from the scan's one hourly pass.

The scan reads every variant's hourly invocations once (scan/region.py). That pass starts
`schedule_lookback_days` back (14 by default) instead of `lookback_days`, so the same
GetMetricData calls carry both the verdict's window and the timetable's weeks: the datapoints
a call returns grow, the metrics requested (what GetMetricData bills) do not. `ListMetrics`
only lists series with data in the last 14 days; a variant it does not list has had no
traffic for two weeks, so it has no timetable either. The verdict still sees its own window
only (`within`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cost_watcher.judge import schedule, timetable
from cost_watcher.judge.cost import PriceLookup
from cost_watcher.model import Endpoint, Finding, Verdict
from cost_watcher.scan import series
from cost_watcher.scan.metrics import Points, Query
from cost_watcher.settings import Settings

TRAFFIC_VERDICTS = (Verdict.ACTIVE, Verdict.UNDERUSED)  # idle has no timetable: it sleeps all week


def history_start(now: datetime, settings: Settings, window_start: datetime) -> datetime:
    """Where the one hourly pass starts: the earlier of the verdict's window and the timetable's weeks."""
    weeks = (now - timedelta(days=settings.schedule_lookback_days)).replace(minute=0, second=0, microsecond=0)
    return min(window_start, weeks)


def within(history: dict[Query, Points], start: datetime) -> dict[Query, Points]:
    """The same series cut to the verdict's window."""
    return {query: [p for p in points if p[0] >= start] for query, points in history.items()}


def work_points(queries: list[Query], history: dict[Query, Points]) -> list[tuple[datetime, float]]:
    """Every datapoint of the series that say the endpoint worked (invocations, processed, queued)."""
    return [p for q in queries if series.role_of(q)[0] != "utilization" for p in history.get(q, [])]


def find(endpoint: Endpoint, queries: list[Query], history: dict[Query, Points], settings: Settings,
         start: datetime, end: datetime) -> timetable.Timetable | None:
    """The endpoint's timetable: all its work series together, in the schedule's time zone."""
    return timetable.find(work_points(queries, history), start, end, endpoint.created, settings.timezone,
                          quiet_share_pct=settings.schedule_quiet_share, margin_hours=settings.schedule_margin_hours,
                          min_window_hours=settings.schedule_min_window_hours)


def worth_describing(endpoint: Endpoint, queries: list[Query], history: dict[Query, Points], settings: Settings,
                     start: datetime, end: datetime) -> bool:
    """A busy endpoint is described (config, price, tags) only when its traffic keeps quiet hours."""
    found = find(endpoint, queries, history, settings, start, end)
    return found is not None and bool(found.windows)


def attach(finding: Finding, endpoint: Endpoint, queries: list[Query], history: dict[Query, Points],
           settings: Settings, start: datetime, end: datetime, prices: PriceLookup) -> None:
    """Put the timetable and its priced schedule on a finding with traffic; say it in the advice."""
    if finding.verdict not in TRAFFIC_VERDICTS or not endpoint.described:
        return
    finding.timetable = find(endpoint, queries, history, settings, start, end)
    finding.schedule = schedule.plan(endpoint, finding.timetable, prices)
    if finding.schedule is not None:
        said = finding.schedule.sentence[0].upper() + finding.schedule.sentence[1:] + "."
        finding.advice = f"{finding.advice} {said}" if finding.advice else said
