"""The nightly phase of quiet-hours schedules (`reclaim=schedule`): mark, apply, re-check, withdraw.

    apply_schedules(findings, settings, clients, now, report)

runs after reclaim.apply, for the findings whose owner tagged `<prefix>reclaim=schedule`.
Each one's decision is judge/quiet_policy.py's, from its timetable, its `quiet-since` mark
and the schedule in place (the newest `schedule` record in the ledger). Applying writes the
record first (the target's original limits, whether we registered it, the windows), then
registers a target where there was none and puts our scheduled actions. A re-check that finds
traffic in a quiet window, or no timetable any more, withdraws them (an `unschedule` record
says why) and removes the mark, so a new timetable starts a new grace period. A dry run only
plans. New schedules count against `max_actions_per_run` separately from deletions. Near the
function's time limit (`deadline`) no schedule is started or withdrawn: the next run does it, so
none is left half put.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from cost_watcher.aws import AwsClients
from cost_watcher.errors import describe_error
from cost_watcher.judge import quiet_policy, schedule
from cost_watcher.judge.policy import endpoint_state
from cost_watcher.judge.quiet_policy import Applied
from cost_watcher.judge.tags import parse_tags
from cost_watcher.model import Action, Finding, Outcome, RegionError, Report
from cost_watcher.reclaim import actions
from cost_watcher.reclaim import scheduled_actions as sa
from cost_watcher.reclaim.apply import DIGEST_SECONDS
from cost_watcher.reclaim.context import fail, failure
from cost_watcher.reclaim.ledger import Ledger, LedgerError, Record, open_ledger
from cost_watcher.settings import Settings

OPT_IN = "schedule"
SCHEDULE_SECONDS = 30  # a record, a target and a few scheduled actions: calls, no waiting
SCHEDULE_RECORDS = ("schedule", "unschedule", "restore")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def apply_schedules(findings: list[Finding], settings: Settings, clients: AwsClients, now: datetime,
                    report: Report, clock: Callable[[], datetime] = _utc_now, *,
                    deadline: datetime | None = None) -> None:
    """Decide and (unless dry run) carry out every opted-in endpoint's schedule. Never raises."""
    errored = report.regions_with_errors()
    if not settings.dry_run:  # a report run withdraws nothing, so it spends no call looking
        _discover_marks(findings, settings, clients, report)
    opted = [f for f in findings if f.reclaim_tag == OPT_IN or (_marked(f, settings) and f.action == Action.NONE)]
    if not opted:
        return
    ledger: Ledger | None = None
    if settings.ledger:
        try:
            ledger = open_ledger(settings.ledger, clients)
        except LedgerError as error:
            for finding in opted:
                fail(finding, report, "ledger", f"{error}; schedule not re-checked")
            return
    new = 0
    for finding in opted:
        try:
            record = _latest(ledger, finding)
        except LedgerError as error:
            fail(finding, report, "ledger", f"{error}; schedule not re-checked")
            continue
        applied = _applied(record, None if settings.dry_run else clients.autoscaling(finding.region), finding)
        if applied is not None:  # scaled in now, perhaps: price it from the counts it was applied to
            finding.schedule = _replan(finding, record)
        endpoint = finding.endpoint
        mark = parse_tags(endpoint.tags, settings.tag_prefix).quiet_since if endpoint else None
        decision = quiet_policy.decide(finding, finding.schedule, mark, applied, settings, now,
                                       region_has_errors=finding.region in errored,
                                       opted_in=finding.reclaim_tag == OPT_IN or not (endpoint and endpoint.described))
        finding.action, finding.action_reason = decision.action, decision.reason or None
        finding.reclaim_on, finding.action_result = decision.reclaim_on, None
        if decision.action == Action.NONE:
            continue
        if decision.blocked:
            finding.action_result = Outcome.skipped(decision.blocked)
            continue
        fresh = decision.action == Action.SCHEDULE and applied is None
        if fresh and new >= settings.max_actions_per_run:
            finding.action_result = Outcome.skipped(f"deferred: at most {settings.max_actions_per_run} new "
                                                    "schedules a run (max_actions_per_run)")
            continue
        new += fresh
        if settings.dry_run:
            finding.action_result = Outcome.planned()
            continue
        short = _too_little_time(deadline, clock())
        if short:
            finding.action_result = Outcome.skipped(short)
            continue
        _act(finding, settings, clients, now.date(), report, ledger, record, clock)


