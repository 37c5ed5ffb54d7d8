"""One endpoint's delete or scale-down: wait while it is busy, the fresh checks of the live
endpoint and its tags (still the one judged, still opted in), the restore record (written
and verified, or reused), then the change. The outcome and any error land on the finding."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from cost_watcher.errors import EndpointGone, IncompleteRecord, LedgerError, StepFailed
from cost_watcher.judge import policy
from cost_watcher.model import Action, Finding, Outcome
from cost_watcher.reclaim import actions
from cost_watcher.reclaim.checks import changed_since_scan, untagged_component
from cost_watcher.reclaim.context import RunContext, fail, failure
from cost_watcher.reclaim.ledger import Record
from cost_watcher.reclaim.snapshot import snapshot

BUSY_STATES = ("Creating", "Updating", "SystemUpdating", "RollingBack")
_OUTCOMES = (EndpointGone, IncompleteRecord, LedgerError, TimeoutError)  # each has its own outcome below


@contextmanager
def step(name: str) -> Iterator[None]:
    try:
        yield
    except _OUTCOMES:
        raise
    except Exception as error:
        raise StepFailed(name, error) from error


def reclaim(finding: Finding, run: RunContext) -> None:
    """Delete or scale down one endpoint; the result and any error land on the finding/report."""
    try:
        finding.action_result = _checked_and_done(finding, run)
    except EndpointGone:
        finding.action_result = Outcome.skipped("endpoint no longer exists")
    except IncompleteRecord as error:
        finding.action_result = Outcome.skipped(error)
        finding.warnings.append(f"not reclaimed: {error}")
    except LedgerError as error:
        fail(finding, run.report, "ledger", f"{error}; not reclaimed (no record, no {finding.action})")
    except TimeoutError as error:
        finding.action_result = Outcome.skipped(error)
    except StepFailed as failed:
        fail(finding, run.report, *failure(failed.error, failed.step))
    except Exception as error:  # noqa: BLE001 - one endpoint's trouble never fails the run
        fail(finding, run.report, *failure(error))


def _checked_and_done(finding: Finding, run: RunContext) -> Outcome:
    sagemaker = run.clients.sagemaker(finding.region)
    with step("sagemaker:DescribeEndpoint"):
        live = actions.describe_endpoint(sagemaker, finding.name)
        if live.get("EndpointStatus") in BUSY_STATES:
            live = actions.wait_in_service(sagemaker, finding.name, run.wait)
    status = live.get("EndpointStatus")
    if status != "InService":
        waited = f" after waiting {run.wait.seconds} s" if status in BUSY_STATES else ""
        return Outcome.skipped(f"endpoint is {status}{waited}; retried by a later run")
    with step("sagemaker:ListTags"):
        changed = changed_since_scan(finding, live, sagemaker, run.settings)
        if changed:
            return Outcome.skipped(f"{changed}; judged afresh by a later run")
        untagged = untagged_component(finding, live, sagemaker, run.settings)
    if untagged:
        return Outcome.skipped(untagged)
    return (_delete if finding.action == Action.DELETE else _scale_down)(finding, live, run)


def _delete(finding: Finding, live: dict[str, Any], run: RunContext) -> Outcome:
    """Record (or reuse the record), then autoscaling off, components deleted, endpoint deleted."""
    sagemaker, autoscaling = run.clients.sagemaker(finding.region), run.clients.autoscaling(finding.region)
    with step("ledger"):
        record = _record(finding, "delete", live, lambda: _snapshot(finding, live, run), run)
    assert record is not None  # a delete snapshot is never empty
    with step("application-autoscaling:DeregisterScalableTarget"):
        actions.remove_autoscaling(autoscaling, record.doc)
    with step("sagemaker:DeleteInferenceComponent"):
        actions.delete_components(
            sagemaker, [c["InferenceComponentName"] for c in record.doc.get("inference_components", [])], run.wait)
    with step("sagemaker:DeleteEndpoint"):
        actions.delete_endpoint(sagemaker, finding.name)
    finding.action_reason = f"{finding.action_reason}; restore record {run.ledger.where(record)}"
    return Outcome.done()


def _scale_down(finding: Finding, live: dict[str, Any], run: RunContext) -> Outcome:
    """Record the plan with the values to restore (or reuse the record), then apply it."""

    def build() -> dict[str, Any] | None:
        doc = _snapshot(finding, live, run)
        plan = policy.scale_down_plan(doc)
        doc["scale_down"] = plan.to_dict()
        return None if plan.empty else doc

    with step("ledger"):
        record = _record(finding, "scale-down", live, build, run)
    if record is None:
        return Outcome.skipped("nothing above its minimum")
    plan = policy.ScaleDownPlan.from_dict(record.doc["scale_down"])
    with step("scale-down"):
        done = actions.scale_down(run.clients.sagemaker(finding.region), run.clients.autoscaling(finding.region),
                                  finding.name, plan, live)
    finding.action_reason = (f"{finding.action_reason}: {'; '.join(done) or plan.describe()}; "
                             f"restore record {run.ledger.where(record)}")
    return Outcome.done()


def _snapshot(finding: Finding, live: dict[str, Any], run: RunContext) -> dict[str, Any]:
    components = [c.name for c in finding.endpoint.components] if finding.endpoint else []
    read = snapshot(run.clients.sagemaker(finding.region), run.clients.autoscaling(finding.region), live, components)
    return {"tag_prefix": run.settings.tag_prefix, **read}


def _record(finding: Finding, action: str, live: dict[str, Any], build: Callable[[], dict[str, Any] | None],
            run: RunContext) -> Record | None:
    """The restore record for this action: the existing one when a previous (partial) run
    wrote it for this same endpoint state, else a new one, written and verified."""
    latest = run.ledger.latest_record(finding.name, finding.region)
    if latest is not None and latest.action == action and policy.same_state(latest.doc, live):
        return latest
    doc = build()
    if doc is None:
        return None
    return run.ledger.write(finding.region, finding.name, action, doc, now=run.clock())
