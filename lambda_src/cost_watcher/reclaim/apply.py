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

The phases live beside this file: marks.py, recheck.py, carry_over.py (journal.py), then
steps.py (checks.py, snapshot.py, actions.py) for each endpoint.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cost_watcher.aws import AwsClients
from cost_watcher.errors import LedgerError
from cost_watcher.judge import policy
from cost_watcher.model import DESTRUCTIVE_ACTIONS, Action, Finding, Outcome, RegionError, Report
from cost_watcher.reclaim import actions
from cost_watcher.reclaim.actions import Wait
from cost_watcher.reclaim.carry_over import carry_over
from cost_watcher.reclaim.context import Clock, RunContext, fail
from cost_watcher.reclaim.journal import Journal
from cost_watcher.reclaim.ledger import open_ledger
from cost_watcher.reclaim.marks import discover_marks, mark_or_unmark
from cost_watcher.reclaim.recheck import recheck
from cost_watcher.reclaim.steps import reclaim
from cost_watcher.settings import Settings

DIGEST_SECONDS = 60  # storing the report and publishing the digest, with retries


def _utc_now() -> datetime:
    return datetime.now(UTC)


def apply(findings: list[Finding], settings: Settings, clients: AwsClients, now: datetime, report: Report, *,
          run_id: str | None = None, deadline: datetime | None = None, wait: Wait | None = None,
          clock: Clock = _utc_now) -> None:
    """Plan and (unless dry run) carry out the reclaim of these findings. See module doc.

    With a `run_id` (the Lambda's; the same on a retry) each reclaim is journalled, so a
    retry of a run that died counts, finishes and reports what the dead attempt did."""
    wait = wait or actions.WAIT
    errored = report.regions_with_errors()  # the scan's: a mark not found on a busy endpoint blocks nothing
    discover_marks(findings, settings, clients, report)
    destructive = _plan(findings, settings, now, errored)
    if settings.dry_run:
        chosen, deferred = policy.apply_cap(destructive, settings.max_actions_per_run)
        for finding in chosen:
            finding.action_result = Outcome.planned()
        _defer(deferred, settings)
        return

    for finding in findings:
        if finding.action in (Action.MARK, Action.UNMARK) and finding.action_result is None:
            mark_or_unmark(finding, settings, clients, report, now.date())

    ready = recheck(destructive, settings, clients, now, clock())
    if not ready and run_id is None:
        return
    try:
        ledger = open_ledger(settings.ledger, clients)
        journal = Journal.load(ledger, run_id) if run_id else Journal(None)
    except LedgerError as error:
        chosen, deferred = policy.apply_cap(ready, settings.max_actions_per_run)
        _defer(deferred, settings)
        for finding in chosen:
            fail(finding, report, "ledger", f"{error}; not reclaimed (no record, no {finding.action})")
        return
    ready = carry_over(journal, findings, ready, clients, ledger)
    continuing = [f for f in ready if f in journal]
    chosen, deferred = policy.apply_cap([f for f in ready if f not in journal],
                                        max(0, settings.max_actions_per_run - len(journal.entries)))
    _defer(deferred, settings)
    _reclaim_each(continuing + chosen, journal, RunContext(settings, clients, ledger, report, wait, clock), deadline)


def _plan(findings: list[Finding], settings: Settings, now: datetime, errored: set[str]) -> list[Finding]:
    """Decide every finding's action; returns the destructive candidates (the rest are decided)."""
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
    return destructive


def _reclaim_each(findings: list[Finding], journal: Journal, run: RunContext, deadline: datetime | None) -> None:
    """One endpoint at a time while the time limit allows, each journalled before and after."""
    for finding in findings:
        short = _too_little_time(deadline, run.clock(), run.wait)
        if short:
            finding.action_result = Outcome.skipped(f"deferred: {short}")
            continue
        try:
            journal.begin(finding)
        except LedgerError as error:
            fail(finding, run.report, "ledger", f"{error}; not reclaimed")
            continue
        reclaim(finding, run)
        try:
            journal.finish(finding)
        except LedgerError as error:  # the action happened; a retry re-reads the endpoint instead
            run.report.errors.append(RegionError(finding.region, "ledger", f"{finding.name}: {error}"))


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
