"""The report of one run: its versioned JSON form and summary counts (the table is in report/table.py).

The JSON is a contract (scripts read it): fields are only ever added within a schema
version; renaming or removing one bumps SCHEMA.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from cost_watcher.model import (
    AccountSeen,
    Action,
    Finding,
    Outcome,
    RegionError,
    Report,
    Schedule,
    VariantFinding,
    Verdict,
)

SCHEMA = "cost-watcher/report/v1"


def iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value.isoformat()


def action_state(finding: Finding) -> str:
    """'planned' | 'done' | 'skipped' | 'failed' | 'none': the first word of the result."""
    if not finding.action_result:
        return "none"
    return str(finding.action_result.kind)


def summarize(report: Report) -> dict[str, Any]:
    verdicts = Counter(str(f.verdict) for f in report.findings)
    actions = Counter(f"{f.action}:{action_state(f)}" for f in report.findings if str(f.action) != "none")
    return {
        "endpoints": len(report.findings),
        "ignored": report.ignored,
        "by_verdict": {str(v): verdicts.get(str(v), 0) for v in Verdict},
        "monthly_cost_usd": round(sum(f.monthly_cost_usd or 0.0 for f in report.findings), 2),
        "reclaimable_usd": round(sum(f.reclaimable_usd for f in report.findings), 2),
        "unpriced_endpoints": sum(
            1 for f in report.findings if f.monthly_cost_usd is None and f.endpoint and f.endpoint.described
        ),
        "actions": dict(sorted(actions.items())),
        "aws_opinions": dict(sorted(Counter(f.aws_opinion for f in report.findings if f.aws_opinion).items())),
        "by_kind": dict(sorted(Counter(f.kind for f in report.findings if f.kind).items())),
        "errors": len(report.errors),
        "schedules": len(scheduled(report)),
        "schedule_savings_usd": round(schedule_savings(report), 2),
    }


def schedule_savings(report: Report) -> float:
    """What the schedules save beyond the reclaimable total: an underused endpoint's scale-down
    already counts its quiet hours, so only what a schedule saves on top of it is added (never
    the same dollar twice)."""
    return sum(max(0.0, (f.schedule.monthly_savings_usd or 0.0) - f.reclaimable_usd) for f in scheduled(report))


def scheduled(report: Report) -> list[Finding]:
    """Findings with quiet-hours schedules: their savings are counted apart from idle waste."""
    return [f for f in report.findings if f.schedule is not None]


def schedule_to_dict(schedule: Schedule | None) -> dict[str, Any] | None:
    if schedule is None:
        return None
    return {"windows": schedule.windows, "timezone": schedule.timezone, "scale_to": schedule.scale_to,
            "monthly_savings_usd": schedule.monthly_savings_usd, "quiet_hours_per_week": schedule.quiet_hours_per_week,
            "summary": schedule.sentence}


def schedule_from_dict(data: dict[str, Any] | None) -> Schedule | None:
    if not data:
        return None
    return Schedule(list(data["windows"]), data["timezone"], dict(data["scale_to"]), data.get("monthly_savings_usd"),
                    int(data.get("quiet_hours_per_week", 0)), sentence=data.get("summary", ""))


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    return {
        "name": finding.name,
        "region": finding.region,
        "status": finding.status,
        "created": iso(finding.created),
        "verdict": str(finding.verdict),
        "score": finding.score,
        "last_invocation": iso(finding.last_invocation),
        "invocations": finding.invocations,
        "variants": [
            {
                "name": v.name,
                "instance_type": v.instance_type,
                "instance_count": v.instance_count,
                "invocations": v.invocations,
                "verdict": str(v.verdict),
                "monthly_cost_usd": v.monthly_cost_usd,
                "role": v.role,
            }
            for v in finding.variants
        ],
        "inference_components": finding.components,
        "monthly_cost_usd": finding.monthly_cost_usd,
        "reclaimable_usd": finding.reclaimable_usd,
        "price_source": finding.price_source,
        "reclaim_tag": finding.reclaim_tag,
        "idle_since": iso(finding.idle_since),
        "action": str(finding.action),
        "action_result": finding.action_result,
        "action_reason": finding.action_reason,
        "reclaim_on": iso(finding.reclaim_on),
        "reason": finding.reason,
        "advice": finding.advice,
        "warnings": finding.warnings,
        "kind": finding.kind,
        "aws_opinion": finding.aws_opinion,
        "aws_finding": finding.aws_finding,
        "schedule": schedule_to_dict(finding.schedule),
        **_account_fields(finding),
    }


def _account_fields(finding: Finding) -> dict[str, Any]:
    """Organization mode only (optional within v1): the account a finding lives in, and its owner tag."""
    if finding.account is None:
        return {}
    return {"account": finding.account, "account_name": finding.account_name, "owner": finding.owner}


def finding_from_dict(data: dict[str, Any]) -> Finding:
    """The inverse of finding_to_dict (without the scanned endpoint): a finding kept by an
    earlier attempt of the run, for a report that can no longer scan it."""
    return Finding(
        name=data["name"], region=data["region"], status=data["status"], created=_datetime(data["created"]),
        verdict=Verdict(data["verdict"]), score=data["score"], reason=data["reason"],
        last_invocation=_datetime(data.get("last_invocation")), invocations=data.get("invocations", 0.0),
        variants=[VariantFinding(v["name"], v.get("instance_type"), v.get("instance_count"), v.get("invocations", 0.0),
                                 Verdict(v["verdict"]), v.get("monthly_cost_usd"), role=v.get("role", "production"))
                  for v in data.get("variants", [])],
        components=list(data.get("inference_components", [])), monthly_cost_usd=data.get("monthly_cost_usd"),
        reclaimable_usd=data.get("reclaimable_usd", 0.0), price_source=data.get("price_source"),
        reclaim_tag=data.get("reclaim_tag"), idle_since=_date(data.get("idle_since")), advice=data.get("advice"),
        warnings=list(data.get("warnings", [])), action=Action(data.get("action", "none")),
        action_result=Outcome.parse(data.get("action_result")), action_reason=data.get("action_reason"),
        reclaim_on=_date(data.get("reclaim_on")), kind=data.get("kind"), aws_opinion=data.get("aws_opinion"),
        aws_finding=data.get("aws_finding"), schedule=schedule_from_dict(data.get("schedule")),
        account=data.get("account"), account_name=data.get("account_name"), owner=data.get("owner"),
    )


def _datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def report_to_dict(report: Report) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "generated_at": iso(report.generated_at),
        "lookback_days": report.lookback_days,
        "regions": report.regions,
        "dry_run": report.dry_run,
        "endpoints": [finding_to_dict(f) for f in report.findings],
        "summary": summarize(report),
        "errors": [{"region": e.region, "operation": e.operation, "message": e.message,
                    **({"account": e.account} if e.account else {})} for e in report.errors],
        "report_location": report.report_location,
        "notification": report.notification,
        "api_calls": dict(sorted(report.api_calls.items())),
        **({"accounts": [{"id": a.id, "name": a.name, "seen": a.seen} for a in report.accounts]}
           if report.accounts else {}),
    }



def report_from_dict(data: dict[str, Any]) -> Report:
    """The inverse of report_to_dict (findings without their scanned endpoints): a stored report,
    for `cost-watcher report` to show again in any format, and each item's report an organization
    run merges."""
    return Report(
        generated_at=_datetime(data["generated_at"]) or datetime.min, lookback_days=data["lookback_days"],
        regions=list(data.get("regions", [])), dry_run=data.get("dry_run", True),
        findings=[finding_from_dict(f) for f in data.get("endpoints", [])],
        errors=[RegionError(e["region"], e["operation"], e["message"], e.get("account"))
                for e in data.get("errors", [])],
        ignored=data.get("summary", {}).get("ignored", 0), api_calls=dict(data.get("api_calls", {})),
        report_location=data.get("report_location"), notification=data.get("notification"),
        accounts=[AccountSeen(a["id"], a["name"], a["seen"]) for a in data.get("accounts", [])],
    )
