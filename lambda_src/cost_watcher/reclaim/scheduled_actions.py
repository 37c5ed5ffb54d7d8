"""The Application Auto Scaling calls of a quiet-hours schedule: put, withdraw, restore.

A scheduled action sets a scalable target's MinCapacity and MaxCapacity at a cron time in a
time zone (`PutScheduledAction` with `Timezone`; "if the current capacity is above the new
maximum, Application Auto Scaling scales in to the maximum", and out to a new minimum:
https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-scheduled-scaling.html).
For SageMaker the resource is `endpoint/<name>/variant/<variant>` with dimension
`sagemaker:variant:DesiredInstanceCount`, or `inference-component/<name>` with
`sagemaker:inference-component:DesiredCopyCount`. AWS needs a registered scalable target
before a scheduled action can be put on it (moto does not), so a variant without one gets one
at its current count (recorded: `restore` removes it).

Names we own start with NAME_PREFIX; every other scheduled action is never put, changed nor
deleted, and a target that carries any of its owner's is left alone entirely.
"""

from __future__ import annotations

from typing import Any

from cost_watcher.judge import timetable as tt
from cost_watcher.reclaim.actions import NAMESPACE, _ignore_missing

NAME_PREFIX = "cost-watcher-quiet-"


def ours(name: str) -> bool:
    return name.startswith(NAME_PREFIX)


def _ids(target: dict[str, Any]) -> dict[str, str]:
    return {"ServiceNamespace": NAMESPACE, "ResourceId": target["ResourceId"],
            "ScalableDimension": target["ScalableDimension"]}


def live_target(autoscaling: Any, target: dict[str, Any]) -> dict[str, Any] | None:
    """The registered scalable target of this resource, or None."""
    found = autoscaling.describe_scalable_targets(
        ServiceNamespace=NAMESPACE, ResourceIds=[target["ResourceId"]],
        ScalableDimension=target["ScalableDimension"]).get("ScalableTargets", [])
    return found[0] if found else None


def scheduled_on(autoscaling: Any, target: dict[str, Any]) -> list[dict[str, Any]]:
    pages = autoscaling.get_paginator("describe_scheduled_actions").paginate(**_ids(target))
    return [action for page in pages for action in page.get("ScheduledActions", [])]


def originals(autoscaling: Any, target: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The target's capacity limits as they are before we change anything, and the names of
    scheduled actions its owner put there (then we leave it alone)."""
    live = live_target(autoscaling, target)
    if live is None:
        return {**target, "MinCapacity": target["From"], "MaxCapacity": target["From"], "RegisteredByUs": True}, []
    theirs = [a["ScheduledActionName"] for a in scheduled_on(autoscaling, target) if not ours(a["ScheduledActionName"])]
    return {**target, "MinCapacity": live["MinCapacity"], "MaxCapacity": live["MaxCapacity"],
            "RegisteredByUs": False}, theirs


def put(autoscaling: Any, target: dict[str, Any], windows: list[dict], timezone: str) -> list[str]:
    """Register the target if it has none, then two actions per window: in at its start (Min = Max =
    the floor), out at its end (the original limits). Ours left over from an older timetable go.
    Repeating it changes nothing: PutScheduledAction creates or updates by name."""
    if target["RegisteredByUs"] and live_target(autoscaling, target) is None:
        autoscaling.register_scalable_target(**_ids(target), MinCapacity=target["MinCapacity"],
                                             MaxCapacity=target["MaxCapacity"])
    names = []
    for index, window in enumerate(windows, start=1):
        scale_in, scale_out = tt.crons(window)
        for suffix, cron, low, high in (("in", scale_in, target["To"], target["To"]),
                                        ("out", scale_out, target["MinCapacity"], target["MaxCapacity"])):
            name = f"{NAME_PREFIX}{index}-{suffix}"
            autoscaling.put_scheduled_action(**_ids(target), ScheduledActionName=name, Schedule=cron,
                                             Timezone=timezone,
                                             ScalableTargetAction={"MinCapacity": low, "MaxCapacity": high})
            names.append(name)
    for action in scheduled_on(autoscaling, target):
        if ours(action["ScheduledActionName"]) and action["ScheduledActionName"] not in names:
            _ignore_missing(autoscaling.delete_scheduled_action, **_ids(target),
                            ScheduledActionName=action["ScheduledActionName"])
    return names


def withdraw(autoscaling: Any, target: dict[str, Any]) -> list[str]:
    """Delete our scheduled actions on the target and put its original limits back (capacity
    comes back to the original minimum at once). A target we registered stays registered at its
    original fixed count, which behaves as no target at all; `restore` deregisters it."""
    done = []
    for action in scheduled_on(autoscaling, target):
        if ours(action["ScheduledActionName"]):
            _ignore_missing(autoscaling.delete_scheduled_action, **_ids(target),
                            ScheduledActionName=action["ScheduledActionName"])
            done.append(f"deleted {action['ScheduledActionName']} on {target['ResourceId']}")
    if live_target(autoscaling, target) is not None:
        autoscaling.register_scalable_target(**_ids(target), MinCapacity=target["MinCapacity"],
                                             MaxCapacity=target["MaxCapacity"])
        done.append(f"{target['ResourceId']} capacity limits back to {target['MinCapacity']}-{target['MaxCapacity']}")
    return done


def deregister_ours(autoscaling: Any, target: dict[str, Any]) -> bool:
    """Remove a target we registered (restore only); False when it is gone already."""
    if not target.get("RegisteredByUs") or live_target(autoscaling, target) is None:
        return False
    _ignore_missing(autoscaling.deregister_scalable_target, **_ids(target))
    return True
