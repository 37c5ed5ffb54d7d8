"""What the digest says about quiet-hours schedules: a section of its own, its savings counted
apart from idle waste (an office-hours endpoint is not waste, its nights are)."""

from __future__ import annotations

from cost_watcher.model import Action, Finding, Report
from cost_watcher.record import schedule_savings, scheduled
from cost_watcher.report.selection import first, result_kind, result_why
from cost_watcher.settings import TagKeys
from cost_watcher.words import money, plural


def with_schedules(report: Report) -> list[Finding]:
    """Findings with a schedule, and those whose schedule was withdrawn this run, most savings first."""
    listed = [f for f in report.findings if f.schedule is not None or f.action == Action.UNSCHEDULE]
    return sorted(listed, key=lambda f: (-(f.schedule.monthly_savings_usd or 0.0) if f.schedule else 0.0,
                                         f.region, f.name))


def state(finding: Finding, dry_run: bool, tags: TagKeys) -> str:
    """Where its schedule stands: proposed, marked, applied, in place, withdrawn (and why), or what stopped it."""
    kind = result_kind(finding)
    why = (finding.action_reason or "").split("; record ")[0].split("; restore record ")[0]
    if finding.action == Action.UNSCHEDULE:
        return f"{'WITHDRAWN' if kind == 'done' else 'withdraw ' + kind}: {why}"
    if kind in ("skipped", "failed"):
        return f"{finding.action} {kind}: {result_why(finding)}"
    if finding.action == Action.SCHEDULE:
        return {"done": "applied", "planned": "would apply" if dry_run else "apply planned"}.get(kind, kind)
    if finding.reclaim_on:
        unwritten = " (dry run: mark not written)" if kind == "planned" else ""
        return f"applied on {finding.reclaim_on} or later{unwritten}"
    if finding.reclaim_tag == "schedule":
        return "in place" if why.startswith("schedule in place") else why or "proposed"
    return f"proposed: tag {tags.reclaim}=schedule to apply it"


def line(finding: Finding, dry_run: bool, tags: TagKeys) -> str:
    said = finding.schedule.sentence if finding.schedule else "no timetable any more"
    return f"{finding.name} ({finding.region}): {said} [{state(finding, dry_run, tags)}]"


def section_text(report: Report, tags: TagKeys, limit: int) -> list[str]:
    listed = with_schedules(report)
    if not listed:
        return []
    shown, more = first(listed, limit)
    head = (f"QUIET HOURS: {plural(len(scheduled(report)), 'endpoint')} could scale in on a timetable, "
            f"~{money(schedule_savings(report))}/month (not counted in the reclaimable total)")
    lines = ["", head] + [f"  {line(f, report.dry_run, tags)}" for f in shown]
    return lines + ([f"  ... and {plural(more, 'more endpoint')} in the full report"] if more else [])


def section_chat(report: Report, tags: TagKeys, limit: int) -> list[str]:
    listed = with_schedules(report)
    if not listed:
        return []
    shown, more = first(listed, limit)
    lines = ["", f"*Quiet hours* (~{money(schedule_savings(report))}/mo, apart from idle waste)"]
    lines += [f"\u2022 `{f.name}` ({f.region}): {line(f, report.dry_run, tags).split(': ', 1)[1]}" for f in shown]
    return lines + ([f"_...and {more:,} more._"] if more else [])