def _too_little_time(deadline: datetime | None, now: datetime) -> str | None:
    """Why not to start a schedule change now, or None: it and the digest must fit before the limit."""
    if deadline is None:
        return None
    left = (deadline - now).total_seconds()
    needed = SCHEDULE_SECONDS + DIGEST_SECONDS
    if left >= needed:
        return None
    return (f"deferred: the function's time limit is {max(0, int(left))} s away and a schedule change needs "
            f"about {needed} s with the digest; the next run does it")


def _discover_marks(findings: list[Finding], settings: Settings, clients: AwsClients, report: Report) -> None:
    """A busy endpoint the scan did not describe (its traffic keeps no quiet hours any more) may still
    carry our schedule: find our quiet-since mark on such endpoints, one tagging call a region."""
    unseen: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.endpoint is not None and not finding.endpoint.described and finding.invocations > 0:
            unseen.setdefault(finding.region, []).append(finding)
    key = settings.tags.quiet_since
    for region, group in unseen.items():
        try:
            marked = actions.marked_endpoints(clients.client("resourcegroupstaggingapi", region), key)
        except Exception as error:  # noqa: BLE001 - a schedule not re-checked tonight is, next night
            report.errors.append(RegionError(region, "tag:GetResources",
                                             f"quiet-hours marks on busy endpoints not read: {describe_error(error)}"))
            continue
        for finding in group:
            if finding.endpoint is not None and finding.endpoint.arn in marked:
                finding.endpoint.tags[key] = marked[finding.endpoint.arn]


def _marked(finding: Finding, settings: Settings) -> bool:
    """Our quiet-hours mark on an endpoint whose owner no longer opts in: its schedule (if any) must go."""
    return finding.endpoint is not None and settings.tags.quiet_since in finding.endpoint.tags


def _latest(ledger: Ledger | None, finding: Finding) -> Record | None:
    if ledger is None:
        return None
    return ledger.latest_record(finding.name, finding.region, SCHEDULE_RECORDS)


def _applied(record: Record | None, autoscaling: Any, finding: Finding) -> Applied | None:
    """The schedule in place per its record, and whether all our actions are there (read back in act
    mode only: a report-mode role may not read scheduled actions)."""
    if record is None or record.action != "schedule":
        return None
    windows, timezone = schedule.from_dict(record.doc)
    expected = 2 * len(windows)
    if autoscaling is None:
        return Applied(windows, timezone, date.fromisoformat(record.recorded_at[:10]))
    try:
        complete = all(sum(sa.ours(a["ScheduledActionName"]) for a in sa.scheduled_on(autoscaling, target)) == expected
                       for target in record.doc.get("targets", []))
    except Exception as error:  # noqa: BLE001 - unread is not missing: nothing is put again on a guess
        finding.warnings.append(f"scheduled actions not read back: {describe_error(error)}")
        complete = True
    return Applied(windows, timezone, date.fromisoformat(record.recorded_at[:10]), complete)


def _replan(finding: Finding, record: Record) -> Any:
    found = finding.timetable
    if found is None or not getattr(found, "windows", ()):
        return None
    return schedule.with_targets(found, list(record.doc["targets"]), finding.endpoint)


def _act(finding: Finding, settings: Settings, clients: AwsClients, today: date, report: Report, ledger: Ledger | None,
         record: Record | None, clock: Callable[[], datetime]) -> None:
    sagemaker = clients.sagemaker(finding.region)
    arn = finding.endpoint.arn if finding.endpoint else ""
    key = settings.tags.quiet_since
    step = "sagemaker:AddTags"
    try:
        if finding.action == Action.MARK:
            actions.add_mark(sagemaker, arn, key, today.isoformat())
        elif finding.action == Action.UNMARK:
            step = "sagemaker:DeleteTags"
            actions.remove_mark(sagemaker, arn, key)
        elif finding.action == Action.SCHEDULE:
            step = "application-autoscaling:PutScheduledAction"
            _put(finding, settings, clients, ledger, record, clock)
            return
        else:
            step = "application-autoscaling:DeleteScheduledAction"
            _withdraw(finding, settings, clients, ledger, record, clock)
            return
        finding.action_result = Outcome.done()
    except actions.EndpointGone:
        finding.action_result = Outcome.skipped("endpoint no longer exists")
    except LedgerError as error:
        fail(finding, report, "ledger", f"{error}; no record, no schedule change")
    except Exception as error:  # noqa: BLE001 - one endpoint's trouble never fails the run
        fail(finding, report, *failure(error, step))


