"""The words of one run that every rendering for people shares (screen, Markdown, HTML): the
header, the totals, and the readable cells of a finding. One copy, so the formats never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cost_watcher.model import Finding, Report, Verdict
from cost_watcher.record import action_state, iso, summarize
from cost_watcher.report import by_account
from cost_watcher.report.selection import by_reclaimable, needs_attention
from cost_watcher.words import days_since, instances, last_used, money, plural

DEFAULT_LAST_USED_DAYS = 30  # Settings' default; a stored report does not say which was used


@dataclass
class View:
    """How a person sees a run: whose account, how wide, in colour or not, every endpoint or the few
    that need attention; `history` holds the stored nights for a trend (report/history.py)."""

    account_id: str | None = None  # None: not known (a stored report does not say)
    account_alias: str | None = None
    demo: bool = False  # the simulated account
    width: int = 120
    colour: bool = False
    show_all: bool = False
    last_used_days: int = DEFAULT_LAST_USED_DAYS
    history: list[Any] = field(default_factory=list)


def account_label(view: View) -> str | None:
    """'account 123456789012 (alias)', 'simulated demo account 123456789012', or None when unknown."""
    if view.account_id is None:
        return None
    if view.demo:
        return f"simulated demo account {view.account_id}"
    return f"account {view.account_id}" + (f" ({view.account_alias})" if view.account_alias else "")


def title(report: Report, view: View) -> str:
    """cost-watcher · account 1234 (alias) · us-east-1, eu-west-1"""
    parts = ["cost-watcher", account_label(view), ", ".join(report.regions) or "no region"]
    return " · ".join(p for p in parts if p)


def subtitle(report: Report) -> str:
    """dry run: nothing was changed · lookback 7 days · 2026-12-02 02:00 UTC"""
    done = sum(n for key, n in summarize(report)["actions"].items() if key.endswith(":done"))
    mode = "dry run: nothing was changed" if report.dry_run else \
        f"apply mode: {plural(done, 'change') + ' made' if done else 'nothing was changed'}"
    return f"{mode} · lookback {plural(report.lookback_days, 'day')} · {report.generated_at:%Y-%m-%d %H:%M} UTC"


def totals(report: Report) -> list[str]:
    """The figures first: reclaimable of total $, the verdict counts, the plan, what was not seen."""
    summary = summarize(report)
    counts = ", ".join(f"{n} {v}" for v, n in summary["by_verdict"].items() if n)
    lines = [
        f"{money(summary['reclaimable_usd'], unknown='-')}/month reclaimable of "
        f"{money(summary['monthly_cost_usd'], unknown='-')}/month",
        f"{plural(summary['endpoints'], 'endpoint')}{': ' + counts if counts else ''}"
        + (f"; {summary['ignored']} ignored by tag" if summary["ignored"] else ""),
    ]
    if summary["schedules"]:
        lines.append(f"quiet hours: {plural(summary['schedules'], 'endpoint')} could sleep on a timetable, "
                     f"~{money(summary['schedule_savings_usd'])}/month more (not counted above)")
    actions = plan_counts(report)
    if actions:
        lines.append("plan: " + actions)
    if report.accounts:  # organization mode: a line per account, most reclaimable first
        lines.append(by_account.summary(report) + ":")
        lines += ["  " + by_account.total_line(total) for total in by_account.totals(report)]
    if report.errors:
        whose = "the organization" if report.accounts else "the account"
        lines.append(f"could not be seen: {plural(len(report.errors), 'part')} of {whose} (listed below)")
    return lines


def plan_counts(report: Report) -> str:
    """'2 delete (planned), 3 mark (done)': the actions by kind and result."""
    actions = summarize(report)["actions"]
    return ", ".join(f"{n} {key.replace(':', ' (')})" for key, n in actions.items())


def listed(report: Report, view: View) -> list[Finding]:
    """Most reclaimable first; only what needs attention unless the view asks for every endpoint."""
    chosen = report.findings if view.show_all else [f for f in report.findings
                                                    if needs_attention(f) or f.schedule is not None]
    return by_reclaimable(chosen)


def list_heading(report: Report, view: View, shown: int) -> str:
    if not report.findings:
        seen = "" if report.errors else " (every region was seen)"
        return f"No SageMaker real-time endpoint in {', '.join(report.regions) or 'the scanned regions'}{seen}"
    if view.show_all:
        return f"All {plural(len(report.findings), 'endpoint')}, most reclaimable first"
    if not shown:
        return f"Nothing needs attention: none of the {plural(len(report.findings), 'endpoint')} is idle or underused"
    return (f"Needs attention: {shown} of {plural(len(report.findings), 'endpoint')}, most reclaimable first "
            "(--all lists every endpoint)")


def last_used_cell(finding: Finding, report: Report, view: View) -> str:
    """'today', '23 d ago'; with no invocation seen, 'never' when it is younger than the look-back of
    last use, else '> 30 d ago' (we only know there was none since); '-' when no signal was read."""
    if finding.last_invocation is not None:
        return last_used(finding.last_invocation, report.generated_at, short=True)
    if finding.verdict not in (Verdict.IDLE, Verdict.NO_IDLE_COST, Verdict.UNDERUSED):
        return "-"
    if days_since(finding.created, report.generated_at) <= view.last_used_days:
        return "never"
    return f"> {view.last_used_days} d ago"


def instances_cell(finding: Finding) -> str:
    return instances(finding.variants, per_variant=True)


def action_cell(finding: Finding) -> str:
    if str(finding.action) == "none":
        return "-"
    state = action_state(finding)
    return f"{finding.action} ({state})" if state != "none" else str(finding.action)


def money_cell(value: float | None) -> str:
    return money(value, unknown="-")


def notes(finding: Finding) -> list[str]:
    """Why, and what was done or not: the lines under a listed endpoint."""
    out = [finding.reason]
    if finding.advice:
        out.append(f"advice: {finding.advice}")
    out += [f"warning: {w}" for w in finding.warnings]
    if finding.action_reason and str(finding.action) == "none":
        out.append(f"not acted on: {finding.action_reason}")
    elif finding.action_reason:
        out.append(f"action: {finding.action} - {finding.action_result or 'planned'} ({finding.action_reason})")
    return out


def footer(report: Report) -> list[str]:
    out: list[str] = []
    if report.report_location:
        out.append(f"Full report: {report.report_location}")
    if report.notification:
        out.append(f"Digest: {report.notification}")
    return out


def when(report: Report) -> str:
    return iso(report.generated_at) or ""
