"""The nightly digest: one message per run that reads well in an inbox and in a chat channel.

Pure functions from a Report to the parts of one SNS publish (MessageStructure='json'):
the subject, the plain text for `default` and `email`, the AWS Chatbot (Amazon Q Developer in
chat applications) custom-notification JSON for `https`, and message attributes for
subscription filter policies. Sizes are capped here, not at publish time, so a big account
never turns into a failed publish: the digest keeps the top endpoints by reclaimable $ and
says how many more there are; the full list is in the JSON report the digest names.

Message attributes (for SNS subscription filter policies):
  severity         String  error   part of the account could not be seen, or an action failed
                           action  something was changed this run (reclaimed, marked, unmarked)
                           warning idle/underused endpoints or planned actions, nothing changed
                           info    nothing to report
  actions_taken    Number  changes made this run (deletes, scale-downs, marks, unmarks)
  idle_endpoints   Number  endpoints with verdict idle
  reclaimable_usd  Number  $/month still reclaimable (whole dollars)
  mode             String  report (dry run) | act
"""

from __future__ import annotations

import json
import shlex
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from cost_watcher.model import DESTRUCTIVE_ACTIONS, Action, Finding, Report, Verdict
from cost_watcher.record import action_state
from cost_watcher.settings import Settings

SUBJECT_LIMIT = 100  # SNS Publish: at most 100 characters, printable ASCII, no line breaks
SNS_MESSAGE_LIMIT = 262_144  # SNS Publish: 256 KiB for the message and its attributes together
SNS_BUDGET = SNS_MESSAGE_LIMIT - 4_096  # room for the subject and attributes, which we also measure
# The stored copy of the custom-notification docs we could read stops before its limits table, so
# this is deliberately conservative: Slack's own limit for a section's text is 3,000 characters.
CHATBOT_DESCRIPTION_LIMIT = 3_000
CHATBOT_NEXT_STEPS = 5
CHATBOT_KEYWORDS = 5
EMAIL_ROWS = 50  # endpoints (and items in every other list) in the email before "... and N more"
CHATBOT_ROWS = 10
CHATBOT_SHORT_LIST = 5  # grace-period and problem lines in chat; the email has the full lists
EVENT_TYPE = "CostWatcherDigest"

_VERB = {Action.DELETE: "delete", Action.SCALE_DOWN: "scale down", Action.MARK: "mark", Action.UNMARK: "unmark"}
_DONE = {Action.DELETE: "deleted", Action.SCALE_DOWN: "scaled down", Action.MARK: "marked", Action.UNMARK: "unmarked"}
_EMOJI = {"error": ":warning:", "action": ":recycle:", "warning": ":moneybag:", "info": ":white_check_mark:"}


# --- reading the report -------------------------------------------------------------------

result_kind = action_state  # 'none' | 'planned' | 'done' | 'skipped' | 'failed'


def result_why(finding: Finding) -> str:
    return finding.action_result.why if finding.action_result else ""


def needs_attention(finding: Finding) -> bool:
    """Idle or underused, money left on the table (idle variants), or a reclaim planned or done."""
    return (finding.verdict in (Verdict.IDLE, Verdict.UNDERUSED) or finding.reclaimable_usd > 0
            or finding.action in DESTRUCTIVE_ACTIONS)


def _by_reclaimable(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-f.reclaimable_usd, -(f.monthly_cost_usd or 0.0), f.region, f.name))


def attention(report: Report) -> list[Finding]:
    """The findings the digest lists, most reclaimable $ first."""
    return _by_reclaimable(f for f in report.findings if needs_attention(f))


def reclaimed(report: Report) -> list[Finding]:
    return _by_reclaimable(f for f in report.findings
                           if f.action in DESTRUCTIVE_ACTIONS and result_kind(f) == "done")


def reclaimable_total(report: Report) -> float:
    """$/month still to be had: what this run already reclaimed is counted as reclaimed instead."""
    done = {id(f) for f in reclaimed(report)}
    return sum(f.reclaimable_usd for f in report.findings if id(f) not in done)


def actions_taken(report: Report) -> int:
    return sum(1 for f in report.findings if f.action != Action.NONE and result_kind(f) == "done")


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