def _put(finding: Finding, settings: Settings, clients: AwsClients, ledger: Ledger | None, record: Record | None,
         clock: Callable[[], datetime]) -> None:
    """Record first (or reuse this same schedule's record on a retry), then register and put."""
    assert ledger is not None and finding.schedule is not None  # the policy blocks a schedule without a ledger
    plan = finding.schedule
    autoscaling = clients.autoscaling(finding.region)
    live = actions.describe_endpoint(clients.sagemaker(finding.region), finding.name)
    if live.get("EndpointStatus") != "InService":
        finding.action_result = Outcome.skipped(f"endpoint is {live.get('EndpointStatus')}; retried by a later run")
        return
    if record is not None and record.action == "schedule":
        kept = {t["ResourceId"]: t for t in record.doc["targets"]}
        targets = [{**kept.get(t["ResourceId"], t), "To": t["To"]} for t in plan.targets
                   if t["ResourceId"] in kept]
    else:
        targets, registered = [], _registered_by_us(ledger, record)
        for target in plan.targets:
            original, theirs = sa.originals(autoscaling, target)
            original["RegisteredByUs"] = original["RegisteredByUs"] or target["ResourceId"] in registered
            if theirs:
                finding.action_result = Outcome.skipped(
                    f"{target['ResourceId']} has scheduled actions of its own ({', '.join(theirs)}): "
                    "cost-watcher never adds to nor changes them")
                return
            targets.append(original)
    doc = {"tag_prefix": settings.tag_prefix, "state": endpoint_state(live), "timezone": plan.timezone,
           "windows": plan.windows, "targets": targets, "sentence": plan.sentence,
           "monthly_savings_usd": plan.monthly_savings_usd}
    same = record is not None and record.action == "schedule" and all(
        record.doc.get(k) == doc[k] for k in ("state", "timezone", "windows", "targets"))
    written = record if same and record is not None else ledger.write(finding.region, finding.name, "schedule", doc,
                                                                          now=clock())
    names = [name for target in targets for name in sa.put(autoscaling, target, plan.windows, plan.timezone)]
    finding.action_reason = (f"{finding.action_reason}: {len(names)} scheduled actions on "
                             f"{', '.join(t['ResourceId'] for t in targets)}; restore record {ledger.where(written)}")
    finding.action_result = Outcome.done()


def _registered_by_us(ledger: Ledger, record: Record | None) -> set[str]:
    """Targets an earlier, withdrawn schedule registered (left at their fixed count): still ours to remove."""
    if record is None or record.action != "unschedule":
        return set()
    earlier = ledger.read(record.doc["removed_from"])
    return {t["ResourceId"] for t in earlier.doc.get("targets", []) if t.get("RegisteredByUs")}


def _withdraw(finding: Finding, settings: Settings, clients: AwsClients, ledger: Ledger | None, record: Record | None,
              clock: Callable[[], datetime]) -> None:
    """Our actions deleted and the limits put back, then the record of why, then the mark goes."""
    assert ledger is not None and record is not None
    autoscaling = clients.autoscaling(finding.region)
    done = [step for target in record.doc["targets"] for step in sa.withdraw(autoscaling, target)]
    written = ledger.write(finding.region, finding.name, "unschedule",
                           {"tag_prefix": settings.tag_prefix, "removed_from": record.key,
                            "why": finding.action_reason, "steps": done}, now=clock())
    if finding.endpoint is not None and settings.tags.quiet_since in finding.endpoint.tags:
        actions.remove_mark(clients.sagemaker(finding.region), finding.endpoint.arn, settings.tags.quiet_since)
    finding.action_reason = f"{finding.action_reason}; record {ledger.where(written)}"
    finding.action_result = Outcome.done()
