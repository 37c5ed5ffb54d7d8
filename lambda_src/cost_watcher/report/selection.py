"""Which findings the digest talks about, and in which order: the decisions both of its renderings share.

Kept apart from the words so that the email and the chat message cannot disagree about what needs
attention, what was reclaimed, or how severe the night was.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from cost_watcher.model import DESTRUCTIVE_ACTIONS, Action, Finding, Report, Verdict
from cost_watcher.record import action_state

result_kind = action_state  # 'none' | 'planned' | 'done' | 'skipped' | 'failed'


def result_why(finding: Finding) -> str:
    return finding.action_result.why if finding.action_result else ""


def needs_attention(finding: Finding) -> bool:
    """Idle or underused, money left on the table (idle variants), or a reclaim planned or done."""
    return (finding.verdict in (Verdict.IDLE, Verdict.UNDERUSED) or finding.reclaimable_usd > 0
            or finding.action in DESTRUCTIVE_ACTIONS)


def by_reclaimable(findings: Iterable[Finding]) -> list[Finding]:
    """Most reclaimable $ first, then the most expensive: the order every list of endpoints keeps."""
    return sorted(findings, key=lambda f: (-f.reclaimable_usd, -(f.monthly_cost_usd or 0.0), f.region, f.name))


def attention(report: Report) -> list[Finding]:
    """The findings the digest lists, most reclaimable $ first."""
    return by_reclaimable(f for f in report.findings if needs_attention(f))


def attention_regions(report: Report) -> list[str]:
    """The regions of the listed findings (all scanned regions on a quiet night), in listed order."""
    listed = attention(report)
    return list(dict.fromkeys(f.region for f in listed)) if listed else list(report.regions)


def reclaimed(report: Report) -> list[Finding]:
    return by_reclaimable(f for f in report.findings
                          if f.action in DESTRUCTIVE_ACTIONS and result_kind(f) == "done")


def reclaimable_total(report: Report) -> float:
    """$/month still to be had: what this run already reclaimed is counted as reclaimed instead."""
    done = {id(f) for f in reclaimed(report)}
    return sum(f.reclaimable_usd for f in report.findings if id(f) not in done)


def done_this_run(report: Report) -> list[Finding]:
    """Every change made this run (deletes, scale-downs, marks, unmarks), most reclaimable first."""
    return by_reclaimable(f for f in report.findings if f.action != Action.NONE and result_kind(f) == "done")


def actions_taken(report: Report) -> int:
    return len(done_this_run(report))


def failed_actions(report: Report) -> list[Finding]:
    return [f for f in report.findings if f.action != Action.NONE and result_kind(f) == "failed"]


def severity(report: Report) -> str:
    if report.errors or failed_actions(report):
        return "error"
    if actions_taken(report):
        return "action"
    if any(needs_attention(f) for f in report.findings):
        return "warning"
    return "info"


def count(findings: Iterable[Finding], verdict: Verdict) -> int:
    return sum(1 for f in findings if f.verdict == verdict)


def in_grace(report: Report) -> list[Finding]:
    """Marked idle and waiting: reclaimed on `reclaim_on` unless traffic returns first."""
    waiting = [f for f in report.findings if f.reclaim_on and f.action not in DESTRUCTIVE_ACTIONS
               and f.action != Action.UNMARK]
    return sorted(waiting, key=lambda f: (f.reclaim_on or date.max, -f.reclaimable_usd, f.region, f.name))


def scheduled(report: Report) -> list[Finding]:
    """Reclaims due now that did not happen this run: the dry-run plan, and those deferred or skipped."""
    due = [f for f in report.findings
           if f.action in DESTRUCTIVE_ACTIONS and result_kind(f) in ("none", "planned", "skipped")]
    return by_reclaimable(due)


def unmarked(report: Report) -> list[Finding]:
    return sorted((f for f in report.findings if f.action == Action.UNMARK and result_kind(f) != "failed"),
                  key=lambda f: (f.region, f.name))


def unknown(report: Report) -> list[Finding]:
    return sorted((f for f in report.findings if f.verdict == Verdict.UNKNOWN), key=lambda f: (f.region, f.name))


def disagreements(report: Report) -> list[Finding]:
    """Where AWS Compute Optimizer's idle view differs from ours (it never decides anything)."""
    return [f for f in by_reclaimable(report.findings) if f.aws_opinion == "disagrees"]


def first(items: list[Any], limit: int) -> tuple[list[Any], int]:
    """The first `limit` items and how many were left out (for "... and N more")."""
    return items[:limit], max(0, len(items) - limit)