def _count(findings: Iterable[Finding], verdict: Verdict) -> int:
    return sum(1 for f in findings if f.verdict == verdict)


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def money(value: float | None) -> str:
    return "?" if value is None else f"${value:,.0f}"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def thread_id(report: Report) -> str:
    """One thread per night in a chat channel."""
    return f"cost-watcher-{_utc(report.generated_at):%Y-%m-%d}"


def restore_command(finding: Finding, ledger: str | None) -> str:
    """The exact command that puts a reclaimed endpoint back (quoted for a POSIX shell)."""
    words = ["cost-watcher", "restore", finding.name, "--region", finding.region]
    if ledger:
        words += ["--ledger", ledger]
    return shlex.join(words)


# --- subject and attributes ---------------------------------------------------------------

def _endpoints_phrase(report: Report) -> str:
    idle, underused = _count(report.findings, Verdict.IDLE), _count(report.findings, Verdict.UNDERUSED)
    if idle and underused:
        return f"{idle:,} idle, {underused:,} underused endpoints"
    if idle:
        return _plural(idle, "idle endpoint")
    if underused:
        return _plural(underused, "underused endpoint")
    return "no idle endpoints"


def _subject_regions(report: Report) -> list[str]:
    listed = attention(report)
    regions = list(dict.fromkeys(f.region for f in listed)) if listed else list(report.regions)
    return regions


def subject(report: Report) -> str:
    """At most 100 printable ASCII characters; drops detail (regions first) until it fits."""
    parts = [_endpoints_phrase(report)]
    total = reclaimable_total(report)
    if total >= 0.5:
        parts.append(f"~{money(total)}/mo reclaimable")
    done = reclaimed(report)
    if done:
        parts.append(f"{len(done):,} reclaimed")
    failed = failed_actions(report)
    if failed:
        parts.append(f"{len(failed):,} failed")
    if report.errors:
        parts.append(_plural(len(report.errors), "error"))
    head = "cost-watcher: " + ", ".join(parts)
    regions = _subject_regions(report)
    candidates = [f"{head} ({', '.join(regions)})"] if regions else []
    if len(regions) > 1:
        candidates += [f"{head} ({regions[0]} +{len(regions) - 1} more)", f"{head} ({len(regions)} regions)"]
    candidates.append(head)
    for candidate in candidates:
        if len(candidate) <= SUBJECT_LIMIT:
            return _ascii(candidate)
    return _ascii(head[: SUBJECT_LIMIT - 3] + "...")


def _ascii(text: str) -> str:
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text).strip()


def message_attributes(report: Report) -> dict[str, dict[str, str]]:
    """SNS MessageAttributes for subscription filter policies (see the module docstring)."""
    return {
        "severity": {"DataType": "String", "StringValue": severity(report)},
        "actions_taken": {"DataType": "Number", "StringValue": str(actions_taken(report))},
        "idle_endpoints": {"DataType": "Number", "StringValue": str(_count(report.findings, Verdict.IDLE))},
        "reclaimable_usd": {"DataType": "Number", "StringValue": str(round(reclaimable_total(report)))},
        "mode": {"DataType": "String", "StringValue": "report" if report.dry_run else "act"},
    }


# --- per-finding words --------------------------------------------------------------------

def last_used(finding: Finding, now: datetime, last_used_days: int) -> str:
    if finding.last_invocation is None:
        return f"{last_used_days}+ days ago"
    days = (_utc(now) - _utc(finding.last_invocation)).days
    return "today" if days <= 0 else _plural(days, "day") + " ago"


def instances(finding: Finding) -> str:
    if not finding.variants or any(v.instance_count is None for v in finding.variants):
        return "?"
    billed = [v for v in finding.variants if v.instance_count]
    if not billed:
        return "none"
    types = {v.instance_type for v in billed}
    count = sum(int(v.instance_count or 0) for v in billed)
    return f"{count} x {types.pop()}" if len(types) == 1 else _plural(count, "instance")


def action_text(finding: Finding, dry_run: bool) -> str:
    """What happens to it, in a few words: 'deleted', 'would delete', 'delete on 2024-06-04' ..."""
    kind = result_kind(finding)
    if finding.action in DESTRUCTIVE_ACTIONS:
        verb = _VERB[finding.action]
        return {"done": _DONE[finding.action], "planned": f"would {verb}" if dry_run else f"{verb} planned",
                "skipped": f"{verb} skipped", "failed": f"{verb} FAILED"}.get(kind, f"{verb} planned")
    if finding.action == Action.UNMARK:
        return "would unmark" if kind == "planned" else ("unmark FAILED" if kind == "failed" else "unmarked")
    if finding.reclaim_on and finding.reclaim_tag:
        return f"{_VERB[Action(finding.reclaim_tag)]} on {finding.reclaim_on.isoformat()}"
    if finding.verdict == Verdict.IDLE and not finding.reclaim_tag:
        return "no opt-in"
    return "-"


