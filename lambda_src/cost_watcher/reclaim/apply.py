"""Reclaim: the one step the engine runs after scoring. Plans, guards, re-checks and acts.

    apply(findings, settings, clients, now, report)

fills every finding's `action`, `action_result` (an Outcome: planned | done | skipped: why |
failed: why; None when the action is `none`), `action_reason` and `reclaim_on`, and adds
to `report.errors` what went wrong. In a dry run (settings.dry_run) it only plans: no
call that changes anything is made. It never raises for one endpoint's trouble.

Order of a run that acts: marks and unmarks; then for the destructive candidates one
batched re-check of their traffic since the scan (traffic: skip and unmark); then the
per-run cap, counting what an earlier attempt of the same run did (journal.py); then, one
endpoint at a time while the function's time limit allows, the journal entry, the fresh
checks of the live endpoint and its tags, the ledger record (written and verified, or
reused when a retried run finds its own record for the same endpoint state) and the
delete or the scale-down.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from cost_watcher.errors import describe_error, is_not_found
from cost_watcher.judge import policy
from cost_watcher.judge.tags import IDLE_SINCE, RECLAIM, parse_tags
from cost_watcher.model import DESTRUCTIVE_ACTIONS, Action, Finding, Outcome, RegionError, Report
from cost_watcher.reclaim import actions
from cost_watcher.reclaim.actions import EndpointGone, IncompleteRecord, Wait
from cost_watcher.reclaim.journal import STARTED, Journal
from cost_watcher.reclaim.ledger import Ledger, LedgerError, Record, open_ledger
from cost_watcher.record import finding_from_dict
from cost_watcher.scan import inventory, series
from cost_watcher.settings import Settings

Clock = Callable[[], datetime]
DIGEST_SECONDS = 60  # storing the report and publishing the digest, with retries
BUSY_STATES = ("Creating", "Updating", "SystemUpdating", "RollingBack")
AUTOSCALING_OPERATIONS = frozenset({
    "RegisterScalableTarget", "DeregisterScalableTarget", "DeleteScalingPolicy", "DeleteScheduledAction",
    "DescribeScalableTargets", "DescribeScalingPolicies", "DescribeScheduledActions",
})


def _utc_now() -> datetime:
    return datetime.now(UTC)


def apply(findings: list[Finding], settings: Settings, clients: Any, now: datetime, report: Report, *,
          run_id: str | None = None, deadline: datetime | None = None, wait: Wait | None = None,
          clock: Clock = _utc_now) -> None:
    """Plan and (unless dry run) carry out the reclaim of these findings. See module doc.

    With a `run_id` (the Lambda's; the same on a retry) each reclaim is journalled, so a
    retry of a run that died counts, finishes and reports what the dead attempt did."""
    wait = wait or actions.WAIT
    errored = report.regions_with_errors()
    _discover_marks(findings, settings, clients, report)

    destructive: list[Finding] = []
    for finding in findings:
        decision = policy.decide(finding, settings, now, region_has_errors=finding.region in errored)
        finding.action = decision.action
        finding.action_reason = decision.reason or None
        finding.reclaim_on = decision.reclaim_on or finding.reclaim_on
        finding.action_result = None
        if decision.action == Action.NONE:
            if decision.blocked:  # opted in and reclaimable, but a guard says never: the report says which
                finding.action_result = Outcome.skipped(decision.blocked)
            continue
        if decision.blocked:
            finding.action_result = Outcome.skipped(decision.blocked)
        elif decision.action in DESTRUCTIVE_ACTIONS:
            destructive.append(finding)
        elif settings.dry_run:
            finding.action_result = Outcome.planned()

    if settings.dry_run:
        chosen, deferred = policy.apply_cap(destructive, settings.max_actions_per_run)
        for finding in chosen:
            finding.action_result = Outcome.planned()
        _defer(deferred, settings)
        return

    for finding in findings:
        if finding.action in (Action.MARK, Action.UNMARK) and finding.action_result is None:
            _tag(finding, settings, clients, report, now.date())

    ready = _recheck(destructive, settings, clients, now, clock())
    if not ready and run_id is None:
        return
    try:
        ledger = open_ledger(settings.ledger, clients)
        journal = Journal.load(ledger, run_id) if run_id else Journal(None)
    except LedgerError as error:
        chosen, deferred = policy.apply_cap(ready, settings.max_actions_per_run)
        _defer(deferred, settings)
        for finding in chosen:
            _fail(finding, report, "ledger", f"{error}; not reclaimed (no record, no {finding.action})")
        return
    ready = _carry_over(journal, findings, ready, clients, ledger)
    continuing = [f for f in ready if f in journal]
    chosen, deferred = policy.apply_cap([f for f in ready if f not in journal],
                                        max(0, settings.max_actions_per_run - len(journal.entries)))
    _defer(deferred, settings)
    for finding in continuing + chosen:
        short = _too_little_time(deadline, clock(), wait)
        if short:
            finding.action_result = Outcome.skipped(f"deferred: {short}")
            continue
        try:
            journal.begin(finding)
        except LedgerError as error:
            _fail(finding, report, "ledger", f"{error}; not reclaimed")
            continue
        _reclaim(finding, settings, clients, ledger, report, wait, clock)
        try:
            journal.finish(finding)
        except LedgerError as error:  # the action happened; a retry re-reads the endpoint instead
            report.errors.append(RegionError(finding.region, "ledger", f"{finding.name}: {error}"))


def _too_little_time(deadline: datetime | None, now: datetime, wait: Wait) -> str | None:
    """Why no further reclaim may start, or None. One reclaim can wait for the endpoint and then
    for its components (a bound each), and the digest must still go out after it."""
    if deadline is None:
        return None
    left = (deadline - now).total_seconds()
    needed = 2 * wait.seconds + DIGEST_SECONDS
    if left >= needed:
        return None
    return (f"{max(0, int(left))} s left before the function's time limit, a reclaim may need {needed} s; "
            "a later run continues")


def _defer(findings: list[Finding], settings: Settings) -> None:
    for finding in findings:
        finding.action_result = Outcome.skipped(policy.deferred_reason(settings.max_actions_per_run))


def _fail(finding: Finding, report: Report, operation: str, message: str) -> None:
    finding.action_result = Outcome.failed(message)
    report.errors.append(RegionError(finding.region, operation, f"{finding.name}: {message}"))


def _failure(error: BaseException, step: str = "") -> tuple[str, str]:
    """(operation as 'service:Operation', message) of a failure, for the report. AWS errors
    name their operation; others (a dropped connection) take the step that was under way."""
    operation = getattr(error, "operation_name", None)
    if operation:
        service = "application-autoscaling" if operation in AUTOSCALING_OPERATIONS else "sagemaker"
        return f"{service}:{operation}", f"{operation} failed: {describe_error(error)}"
    where = step or type(error).__name__
    return where, f"{where.split(':')[-1]} failed: {describe_error(error)}"


# --- marks --------------------------------------------------------------------------------

def _discover_marks(findings: list[Finding], settings: Settings, clients: Any, report: Report) -> None:
    """Busy endpoints are not described by the scan, so their tags are unknown; find our
    mark on them with one Resource Groups Tagging API call per region (to remove it)."""
    unseen: dict[str, list[Finding]] = {}
    for finding in findings:
        endpoint = finding.endpoint
        if endpoint is not None and not endpoint.described and finding.verdict in policy.TRAFFIC_VERDICTS:
            unseen.setdefault(finding.region, []).append(finding)
    key = settings.tag(IDLE_SINCE)
    for region, group in unseen.items():
        try:
            marked = actions.marked_endpoints(clients.client("resourcegroupstaggingapi", region), key)
        except Exception as error:  # noqa: BLE001 - a missed unmark only delays; say it was not seen
            report.errors.append(RegionError(region, "tag:GetResources",
                                             f"marks on busy endpoints not read: {describe_error(error)}"))
            continue
        for finding in group:
            value = marked.get(finding.endpoint.arn) if finding.endpoint else None
            if value is None:
                continue
            try:
                finding.idle_since = date.fromisoformat(value.strip())
            except ValueError:
                finding.idle_since = date.min  # any mark on a busy endpoint goes, even a malformed one
                finding.warnings.append(f"tag {key}={value!r} is not a date (YYYY-MM-DD)")


def _tag(finding: Finding, settings: Settings, clients: Any, report: Report, today: date) -> None:
    sagemaker = clients.sagemaker(finding.region)
    arn = finding.endpoint.arn if finding.endpoint else ""
    key = settings.tag(IDLE_SINCE)
    try:
        if finding.action == Action.MARK:
            actions.add_mark(sagemaker, arn, key, today.isoformat())
            finding.idle_since = today
        else:
            actions.remove_mark(sagemaker, arn, key)
            finding.idle_since = None
        finding.action_result = Outcome.done()
    except Exception as error:  # noqa: BLE001 - one endpoint's trouble never fails the run
        if _gone(error):
            finding.action_result = Outcome.skipped("endpoint no longer exists")
            return
        operation, message = _failure(error)
        _fail(finding, report, operation, message)


def _gone(error: BaseException) -> bool:
    return is_not_found(error) or "not found" in str(error).lower()


# --- re-check -----------------------------------------------------------------------------

def _recheck(candidates: list[Finding], settings: Settings, clients: Any, scan_end: datetime,
             clock: datetime) -> list[Finding]:
    """One GetMetricData batch per region over the last 24 h and everything since the scan.
    Returns the candidates still idle; the others are skipped (and unmarked on traffic)."""
    start, end, period = policy.recheck_window(scan_end, clock)
    ready: list[Finding] = []
    by_region: dict[str, list[Finding]] = {}
    for finding in candidates:
        by_region.setdefault(finding.region, []).append(finding)
    for region, group in by_region.items():
        # the same signal the verdict read: an async endpoint's processed work and queue, the others' invocations
        queries = {f.name: series.work_queries(f.endpoint, period) if f.endpoint else [] for f in group}
        try:
            totals, errors = actions.recent_invocations(clients.cloudwatch(region), queries, start, end)
        except Exception as error:  # noqa: BLE001
            totals, errors = {}, {f.name: describe_error(error) for f in group}
        for finding in group:
            if finding.name in errors:
                finding.action_result = Outcome.skipped(f"re-check could not read its traffic ({errors[finding.name]})")
                continue
            objection = policy.recheck_objection(finding, totals.get(finding.name, 0.0), start, end, settings)
            if objection:
                finding.action_result = Outcome.skipped(objection)
                _unmark_after_traffic(finding, settings, clients)
            else:
                ready.append(finding)
    return ready


def _unmark_after_traffic(finding: Finding, settings: Settings, clients: Any) -> None:
    try:
        actions.remove_mark(clients.sagemaker(finding.region), finding.endpoint.arn, settings.tag(IDLE_SINCE))
        finding.idle_since = None
        finding.action_result = finding.action_result.plus("mark removed")
    except Exception as error:  # noqa: BLE001
        finding.warnings.append(f"could not remove the mark: {describe_error(error)}")


# --- an earlier attempt of the same run -----------------------------------------------------

def _carry_over(journal: Journal, findings: list[Finding], ready: list[Finding], clients: Any,
                ledger: Ledger) -> list[Finding]:
    """Bring what an earlier attempt of this run did into this attempt's findings; returns
    the ready candidates still to act on (those it finished are not acted on again).

    A journalled action that ended 'done' is reported as done by the earlier attempt. One
    still 'started' was cut off: reported as done when it took effect, else continued when
    the endpoint is ready again.
    """
    if not journal.entries:
        return ready
    by_key = {(f.region, f.name): f for f in findings}
    waiting = {(f.region, f.name) for f in ready}
    for key, entry in journal.entries.items():
        result = entry.get("result") or ""
        if result == STARTED and not _done_by_earlier_attempt(entry, clients, ledger):
            continue  # continued below when the endpoint is ready again; else judged afresh
        if result != STARTED and not result.startswith("done"):
            continue
        finding = by_key.get(key)
        if finding is None:
            finding = finding_from_dict(entry["finding"])
            findings.append(finding)
        earlier = finding_from_dict(entry["finding"])
        finding.action, finding.action_reason = Action(entry["action"]), earlier.action_reason
        finding.action_result = Outcome.done(f"by an earlier attempt of run {journal.run_id}")
        waiting.discard(key)
    return [f for f in ready if (f.region, f.name) in waiting]


def _done_by_earlier_attempt(entry: dict[str, Any], clients: Any, ledger: Ledger) -> bool:
    """Whether a journalled action that was cut off took effect: a delete when the endpoint is
    gone (or Deleting), a scale-down when its variants ask for no more than its record's plan.
    Anything unreadable is 'no': then this attempt's own judgement of the endpoint stands."""
    sagemaker = clients.sagemaker(entry["region"])
    try:
        if entry.get("action") == str(Action.DELETE):
            return actions.describe_endpoint(sagemaker, entry["name"]).get("EndpointStatus") == "Deleting"
        record = ledger.latest_record(entry["name"], entry["region"], ("scale-down",))
        if record is None:
            return False
        plan = policy.ScaleDownPlan.from_dict(record.doc.get("scale_down", {}))
        counts = [(v["VariantName"], v["To"], v["DesiredWeight"]) for v in plan.variants]
        return bool(counts) and actions.counts_in_effect(sagemaker, entry["name"], counts)
    except EndpointGone:
        return entry.get("action") == str(Action.DELETE)
    except Exception:  # noqa: BLE001 - unknown: the current judgement of the endpoint stands
        return False


# --- delete / scale-down ------------------------------------------------------------------

def _reclaim(finding: Finding, settings: Settings, clients: Any, ledger: Ledger, report: Report, wait: Wait,
             clock: Clock) -> None:
    """Delete or scale down one endpoint; the result and any error land on the finding/report."""
    sagemaker, autoscaling = clients.sagemaker(finding.region), clients.autoscaling(finding.region)
    step = ["sagemaker:DescribeEndpoint"]  # the call under way, named in a failure that does not name it
    try:
        live = actions.describe_endpoint(sagemaker, finding.name)
        if live.get("EndpointStatus") in BUSY_STATES:
            live = actions.wait_in_service(sagemaker, finding.name, wait)
        status = live.get("EndpointStatus")
        if status != "InService":
            waited = f" after waiting {wait.seconds} s" if status in BUSY_STATES else ""
            finding.action_result = Outcome.skipped(f"endpoint is {status}{waited}; retried by a later run")
            return
        changed = _changed_since_scan(finding, live, sagemaker, settings)
        if changed:
            finding.action_result = Outcome.skipped(f"{changed}; judged afresh by a later run")
            return
        untagged = _untagged_component(finding, live, sagemaker, settings)
        if untagged:
            finding.action_result = Outcome.skipped(untagged)
            return
        act = _delete if finding.action == Action.DELETE else _scale_down
        finding.action_result = act(finding, settings.tag_prefix, sagemaker, autoscaling, ledger, live, wait,
                                    clock, step)
    except EndpointGone:
        finding.action_result = Outcome.skipped("endpoint no longer exists")
    except IncompleteRecord as error:
        finding.action_result = Outcome.skipped(error)
        finding.warnings.append(f"not reclaimed: {error}")
    except LedgerError as error:
        _fail(finding, report, "ledger", f"{error}; not reclaimed (no record, no {finding.action})")
    except TimeoutError as error:
        finding.action_result = Outcome.skipped(error)
    except Exception as error:  # noqa: BLE001 - one endpoint's trouble never fails the run
        operation, message = _failure(error, step[0])
        _fail(finding, report, operation, message)


def _changed_since_scan(finding: Finding, live: dict[str, Any], sagemaker: Any, settings: Settings) -> str | None:
    """Why the endpoint is no longer the one that was judged, or None.

    Between scan and action an endpoint may be re-created under the same name, re-configured,
    or its owner may withdraw the opt-in (or remove our mark to postpone). Tags are read
    fresh here, one call per endpoint about to be reclaimed, so none of that is missed.
    """
    scanned = finding.endpoint
    if scanned is not None:
        if scanned.created and live.get("CreationTime") and live["CreationTime"] != scanned.created:
            return "endpoint was re-created since the scan"
        if scanned.config_name and live.get("EndpointConfigName") != scanned.config_name:
            return "endpoint was re-configured since the scan"
    state = parse_tags(inventory.list_tags(sagemaker, live.get("EndpointArn") or finding.endpoint.arn),
                       settings.tag_prefix)
    if state.ignore or state.reclaim != finding.reclaim_tag:
        return "the owner changed the opt-in tags since the scan"
    if state.idle_since != finding.idle_since:
        return "the idle-since mark changed since the scan"
    return None


def _untagged_component(finding: Finding, live: dict[str, Any], sagemaker: Any, settings: Settings) -> str | None:
    """Why a hosted inference component stops the reclaim, or None. IAM lets us delete or scale
    a component only when the component itself carries the opt-in, so an endpoint whose
    components lack it would be left half-done (autoscaling removed, components kept): the
    owner is told to tag them instead. One ListTags per component, for reclaim candidates only."""
    components = finding.endpoint.components if finding.endpoint else []
    accepted = ("delete",) if finding.action == Action.DELETE else ("delete", "scale-down")
    arn_base = (live.get("EndpointArn") or finding.endpoint.arn).rsplit(":", 1)[0]
    key = settings.tag(RECLAIM)
    for component in components:
        tags = inventory.list_tags(sagemaker, f"{arn_base}:inference-component/{component.name}")
        if tags.get(key) not in accepted:
            finding.warnings.append(f"inference component {component.name} needs its own tag {key}="
                                    f"{finding.reclaim_tag} (IAM checks each component's tags)")
            return f"inference component {component.name} is not tagged {key}={' or '.join(accepted)}"
    return None


def _delete(finding: Finding, prefix: str, sagemaker: Any, autoscaling: Any, ledger: Ledger, live: dict[str, Any],
            wait: Wait, clock: Clock, step: list[str]) -> str:
    """Record (or reuse the record), then autoscaling off, components deleted, endpoint deleted."""
    step[0] = "ledger"
    record = _record(ledger, finding, "delete", live,
                     lambda: _snapshot(sagemaker, autoscaling, live, finding, prefix), clock)
    assert record is not None  # a delete snapshot is never empty
    step[0] = "application-autoscaling:DeregisterScalableTarget"
    actions.remove_autoscaling(autoscaling, record.doc)
    step[0] = "sagemaker:DeleteInferenceComponent"
    actions.delete_components(
        sagemaker, [c["InferenceComponentName"] for c in record.doc.get("inference_components", [])], wait)
    step[0] = "sagemaker:DeleteEndpoint"
    actions.delete_endpoint(sagemaker, finding.name)
    finding.action_reason = f"{finding.action_reason}; restore record {ledger.where(record)}"
    return Outcome.done()


def _scale_down(finding: Finding, prefix: str, sagemaker: Any, autoscaling: Any, ledger: Ledger,
                live: dict[str, Any], wait: Wait, clock: Clock, step: list[str]) -> str:
    """Record the plan with the values to restore (or reuse the record), then apply it."""

    def build() -> dict[str, Any] | None:
        doc = _snapshot(sagemaker, autoscaling, live, finding, prefix)
        plan = policy.scale_down_plan(doc)
        doc["scale_down"] = plan.to_dict()
        return None if plan.empty else doc

    step[0] = "ledger"
    record = _record(ledger, finding, "scale-down", live, build, clock)
    if record is None:
        return Outcome.skipped("nothing above its minimum")
    plan = policy.ScaleDownPlan.from_dict(record.doc["scale_down"])
    step[0] = "scale-down"
    done = actions.scale_down(sagemaker, autoscaling, finding.name, plan, live)
    finding.action_reason = (f"{finding.action_reason}: {'; '.join(done) or plan.describe()}; "
                             f"restore record {ledger.where(record)}")
    return Outcome.done()


def _snapshot(sagemaker: Any, autoscaling: Any, live: dict[str, Any], finding: Finding,
              prefix: str) -> dict[str, Any]:
    components = [c.name for c in finding.endpoint.components] if finding.endpoint else []
    return {"tag_prefix": prefix, **actions.snapshot(sagemaker, autoscaling, live, components)}


def _record(ledger: Ledger, finding: Finding, action: str, live: dict[str, Any],
            build: Callable[[], dict[str, Any] | None], clock: Clock) -> Record | None:
    """The restore record for this action: the existing one when a previous (partial) run
    wrote it for this same endpoint state, else a new one, written and verified."""
    latest = ledger.latest_record(finding.name, finding.region)
    if latest is not None and latest.action == action and policy.same_state(latest.doc, live):
        return latest
    doc = build()
    if doc is None:
        return None
    return ledger.write(finding.region, finding.name, action, doc, now=clock())
