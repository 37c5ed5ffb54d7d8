"""What to do with an endpoint tagged `reclaim=schedule`, each night. Pure.

The same grace cycle as a reclaim: the first night a timetable is found, mark
(`<prefix>quiet-since`, the digest says when it applies); once `grace_days` have passed and
the timetable still holds, apply it. An applied schedule is re-checked every night: an hour of
its quiet windows that is busy now (traffic came into a quiet window) withdraws it; a timetable
that moved updates it; no timetable any more withdraws it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cost_watcher.judge import signals, timetable
from cost_watcher.judge.policy import Decision
from cost_watcher.judge.schedule import describe_windows
from cost_watcher.model import Action, Finding, Schedule, Verdict
from cost_watcher.settings import Settings


@dataclass(frozen=True)
class Applied:
    """A schedule in place, as its ledger record keeps it."""

    windows: list[dict]
    timezone: str
    since: date
    complete: bool = True  # all our scheduled actions are there (a run may have died between record and put)


def intrusions(applied: Applied, now_busy: frozenset[int]) -> list[str]:
    """The hours of the applied windows that are busy now, in words ('Tue 03:00')."""
    hours = sorted(timetable.hours_of(applied.windows) & now_busy)
    return [f"{timetable.DAYS[h // 24]} {timetable.clock(h)}" for h in hours]


def decide(finding: Finding, schedule: Schedule | None, mark: date | None, applied: Applied | None,
           settings: Settings, now: datetime, *, region_has_errors: bool = False, opted_in: bool = True) -> Decision:
    """The schedule's action: none, mark, unmark, schedule (apply or update) or unschedule, and why.

    Not `opted_in` (the owner removed the tag, our mark is still there): its schedule and mark go."""
    today = now.date()
    if not opted_in:
        if applied is not None:
            return Decision(Action.UNSCHEDULE, f"the owner removed {settings.tags.reclaim}=schedule: schedule "
                                               "withdrawn, capacity limits put back")
        return Decision(Action.UNMARK, f"the owner removed {settings.tags.reclaim}=schedule: mark "
                                       f"{settings.tags.quiet_since} removed")
    if applied is not None:
        busy = schedule.busy_hours if schedule else getattr(finding.timetable, "busy", frozenset())
        woke = intrusions(applied, busy)
        if woke:
            shown = ", ".join(woke[:3]) + (f" and {len(woke) - 3} more" if len(woke) > 3 else "")
            return Decision(Action.UNSCHEDULE, f"traffic came into its quiet window ({shown}): schedule withdrawn, "
                                               "capacity limits put back")
        if schedule is None:
            return Decision(Action.UNSCHEDULE, f"no quiet window in the last {settings.schedule_lookback_days} days "
                                               "any more: schedule withdrawn, capacity limits put back")
        if schedule.windows != applied.windows or schedule.timezone != applied.timezone:
            return Decision(Action.SCHEDULE, f"timetable moved: {_said(applied.windows)} -> "
                                             f"{describe_windows(schedule)} ({schedule.timezone}): schedule updated",
                            blocked=_guard(finding, settings, region_has_errors))
        if not applied.complete:
            return Decision(Action.SCHEDULE, "our scheduled actions were not all in place: put again",
                            blocked=_guard(finding, settings, region_has_errors))
        return Decision(Action.NONE, f"schedule in place since {applied.since}; re-checked: no traffic in its "
                                     "quiet windows")
    if schedule is None:
        if mark is not None:
            return Decision(Action.UNMARK, f"no quiet window any more: mark {settings.tags.quiet_since}={mark} removed")
        if finding.verdict == Verdict.IDLE:
            return Decision(Action.NONE, f"idle all week: {settings.tags.reclaim}=schedule only applies timetables; "
                                         "tag it delete or scale-down to reclaim it")
        return Decision(Action.NONE, f"opted in to schedule, but its traffic keeps no quiet window "
                                     f"of {settings.schedule_min_window_hours}+ hours above its floor")
    guard = _guard(finding, settings, region_has_errors)
    if mark is None:
        on = today + timedelta(days=settings.grace_days)
        return Decision(Action.MARK, f"quiet hours found: mark {settings.tags.quiet_since}={today}; "
                                     f"applied on {on} or later if the timetable holds", on, guard)
    on = mark + timedelta(days=settings.grace_days)
    if today < on:
        return Decision(Action.NONE, f"in its grace period: quiet hours marked since {mark}, applied on {on} "
                                     "if the timetable holds", on)
    if guard is None and not settings.ledger:
        guard = "no ledger configured (setting ledger): no restore record, no schedule"
    return Decision(Action.SCHEDULE, f"timetable held since {mark}: {describe_windows(schedule)} "
                                     f"({schedule.timezone}) applied", blocked=guard)


def _guard(finding: Finding, settings: Settings, region_has_errors: bool) -> str | None:
    endpoint = finding.endpoint
    if endpoint is None or not endpoint.described:
        return "configuration and tags were not read: never acted on"
    if not signals.actionable(endpoint.status):
        return f"status is {endpoint.status}: only InService endpoints are acted on"
    if region_has_errors:
        return "its region's scan had errors: nothing there is acted on"
    return None


def _said(windows: list[dict]) -> str:
    return ", ".join(timetable.describe(w) for w in windows) or "none"