def _grace(report: Report) -> list[Finding]:
    """Marked idle and waiting: reclaimed on `reclaim_on` unless traffic returns first."""
    waiting = [f for f in report.findings if f.reclaim_on and f.action not in DESTRUCTIVE_ACTIONS
               and f.action != Action.UNMARK]
    return sorted(waiting, key=lambda f: (f.reclaim_on or date.max, -f.reclaimable_usd, f.region, f.name))


def _scheduled(report: Report) -> list[Finding]:
    """Reclaims due now that did not happen this run: the dry-run plan, and those deferred or skipped."""
    due = [f for f in report.findings
           if f.action in DESTRUCTIVE_ACTIONS and result_kind(f) in ("none", "planned", "skipped")]
    return _by_reclaimable(due)


def _unmarked(report: Report) -> list[Finding]:
    return sorted((f for f in report.findings if f.action == Action.UNMARK and result_kind(f) != "failed"),
                  key=lambda f: (f.region, f.name))


def _unknown(report: Report) -> list[Finding]:
    return sorted((f for f in report.findings if f.verdict == Verdict.UNKNOWN), key=lambda f: (f.region, f.name))


def _first(items: list[Any], limit: int) -> tuple[list[Any], int]:
    return items[:limit], max(0, len(items) - limit)


# --- the plain-text digest (SNS `default` and `email`) -------------------------------------

@dataclass
class _Column:
    title: str
    cell: Callable[[Finding], str]
    right: bool = False


