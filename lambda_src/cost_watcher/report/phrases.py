"""The sentences the email and the chat message both say, so they say them the same way."""

from __future__ import annotations

import shlex

from cost_watcher.model import DESTRUCTIVE_ACTIONS, Action, Finding, Report, Verdict
from cost_watcher.report.selection import count, reclaimable_total, reclaimed, result_kind
from cost_watcher.settings import Settings
from cost_watcher.words import last_used, money, plural

VERB = {Action.DELETE: "delete", Action.SCALE_DOWN: "scale down", Action.MARK: "mark", Action.UNMARK: "unmark",
        Action.SCHEDULE: "schedule", Action.UNSCHEDULE: "unschedule"}
DONE = {Action.DELETE: "deleted", Action.SCALE_DOWN: "scaled down", Action.MARK: "marked", Action.UNMARK: "unmarked",
        Action.SCHEDULE: "scheduled", Action.UNSCHEDULE: "unscheduled"}


def summary_line(report: Report) -> str:
    seen = len(report.findings) + report.ignored
    idle, underused = count(report.findings, Verdict.IDLE), count(report.findings, Verdict.UNDERUSED)
    text = f"Scanned {plural(seen, 'endpoint')} in {plural(len(report.regions), 'region')}: "
    text += ", ".join(p for p in (f"{idle:,} idle" if idle else "", f"{underused:,} underused" if underused else "")
                      if p) or "no idle or underused endpoints"
    total = reclaimable_total(report)
    if total >= 0.5:
        text += f", ~{money(total)}/month reclaimable"
    done = reclaimed(report)
    if done:
        text += (f". Reclaimed this run: {plural(len(done), 'endpoint')} "
                 f"(~{money(sum(f.reclaimable_usd for f in done))}/month)")
    return text + "."


def mode_line(report: Report, settings: Settings) -> str:
    if report.dry_run:
        return "Mode: report only (dry run). Nothing was changed."
    return (f"Mode: act. Endpoints tagged {settings.tags.reclaim} are reclaimed after "
            f"{plural(settings.grace_days, 'idle day')} of grace, at most {settings.max_actions_per_run} a run.")


def last_used_phrase(finding: Finding, report: Report, settings: Settings) -> str:
    """'today', '3 days ago', or '30+ days ago' when no invocation fell within last_used_days."""
    return last_used(finding.last_invocation, report.generated_at, never=f"{settings.last_used_days}+ days ago")


def action_text(finding: Finding, dry_run: bool) -> str:
    """What happens to it, in a few words: 'deleted', 'would delete', 'delete on 2024-06-04' ..."""
    kind = result_kind(finding)
    if finding.action in DESTRUCTIVE_ACTIONS:
        verb = VERB[finding.action]
        return {"done": DONE[finding.action], "planned": f"would {verb}" if dry_run else f"{verb} planned",
                "skipped": f"{verb} skipped", "failed": f"{verb} FAILED"}.get(kind, f"{verb} planned")
    if finding.action == Action.UNMARK:
        return "would unmark" if kind == "planned" else ("unmark FAILED" if kind == "failed" else "unmarked")
    if finding.reclaim_on and finding.reclaim_tag:
        return f"{VERB[Action(finding.reclaim_tag)]} on {finding.reclaim_on.isoformat()}"
    if finding.verdict == Verdict.IDLE and not finding.reclaim_tag:
        return "no opt-in"
    return "-"


def restore_command(finding: Finding, ledger: str | None) -> str:
    """The exact command that puts a reclaimed endpoint back (quoted for a POSIX shell)."""
    words = ["cost-watcher", "restore", finding.name, "--region", finding.region]
    if ledger:
        words += ["--ledger", ledger]
    return shlex.join(words)


def report_whereabouts(report: Report, settings: Settings) -> str:
    """Where the full report is, or why it is not stored."""
    if report.report_location:
        return report.report_location
    if settings.ledger:
        return f"not stored: writing it to {settings.ledger} failed (see above)"
    return "not stored (no ledger configured)"


def one_line(text: str, width: int = 300) -> str:
    """An AWS error or a reason flattened to one line, cut to `width` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."
