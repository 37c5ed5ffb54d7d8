"""The AWS Chatbot (Amazon Q Developer in chat applications) custom notification: SNS `https`.

A chat message is read at a glance: the top endpoints, the grace period and the problems, each
a short list, with the description kept within the chat limit (it halves its lists until it fits).
"""

from __future__ import annotations

from typing import Any

from cost_watcher.model import Report
from cost_watcher.report import by_account
from cost_watcher.report.phrases import (
    VERB,
    action_text,
    last_used_phrase,
    mode_line,
    one_line,
    report_whereabouts,
    restore_command,
    summary_line,
)
from cost_watcher.report.quiet_hours import section_chat
from cost_watcher.report.selection import (
    attention,
    attention_regions,
    failed_actions,
    first,
    in_grace,
    reclaimable_total,
    reclaimed,
    result_why,
    severity,
    unknown,
)
from cost_watcher.settings import Settings
from cost_watcher.words import money, plural, utc

# The stored copy of the custom-notification docs we could read stops before its limits table, so
# this is deliberately conservative: Slack's own limit for a section's text is 3,000 characters.
CHATBOT_DESCRIPTION_LIMIT = 3_000
CHATBOT_NEXT_STEPS = 5
CHATBOT_KEYWORDS = 5
CHATBOT_ROWS = 10
CHATBOT_SHORT_LIST = 5  # grace-period and problem lines in chat; the email has the full lists
EVENT_TYPE = "CostWatcherDigest"

_EMOJI = {"error": ":warning:", "action": ":recycle:", "warning": ":moneybag:", "info": ":white_check_mark:"}


def thread_id(report: Report) -> str:
    """One thread per night in a chat channel."""
    return f"cost-watcher-{utc(report.generated_at):%Y-%m-%d}"


def render_chatbot(report: Report, settings: Settings, subject: str, limit: int = CHATBOT_ROWS) -> dict[str, Any]:
    """A custom notification (version 1.0, source custom) whose description fits the chat limit.

    `subject` is the digest's subject line: the chat title and summary say the same as the email."""
    level = severity(report)
    description = _chatbot_description(report, settings, limit)
    while len(description) > CHATBOT_DESCRIPTION_LIMIT and limit > 1:
        limit = max(1, limit // 2)
        description = _chatbot_description(report, settings, limit)
    if len(description) > CHATBOT_DESCRIPTION_LIMIT:
        description = description[: CHATBOT_DESCRIPTION_LIMIT - 40].rstrip() + "\n_...cut short: see the full report._"
    listed, _ = first(attention(report), limit)
    return {
        "version": "1.0",
        "source": "custom",
        "id": f"cost-watcher-{utc(report.generated_at):%Y%m%dT%H%M%SZ}",
        "content": {
            "textType": "client-markdown",
            "title": f"{_EMOJI[level]} {subject}",
            "description": description,
            "nextSteps": _next_steps(report, settings),
            "keywords": ["cost-watcher", "report" if report.dry_run else "act", *attention_regions(report)][
                :CHATBOT_KEYWORDS
            ],
        },
        "metadata": {
            "threadId": thread_id(report),
            "summary": subject,
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
    lines = [f"*{summary_line(report)}*", mode_line(report, settings)]
    if report.accounts:  # organization mode: the accounts first
        shown, more = first(by_account.totals(report), min(limit, CHATBOT_SHORT_LIST))
        lines += ["", f"*By account* ({by_account.summary(report)})"] + [f"\u2022 {by_account.total_line(t)}"
                                                                        for t in shown]
        lines += [f"_...and {more:,} more._"] if more else []
    everything = attention(report)
    listed, more = first(everything, limit)
    if listed:
        lines += ["", "*Most reclaimable first*"]
        for f in listed:
            action = action_text(f, report.dry_run)
            lines.append(f"\u2022 `{f.name}` ({f.region}): {f.verdict}, last used "
                         f"{last_used_phrase(f, report, settings)}, "
                         f"~{money(f.reclaimable_usd)}/mo" + (f": *{action}*" if action != "-" else ""))
        if more:
            rest = sum(f.reclaimable_usd for f in everything[limit:])
            lines.append(f"_...and {plural(more, 'more endpoint')} (~{money(rest)}/mo) in the full report._")
    waiting, more = first(in_grace(report), min(limit, CHATBOT_SHORT_LIST))
    if waiting:
        lines += ["", "*In grace period*"]
        lines += [f"\u2022 `{f.name}` ({f.region}): {action_text(f, report.dry_run)} unless traffic returns"
                  for f in waiting]
        lines += [f"_...and {more:,} more._"] if more else []
    lines += section_chat(report, settings.tags, min(limit, CHATBOT_SHORT_LIST))
    problems = [f"{by_account.place(e)} `{e.operation}`: {one_line(e.message, 120)}" for e in report.errors]
    problems += [f"`{f.name}` ({f.region}): {VERB[f.action]} failed: {one_line(result_why(f), 120)}"
                 for f in failed_actions(report)]
    unread = unknown(report)
    if unread:
        problems.append(f"{plural(len(unread), 'endpoint')} with unreadable metrics (verdict unknown, not acted on)")
    if problems:
        shown, more = first(problems, min(limit, CHATBOT_SHORT_LIST))
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
    steps.append(f"Opt in: tag an endpoint `{settings.tags.reclaim}=delete`, `=scale-down` or `=schedule` "
                 f"(quiet hours); opt out: remove it, or `{settings.tags.ignore}=true`")
    steps.append(f"Full report: `{report.report_location}`" if report.report_location
                 else f"Full report: {report_whereabouts(report, settings)}")
    return steps