def _table(rows: list[Finding], report: Report, settings: Settings) -> list[str]:
    columns = [
        _Column("ENDPOINT", lambda f: f.name),
        _Column("REGION", lambda f: f.region),
        _Column("VERDICT", lambda f: str(f.verdict)),
        _Column("SCORE", lambda f: str(f.score), right=True),
        _Column("LAST USED", lambda f: last_used(f, report.generated_at, settings.last_used_days)),
        _Column("INSTANCES", instances),
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
    return [f"  ... and {_plural(count, what)}{extra} in the full report."] if count else []


def summary_line(report: Report) -> str:
    seen = len(report.findings) + report.ignored
    idle, underused = _count(report.findings, Verdict.IDLE), _count(report.findings, Verdict.UNDERUSED)
    text = f"Scanned {_plural(seen, 'endpoint')} in {_plural(len(report.regions), 'region')}: "
    text += ", ".join(p for p in (f"{idle:,} idle" if idle else "", f"{underused:,} underused" if underused else "")
                      if p) or "no idle or underused endpoints"
    total = reclaimable_total(report)
    if total >= 0.5:
        text += f", ~{money(total)}/month reclaimable"
    done = reclaimed(report)
    if done:
        text += (f". Reclaimed this run: {_plural(len(done), 'endpoint')} "
                 f"(~{money(sum(f.reclaimable_usd for f in done))}/month)")
    return text + "."


def _mode_line(report: Report, settings: Settings) -> str:
    if report.dry_run:
        return "Mode: report only (dry run). Nothing was changed."
    return (f"Mode: act. Endpoints tagged {settings.tag('reclaim')} are reclaimed after "
            f"{_plural(settings.grace_days, 'idle day')} of grace, at most {settings.max_actions_per_run} a run.")


def render_text(report: Report, settings: Settings, limit: int = EMAIL_ROWS) -> str:
    """The plain-text digest; every list keeps its first `limit` items and says how many more."""
    now = _utc(report.generated_at)
    out = [f"cost-watcher digest, {now:%Y-%m-%d %H:%M} UTC", "", summary_line(report), _mode_line(report, settings)]

    listed, more = _first(attention(report), limit)
    if listed:
        out += ["", "IDLE AND UNDERUSED ENDPOINTS, MOST RECLAIMABLE FIRST (US$ per month)"]
        out += _table(listed, report, settings)
        rest = attention(report)[limit:]
        out += _more(more, "more endpoint", f" (~{money(sum(f.reclaimable_usd for f in rest))}/month reclaimable)")
    others = Counter(str(f.verdict) for f in report.findings if not needs_attention(f))
    if others:
        out += ["", "Not listed: " + ", ".join(f"{n:,} {verdict}" for verdict, n in sorted(others.items())) + "."]
    if report.ignored:
        out += [f"Left out by tag {settings.tag('ignore')}=true: {_plural(report.ignored, 'endpoint')}."]

    out += _section_done(report, limit)
    out += _section_scheduled(report, settings, limit)
    out += _section_grace(report, limit)
    out += _section_unseen(report, limit)
    out += _section_disagreements(report, limit)
    out += _section_opt_in(settings)
    out += _section_restore(report, settings, limit)
    out += ["", "FULL REPORT", f"  {_where(report, settings)}"]
    return "\n".join(out) + "\n"


def _where(report: Report, settings: Settings) -> str:
    if report.report_location:
        return report.report_location
    if settings.ledger:
        return f"not stored: writing it to {settings.ledger} failed (see above)"
    return "not stored (no ledger configured)"


def _section_done(report: Report, limit: int) -> list[str]:
    done = [f for f in report.findings if f.action != Action.NONE and result_kind(f) == "done"]
    done = _by_reclaimable(done)
    if not done:
        return []
    shown, more = _first(done, limit)
    lines = ["", "DONE THIS RUN"]
    for f in shown:
        detail = f"~{money(f.reclaimable_usd)}/month" if f.action in DESTRUCTIVE_ACTIONS else _mark_detail(f)
        lines.append(f"  {_DONE[f.action]:<11}  {f.name} ({f.region}): {detail}")
    return lines + _more(more, "more action")


def _mark_detail(finding: Finding) -> str:
    if finding.action == Action.MARK and finding.reclaim_on and finding.reclaim_tag:
        return f"idle; {_VERB[Action(finding.reclaim_tag)]} on {finding.reclaim_on.isoformat()} unless traffic returns"
    if finding.action == Action.UNMARK:
        return "traffic returned; grace-period mark removed"
    return finding.action_reason or ""


def _section_scheduled(report: Report, settings: Settings, limit: int) -> list[str]:
    due = _scheduled(report)
    if not due:
        return []
    shown, more = _first(due, limit)
    today = _utc(report.generated_at).date().isoformat()
    lines = ["", "SCHEDULED (due now, not done this run)"]
    for f in shown:
        if result_kind(f) == "skipped":
            when, why = "skipped   ", result_why(f) or "no reason given"
        elif report.dry_run:
            when, why = today, "dry run: run with --apply (CLI) or mode=act to do it"
        else:
            when, why = today, "planned"
        saving = f"~{money(f.reclaimable_usd)}/month"
        lines.append(f"  {when}  {_VERB[f.action]:<10}  {f.name} ({f.region}), {saving}: {why}")
    return lines + _more(more, "more scheduled action")


def _section_grace(report: Report, limit: int) -> list[str]:
    waiting = _grace(report)
    if not waiting:
        return []
    shown, more = _first(waiting, limit)
    lines = ["", "IN GRACE PERIOD (reclaimed on the date shown unless traffic returns)"]
    for f in shown:
        since = f", idle since {f.idle_since.isoformat()}" if f.idle_since else ""
        if f.action == Action.MARK and result_kind(f) == "planned":
            since += " (dry run: mark not written)"
        lines.append(f"  {f.reclaim_on.isoformat() if f.reclaim_on else '?':<10}  "
                     f"{_VERB[Action(f.reclaim_tag)] if f.reclaim_tag else 'reclaim':<10}  "
                     f"{f.name} ({f.region}){since}")
    unmarked = _unmarked(report)
    if unmarked:
        names = ", ".join(f"{f.name} ({f.region})" for f in unmarked[:limit])
        lines.append(f"  Traffic returned, mark removed: {names}" + (" ..." if len(unmarked) > limit else ""))
    return lines + _more(more, "more endpoint")


def _section_unseen(report: Report, limit: int) -> list[str]:
    errors = sorted(report.errors, key=lambda e: (e.region, e.operation))
    unknown, failed = _unknown(report), failed_actions(report)
    if not (errors or unknown or failed):
        return []
    lines = ["", "COULD NOT BE SEEN OR DONE (nothing here was acted on)"]
    shown, more = _first(errors, limit)
    lines += [f"  {e.region}  {e.operation}: {_one_line(e.message)}" for e in shown] + _more(more, "more error")
    shown, more = _first(failed, limit)
    lines += [f"  {f.name} ({f.region}): {_VERB[f.action]} failed: {_one_line(result_why(f))}" for f in shown]
    lines += _more(more, "more failed action")
    shown, more = _first(unknown, limit)
    lines += [f"  {f.name} ({f.region}): verdict unknown: {_one_line(f.reason)}" for f in shown]
    return lines + _more(more, "more endpoint with unknown verdict")


def disagreements(report: Report) -> list[Finding]:
    """Where AWS Compute Optimizer's idle view differs from ours (it never decides anything)."""
    return [f for f in _by_reclaimable(report.findings) if f.aws_opinion == "disagrees"]


def _section_disagreements(report: Report, limit: int) -> list[str]:
    found = disagreements(report)
    if not found:
        return []
    shown, more = _first(found, limit)
    lines = ["", "AWS COMPUTE OPTIMIZER SEES IT DIFFERENTLY (for a second look; it changes nothing)"]
    lines += [f"  {f.name} ({f.region}): we say {f.verdict}; AWS: {_one_line(f.aws_finding or 'not idle')}"
              for f in shown]
    return lines + _more(more, "more endpoint")


def _one_line(text: str, width: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def _section_opt_in(settings: Settings) -> list[str]:
    reclaim, ignore = settings.tag("reclaim"), settings.tag("ignore")
    rows = [(f"{reclaim}=delete", f"delete it after {_plural(settings.grace_days, 'idle day')} (restorable)"),
            (f"{reclaim}=scale-down", "scale it down to one instance"),
            (f"{ignore}=true", "leave it out of this digest")]
    width = max(len(tag) for tag, _ in rows)
    return (["", "HOW TO OPT IN OR OUT (tags on the endpoint)"]
            + [f"  {tag:<{width}}  {meaning}" for tag, meaning in rows]
            + [f"  Remove the {reclaim} tag to opt out. For example:",
               f"  aws sagemaker add-tags --resource-arn ENDPOINT_ARN --tags Key={reclaim},Value=delete"])


def _section_restore(report: Report, settings: Settings, limit: int) -> list[str]:
    done = reclaimed(report)
    if not done:
        return []
    shown, more = _first(done, limit)
    lines = ["", "TO UNDO A RECLAIM"]
    lines += [f"  {restore_command(f, settings.ledger)}" for f in shown]
    return lines + _more(more, "more restore command")


# --- the AWS Chatbot custom notification (SNS `https`) -------------------------------------

def render_chatbot(report: Report, settings: Settings, limit: int = CHATBOT_ROWS) -> dict[str, Any]:
    """A custom notification (version 1.0, source custom) whose description fits the chat limit."""
    level = severity(report)
    subject_text = subject(report)
    description = _chatbot_description(report, settings, limit)
    while len(description) > CHATBOT_DESCRIPTION_LIMIT and limit > 1:
        limit = max(1, limit // 2)
        description = _chatbot_description(report, settings, limit)
    if len(description) > CHATBOT_DESCRIPTION_LIMIT:
        description = description[: CHATBOT_DESCRIPTION_LIMIT - 40].rstrip() + "\n_...cut short: see the full report._"
    listed, _ = _first(attention(report), limit)
    regions = _subject_regions(report)
    return {
        "version": "1.0",
        "source": "custom",
        "id": f"cost-watcher-{_utc(report.generated_at):%Y%m%dT%H%M%SZ}",
        "content": {
            "textType": "client-markdown",
            "title": f"{_EMOJI[level]} {subject_text}",
            "description": description,
            "nextSteps": _next_steps(report, settings),
            "keywords": ["cost-watcher", "report" if report.dry_run else "act", *regions][:CHATBOT_KEYWORDS],
        },
        "metadata": {
            "threadId": thread_id(report),
            "summary": subject_text,
            "eventType": EVENT_TYPE,
            "relatedResources": [(f.endpoint.arn if f.endpoint and f.endpoint.arn else f.name) for f in listed],
            "additionalContext": {
                "severity": level,
                "reclaimableUsd": str(round(reclaimable_total(report))),
                "report": report.report_location or "",
            },
        },
    }


def _chatbot_description(report: Report, settings: Settings, limit: int) -> str:
    lines = [f"*{summary_line(report)}*", _mode_line(report, settings)]
    everything = attention(report)
    listed, more = _first(everything, limit)
    if listed:
        lines += ["", "*Most reclaimable first*"]
        for f in listed:
            action = action_text(f, report.dry_run)
            lines.append(f"\u2022 `{f.name}` ({f.region}): {f.verdict}, last used "
                         f"{last_used(f, report.generated_at, settings.last_used_days)}, "
                         f"~{money(f.reclaimable_usd)}/mo" + (f": *{action}*" if action != "-" else ""))
        if more:
            rest = sum(f.reclaimable_usd for f in everything[limit:])
            lines.append(f"_...and {_plural(more, 'more endpoint')} (~{money(rest)}/mo) in the full report._")
    waiting, more = _first(_grace(report), min(limit, CHATBOT_SHORT_LIST))
    if waiting:
        lines += ["", "*In grace period*"]
        lines += [f"\u2022 `{f.name}` ({f.region}): {action_text(f, report.dry_run)} unless traffic returns"
                  for f in waiting]
        lines += [f"_...and {more:,} more._"] if more else []
    problems = [f"{e.region} `{e.operation}`: {_one_line(e.message, 120)}" for e in report.errors]
    problems += [f"`{f.name}` ({f.region}): {_VERB[f.action]} failed: {_one_line(result_why(f), 120)}"
                 for f in failed_actions(report)]
    unknown = _unknown(report)
    if unknown:
        problems.append(f"{_plural(len(unknown), 'endpoint')} with unreadable metrics (verdict unknown, not acted on)")
    if problems:
        shown, more = _first(problems, min(limit, CHATBOT_SHORT_LIST))
        lines += ["", "*Could not be seen or done*"] + [f"\u2022 {p}" for p in shown]
        lines += [f"_...and {more:,} more._"] if more else []
    return "\n".join(lines)


def _next_steps(report: Report, settings: Settings) -> list[str]:
    steps: list[str] = []
    done = reclaimed(report)
    room = CHATBOT_NEXT_STEPS - 2
    shown = done[: room if len(done) <= room else room - 1]
    steps += [f"Undo: `{restore_command(f, settings.ledger)}`" for f in shown]
    if len(done) > len(shown):
        steps.append(f"{len(done) - len(shown):,} more restore commands are in the email digest")
    steps.append(f"Opt in: tag an endpoint `{settings.tag('reclaim')}=delete` or `=scale-down`; "
                 f"opt out: remove it, or `{settings.tag('ignore')}=true`")
    steps.append(f"Full report: `{report.report_location}`" if report.report_location
                 else f"Full report: {_where(report, settings)}")
    return steps


# --- putting one message together, within SNS's size limit --------------------------------

@dataclass(frozen=True)
class Digest:
    subject: str
    text: str
    chatbot: dict[str, Any]
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    listed: int = 0  # endpoints listed in the email
    omitted: int = 0  # endpoints left out of the email for size ("... and N more")

    def message(self) -> str:
        """The Message for Publish(MessageStructure='json'): one string per protocol."""
        return json.dumps({"default": self.text, "email": self.text, "https": json.dumps(self.chatbot)})

    def size(self) -> int:
        """Bytes SNS counts against its 256 KiB limit: the message plus its attributes (and subject)."""
        attributes = sum(len(name) + len(value["DataType"]) + len(value["StringValue"].encode())
                         for name, value in self.attributes.items())
        return len(self.message().encode()) + attributes + len(self.subject.encode())


def build(report: Report, settings: Settings, *, rows: int = EMAIL_ROWS) -> Digest:
    """The whole digest; lists shrink (top by $ kept) until the message fits SNS's limit."""
    head, attrs, chatbot = subject(report), message_attributes(report), render_chatbot(report, settings)
    limit, listable = max(1, rows), len(attention(report))
    while True:
        text = render_text(report, settings, limit)
        digest = Digest(head, text, chatbot, attrs, listed=min(limit, listable), omitted=max(0, listable - limit))
        size = digest.size()
        if size <= SNS_BUDGET or limit == 1:
            return digest
        limit = max(1, min(limit - 1, int(limit * SNS_BUDGET / size)))
