"""The plain-text digest (SNS `default` and `email`): a table of what needs attention, then its sections.

Every list keeps its first `limit` items and says how many more there are, so the caller can shrink
the text to fit SNS's limit; the full list is in the JSON report the digest names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from cost_watcher.model import DESTRUCTIVE_ACTIONS, Action, Finding, Report
from cost_watcher.report import by_account
from cost_watcher.report.phrases import (
    DONE,
    VERB,
    action_text,
    last_used_phrase,
    mode_line,
    one_line,
    report_whereabouts,
    restore_command,
    summary_line,
)
from cost_watcher.report.quiet_hours import section_text as _section_quiet_hours
from cost_watcher.report.selection import (
    attention,
    disagreements,
    done_this_run,
    failed_actions,
    first,
    in_grace,
    needs_attention,
    reclaimed,
    result_kind,
    result_why,
    scheduled,
    unknown,
    unmarked,
)
from cost_watcher.settings import Settings
from cost_watcher.words import instances, money, plural, utc

T = TypeVar("T")

EMAIL_ROWS = 50  # endpoints (and items in every other list) in the email before "... and N more"


def render_text(report: Report, settings: Settings, limit: int = EMAIL_ROWS) -> str:
    """The plain-text digest; every list keeps its first `limit` items and says how many more."""
    now = utc(report.generated_at)
    out = [f"cost-watcher digest, {now:%Y-%m-%d %H:%M} UTC", "", summary_line(report), mode_line(report, settings)]
    out += _section_accounts(report, limit)

    listed, more = first(attention(report), limit)
    if listed:
        out += ["", "IDLE AND UNDERUSED ENDPOINTS, MOST RECLAIMABLE FIRST (US$ per month)"]
        out += _table(listed, report, settings)
        rest = attention(report)[limit:]
        out += _more(more, "more endpoint", f" (~{money(sum(f.reclaimable_usd for f in rest))}/month reclaimable)")
    others = Counter(str(f.verdict) for f in report.findings if not needs_attention(f))
    if others:
        out += ["", "Not listed: " + ", ".join(f"{n:,} {verdict}" for verdict, n in sorted(others.items())) + "."]
    if report.ignored:
        out += [f"Left out by tag {settings.tags.ignore}=true: {plural(report.ignored, 'endpoint')}."]

    out += _section_done(report, limit)
    out += _section_scheduled(report, limit)
    out += _section_grace(report, limit)
    out += _section_quiet_hours(report, settings.tags, limit)
    out += _section_unseen(report, limit)
    out += _section_disagreements(report, limit)
    out += _section_opt_in(settings)
    out += _section_restore(report, settings, limit)
    out += ["", "FULL REPORT", f"  {report_whereabouts(report, settings)}"]
    return "\n".join(out) + "\n"


@dataclass
class _Column:
    title: str
    cell: Callable[[Finding], str]
    right: bool = False


def _table(rows: list[Finding], report: Report, settings: Settings) -> list[str]:
    columns = [
        _Column("ENDPOINT", lambda f: f.name),
        *([_Column("ACCOUNT", by_account.account_of)] if report.accounts else []),
        _Column("REGION", lambda f: f.region),
        _Column("VERDICT", lambda f: str(f.verdict)),
        _Column("SCORE", lambda f: str(f.score), right=True),
        _Column("LAST USED", lambda f: last_used_phrase(f, report, settings)),
        _Column("INSTANCES", lambda f: instances(f.variants)),
        _Column("COST/MO", lambda f: money(f.monthly_cost_usd), right=True),
        _Column("RECLAIMABLE", lambda f: money(f.reclaimable_usd), right=True),
        _Column("ACTION", lambda f: action_text(f, report.dry_run)),
    ]
    cells = [[c.cell(f) for c in columns] for f in rows]
    widths = [max([len(c.title)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        padded = [v.rjust(w) if c.right else v.ljust(w) for v, w, c in zip(values, widths, columns, strict=True)]
        return ("  " + "  ".join(padded)).rstrip()

    return [line([c.title for c in columns])] + [line(row) for row in cells]


def _more(count: int, what: str, extra: str = "") -> list[str]:
    return [f"  ... and {plural(count, what)}{extra} in the full report."] if count else []


def _listed(items: list[T], limit: int, line: Callable[[T], str], what: str) -> list[str]:
    """The first `limit` items, a line each, then how many more are in the full report."""
    shown, more = first(items, limit)
    return [line(item) for item in shown] + _more(more, what)


def _section(title: str, items: list[T], limit: int, line: Callable[[T], str], what: str) -> list[str]:
    """A titled `_listed`; nothing at all (not even the title) when there are no items."""
    return ["", title, *_listed(items, limit, line, what)] if items else []


def _section_done(report: Report, limit: int) -> list[str]:
    def line(f: Finding) -> str:
        detail = f"~{money(f.reclaimable_usd)}/month" if f.action in DESTRUCTIVE_ACTIONS else _mark_detail(f)
        return f"  {DONE[f.action]:<11}  {f.name} ({f.region}): {detail}"

    return _section("DONE THIS RUN", done_this_run(report), limit, line, "more action")


def _mark_detail(finding: Finding) -> str:
    if finding.action == Action.MARK and finding.reclaim_on and finding.reclaim_tag:
        return f"idle; {VERB[Action(finding.reclaim_tag)]} on {finding.reclaim_on.isoformat()} unless traffic returns"
    if finding.action == Action.UNMARK:
        return "traffic returned; grace-period mark removed"
    return finding.action_reason or ""


def _section_scheduled(report: Report, limit: int) -> list[str]:
    today = utc(report.generated_at).date().isoformat()

    def line(f: Finding) -> str:
        if result_kind(f) == "skipped":
            when, why = "skipped   ", result_why(f) or "no reason given"
        elif report.dry_run:
            when, why = today, "dry run: run with --apply (CLI) or mode=act to do it"
        else:
            when, why = today, "planned"
        return f"  {when}  {VERB[f.action]:<10}  {f.name} ({f.region}), ~{money(f.reclaimable_usd)}/month: {why}"

    return _section("SCHEDULED (due now, not done this run)", scheduled(report), limit, line,
                    "more scheduled action")


def _section_grace(report: Report, limit: int) -> list[str]:
    waiting = in_grace(report)
    if not waiting:
        return []
    shown, more = first(waiting, limit)
    lines = ["", "IN GRACE PERIOD (reclaimed on the date shown unless traffic returns)"]
    for f in shown:
        since = f", idle since {f.idle_since.isoformat()}" if f.idle_since else ""
        if f.action == Action.MARK and result_kind(f) == "planned":
            since += " (dry run: mark not written)"
        lines.append(f"  {f.reclaim_on.isoformat() if f.reclaim_on else '?':<10}  "
                     f"{VERB[Action(f.reclaim_tag)] if f.reclaim_tag else 'reclaim':<10}  "
                     f"{f.name} ({f.region}){since}")
    back = unmarked(report)
    if back:  # after the grace list and before its "... and N more", as one paragraph
        names = ", ".join(f"{f.name} ({f.region})" for f in back[:limit])
        lines.append(f"  Traffic returned, mark removed: {names}" + (" ..." if len(back) > limit else ""))
    return lines + _more(more, "more endpoint")


def _section_unseen(report: Report, limit: int) -> list[str]:
    errors = sorted(report.errors, key=lambda e: (e.region, e.operation))
    unread, failed = unknown(report), failed_actions(report)
    if not (errors or unread or failed):
        return []
    return ["", "COULD NOT BE SEEN OR DONE (nothing here was acted on)",
            *_listed(errors, limit, lambda e: f"  {by_account.place(e)}  {e.operation}: {one_line(e.message)}",
                     "more error"),
            *_listed(failed, limit, lambda f: f"  {f.name} ({f.region}): {VERB[f.action]} failed: "
                                              f"{one_line(result_why(f))}", "more failed action"),
            *_listed(unread, limit, lambda f: f"  {f.name} ({f.region}): verdict unknown: {one_line(f.reason)}",
                     "more endpoint with unknown verdict")]


def _section_disagreements(report: Report, limit: int) -> list[str]:
    def line(f: Finding) -> str:
        return f"  {f.name} ({f.region}): we say {f.verdict}; AWS: {one_line(f.aws_finding or 'not idle')}"

    return _section("AWS COMPUTE OPTIMIZER SEES IT DIFFERENTLY (for a second look; it changes nothing)",
                    disagreements(report), limit, line, "more endpoint")


def _section_opt_in(settings: Settings) -> list[str]:
    reclaim, ignore = settings.tags.reclaim, settings.tags.ignore
    rows = [(f"{reclaim}=delete", f"delete it after {plural(settings.grace_days, 'idle day')} (restorable)"),
            (f"{reclaim}=scale-down", "scale it down to one instance"),
            (f"{reclaim}=schedule", "scale it in during its quiet hours, back before traffic returns"),
            (f"{ignore}=true", "leave it out of this digest")]
    width = max(len(tag) for tag, _ in rows)
    return (["", "HOW TO OPT IN OR OUT (tags on the endpoint)"]
            + [f"  {tag:<{width}}  {meaning}" for tag, meaning in rows]
            + [f"  Remove the {reclaim} tag to opt out. For example:",
               f"  aws sagemaker add-tags --resource-arn ENDPOINT_ARN --tags Key={reclaim},Value=delete"])


def _section_restore(report: Report, settings: Settings, limit: int) -> list[str]:
    return _section("TO UNDO A RECLAIM", reclaimed(report), limit, lambda f: f"  {restore_command(f, settings.ledger)}",
                    "more restore command")


def _section_accounts(report: Report, limit: int) -> list[str]:
    """Organization mode: the totals of every account before any endpoint."""
    if not report.accounts:
        return []
    return ["", f"BY ACCOUNT ({by_account.summary(report)}), MOST RECLAIMABLE FIRST",
            *_listed(by_account.totals(report), limit, lambda t: f"  {by_account.total_line(t)}", "more account")]
