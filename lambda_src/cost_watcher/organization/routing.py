"""Owner routing: each team gets a digest of its own endpoints, the central topic the roll-up.

An endpoint belongs to the destination of its owner tag's value when that value is routed, else to
the destination of its account. Each destination's digest is an ordinary delivery (notify.deliver)
of the part of the report it owns, under its own run id, so it is stored, decided by `notify` and
sent at most once like any digest. What failed to go out is added to the roll-up's errors.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import replace
from datetime import datetime

from cost_watcher.model import Finding, RegionError, Report
from cost_watcher.organization.config import OrgSettings
from cost_watcher.report import notify
from cost_watcher.scan.clients import Clients
from cost_watcher.settings import Settings


def destination(finding: Finding, org: OrgSettings) -> str | None:
    return org.route_of(finding.owner) or org.route_of(finding.account)


def split(report: Report, org: OrgSettings) -> dict[str, Report]:
    """The part of the report each routed destination owns: its findings, and its accounts' errors
    and seen-status (a routed account's errors go to its destination, an owner's to the central topic)."""
    parts: dict[str, Report] = {}
    findings: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        topic = destination(finding, org)
        if topic:
            findings[topic].append(finding)
    topics = dict.fromkeys([*findings, *(topic for _, topic in org.owner_routes)])
    for topic in topics:
        accounts = {key for key, target in org.owner_routes if target == topic}
        parts[topic] = replace(
            report, findings=findings.get(topic, []), api_calls={}, report_location=None, notification=None,
            errors=[e for e in report.errors if e.account in accounts],
            accounts=[a for a in report.accounts if a.id in accounts],
            regions=list(report.regions), ignored=0)
    return parts


def slug(topic_arn: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "-", topic_arn.split(":")[-1])[:64]


def deliver_all(report: Report, settings: Settings, org: OrgSettings, hub: Clients, *, run_id: str | None,
                scheduled: datetime | None) -> None:
    """Every owner's digest, then the roll-up to the central topic (which then says what failed)."""
    for topic, part in split(report, org).items():
        notify.deliver(part, settings.replace(topic_arn=topic), hub,
                       run_id=f"{run_id}--to-{slug(topic)}" if run_id else None, scheduled=scheduled)
        if (part.notification or "").startswith("failed"):
            report.errors.append(RegionError(notify.GLOBAL_REGION, "sns:Publish",
                                             f"the digest for {topic} was not sent: {part.notification}"))
    notify.deliver(report, settings, hub, run_id=run_id, scheduled=scheduled)
