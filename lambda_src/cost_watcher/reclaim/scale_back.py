"""Restore after a scale-down: instance counts, autoscaling MinCapacity and component copy
counts go back to their recorded values and the grace-period mark is removed."""

from __future__ import annotations

from typing import Any

from cost_watcher.judge import policy
from cost_watcher.reclaim import actions
from cost_watcher.reclaim.ledger import Record
from cost_watcher.reclaim.recreate import in_service
from cost_watcher.reclaim.restore_result import RestoreContext, RestoreResult
from cost_watcher.scan.inventory import list_tags
from cost_watcher.settings import TagKeys


def scale_back(result: RestoreResult, record: Record, live: dict[str, Any], run: RestoreContext) -> None:
    """Instance counts, autoscaling floors and copy counts back to the record; the mark goes."""
    sagemaker, autoscaling, prefix, wait = run.sagemaker, run.autoscaling, run.prefix, run.wait
    plan = policy.ScaleDownPlan.from_dict(record.doc.get("scale_down", {}))
    dry, name = result.dry_run, result.endpoint
    verb = "would set" if dry else "set"
    if not dry and live.get("EndpointStatus") != "InService" and not in_service(result, sagemaker, name, wait):
        return
    current = {v["VariantName"]: v.get("DesiredInstanceCount", v.get("CurrentInstanceCount"))
               for v in live.get("ProductionVariants", [])}
    counts = [(v["VariantName"], v["DesiredInstanceCount"], v["DesiredWeight"]) for v in plan.variants
              if current.get(v["VariantName"]) != v["DesiredInstanceCount"]]
    if counts and not dry:
        actions.set_instance_counts(sagemaker, name, counts)
    result.steps += [f"{verb} variant {variant} to {count} instance(s)" for variant, count, _ in counts]
    for change in plan.targets:
        if not dry:
            actions.set_min_capacity(autoscaling, change, change["MinCapacity"])
        result.steps.append(f"{verb} {change['ResourceId']} MinCapacity back to {change['MinCapacity']}")
    for component in plan.components:
        if not dry:
            actions.set_copy_count(sagemaker, component["InferenceComponentName"], component["CopyCount"])
        result.steps.append(f"{verb} {component['InferenceComponentName']} copies back to {component['CopyCount']}")
    mark = TagKeys(prefix).idle_since
    tags = list_tags(sagemaker, live["EndpointArn"])
    if mark in tags:
        if not dry:
            actions.remove_mark(sagemaker, live["EndpointArn"], mark)
        result.steps.append(f"{'would remove' if dry else 'removed'} the {mark} mark")
    if not result.steps:
        result.steps.append("already at its recorded capacity: nothing to change")
