"""The nightly digest: one message per run that reads well in an inbox and in a chat channel.

Pure functions from a Report to the parts of one SNS publish (MessageStructure='json'):
the subject and message attributes (here), the plain text for `default` and `email`
(digest_text), and the AWS Chatbot custom-notification JSON for `https` (digest_chat); which
findings they list, and in which order, is decided once in selection. Sizes are capped here,
not at publish time, so a big account never turns into a failed publish: the digest keeps the
top endpoints by reclaimable $ and says how many more there are; the full list is in the JSON
report the digest names.

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
from dataclasses import dataclass, field
from typing import Any

from cost_watcher.model import Report, Verdict
from cost_watcher.report.digest_chat import render_chatbot
from cost_watcher.report.digest_text import EMAIL_ROWS, render_text
from cost_watcher.report.selection import (
    actions_taken,
    attention,
    attention_regions,
    count,
    failed_actions,
    reclaimable_total,
    reclaimed,
    severity,
)
from cost_watcher.settings import Settings
from cost_watcher.words import money, plural

SUBJECT_LIMIT = 100  # SNS Publish: at most 100 characters, printable ASCII, no line breaks
SNS_MESSAGE_LIMIT = 262_144  # SNS Publish: 256 KiB for the message and its attributes together
SNS_BUDGET = SNS_MESSAGE_LIMIT - 4_096  # room for the subject and attributes, which we also measure


# --- subject and attributes ---------------------------------------------------------------

def _endpoints_phrase(report: Report) -> str:
    idle, underused = count(report.findings, Verdict.IDLE), count(report.findings, Verdict.UNDERUSED)
    if idle and underused:
        return f"{idle:,} idle, {underused:,} underused endpoints"
    if idle:
        return plural(idle, "idle endpoint")
    if underused:
        return plural(underused, "underused endpoint")
    return "no idle endpoints"


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
        parts.append(plural(len(report.errors), "error"))
    head = "cost-watcher: " + ", ".join(parts)
    regions = attention_regions(report)
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
        "idle_endpoints": {"DataType": "Number", "StringValue": str(count(report.findings, Verdict.IDLE))},
        "reclaimable_usd": {"DataType": "Number", "StringValue": str(round(reclaimable_total(report)))},
        "mode": {"DataType": "String", "StringValue": "report" if report.dry_run else "act"},
    }


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
    head, attrs = subject(report), message_attributes(report)
    chatbot = render_chatbot(report, settings, head)
    limit, listable = max(1, rows), len(attention(report))
    while True:
        text = render_text(report, settings, limit)
        digest = Digest(head, text, chatbot, attrs, listed=min(limit, listable), omitted=max(0, listable - limit))
        size = digest.size()
        if size <= SNS_BUDGET or limit == 1:
            return digest
        limit = max(1, min(limit - 1, int(limit * SNS_BUDGET / size)))
