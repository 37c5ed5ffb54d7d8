"""`restore` of a quiet-hours schedule: our scheduled actions go, the original capacity limits
come back, a scalable target we registered is deregistered (after the variant is back at the
count it had), and the `quiet-since` mark is removed. Never touches a scheduled action we did
not create. Running it twice is harmless: what is gone already is skipped."""

from __future__ import annotations

from typing import Any

from cost_watcher.errors import RestoreError
from cost_watcher.judge.schedule import VARIANT_DIMENSION
from cost_watcher.reclaim import actions
from cost_watcher.reclaim import scheduled_actions as sa
from cost_watcher.reclaim.ledger import Ledger, Record
from cost_watcher.reclaim.restore_result import RestoreContext, RestoreResult
from cost_watcher.scan.inventory import list_tags
from cost_watcher.settings import TagKeys

RECORDS = ("schedule", "unschedule")


def applied_record(record: Record, ledger: Ledger) -> Record:
    """The `schedule` record behind a record of this feature (an `unschedule` names it)."""
    return ledger.read(record.doc["removed_from"]) if record.action == "unschedule" else record


def unschedule(result: RestoreResult, record: Record, live: dict[str, Any] | None, run: RestoreContext) -> None:
    """Undo a schedule from its `schedule` record (see module doc); steps land on the result."""
    if live is None:
        raise RestoreError(f"endpoint '{result.endpoint}' no longer exists: its scheduled actions went with it")
    dry, autoscaling = result.dry_run, run.autoscaling
    for target in record.doc.get("targets", []):
        names = [a["ScheduledActionName"] for a in sa.scheduled_on(autoscaling, target)]
        ours = [name for name in names if sa.ours(name)]
        if dry:
            result.steps += [f"would delete {name} on {target['ResourceId']}" for name in ours]
        else:
            result.steps += sa.withdraw(autoscaling, target)
        if target.get("RegisteredByUs") and sa.live_target(autoscaling, target) is not None:
            _back_to_count(result, target, live, run)
            if not dry:
                sa.deregister_ours(autoscaling, target)
            result.steps.append(f"{'would deregister' if dry else 'deregistered'} the scalable target "
                                f"{target['ResourceId']} cost-watcher had registered")
        elif not dry and not ours:
            result.steps.append(f"{target['ResourceId']}: no scheduled action of ours left")
    mark = TagKeys(run.prefix).quiet_since
    if mark in list_tags(run.sagemaker, live["EndpointArn"]):
        if not dry:
            actions.remove_mark(run.sagemaker, live["EndpointArn"], mark)
        result.steps.append(f"{'would remove' if dry else 'removed'} the {mark} mark")


def _back_to_count(result: RestoreResult, target: dict[str, Any], live: dict[str, Any], run: RestoreContext) -> None:
    """Deregistering keeps the current count: bring a variant scaled in by us back to its own first."""
    if target["ScalableDimension"] != VARIANT_DIMENSION:
        return
    variant = target["ResourceId"].rsplit("/", 1)[-1]
    now = {v["VariantName"]: v.get("DesiredInstanceCount", v.get("CurrentInstanceCount"))
           for v in live.get("ProductionVariants", [])}.get(variant)
    if now is not None and now < target["From"]:
        if not result.dry_run:
            weight = next((v.get("CurrentWeight", 1.0) for v in live["ProductionVariants"]
                           if v["VariantName"] == variant), 1.0)
            actions.set_instance_counts(run.sagemaker, result.endpoint, [(variant, target["From"], weight)])
        result.steps.append(f"{'would set' if result.dry_run else 'set'} variant {variant} back to "
                            f"{target['From']} instance(s)")
