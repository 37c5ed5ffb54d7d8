"""Reclaim policy: which action each finding gets, and why. Pure functions only.

This is where "nothing destructive without three yeses" is decided, so it is kept free of
AWS calls and tested case by case. The yeses: the deployment acts (settings.dry_run is
False, checked by the caller), the owner opted in by an exact tag, and the endpoint was
idle at the scan and still is at the re-check right before acting (done by reclaim.py).
Plus the grace period (mark first, reclaim `grace_days` later), the per-run cap and the
guards below.

Tags are parsed by tags.parse_tags into finding.reclaim_tag / idle_since / warnings when
the endpoint is scored; this module only reads those fields.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from cost_watcher.judge import signals
from cost_watcher.judge.window import too_new
from cost_watcher.model import Action, Endpoint, Finding, Verdict, component_resource_id, variant_resource_id
from cost_watcher.settings import Settings, TagKeys

RECHECK_HOURS = 24
CLASSIC_FLOOR = 1  # UpdateEndpointWeightsAndCapacities cannot take a classic variant below one instance
TRAFFIC_VERDICTS = (Verdict.ACTIVE, Verdict.UNDERUSED)


@dataclass(frozen=True)
class Decision:
    """The plan for one finding. `blocked` names the guard that stops it ("skipped: <blocked>")."""

    action: Action
    reason: str
    reclaim_on: date | None = None
    blocked: str | None = None


def reclaimable(finding: Finding, settings: Settings) -> bool:
    """Whether the verdict allows the owner's opted-in action at all.

    Idle: delete or scale-down. Underused: scale-down only, and only when the deployment
    allows it (underused_scale_down); an endpoint that still serves traffic is never deleted.
    """
    if finding.verdict == Verdict.IDLE:
        return finding.reclaim_tag in ("delete", "scale-down")
    if finding.verdict == Verdict.UNDERUSED:
        return finding.reclaim_tag == "scale-down" and settings.underused_scale_down
    return False


def decide(finding: Finding, settings: Settings, now: datetime, *, region_has_errors: bool = False) -> Decision:
    """What to do with one finding: none, mark, unmark, delete or scale-down, with the reason."""
    today = now.date()
    endpoint = finding.endpoint
    eligible = reclaimable(finding, settings)

    # Returning traffic removes the mark, wherever it is seen: that only ever delays a reclaim.
    if finding.idle_since and finding.verdict in TRAFFIC_VERDICTS and not eligible:
        return Decision(Action.UNMARK, f"traffic returned ({finding.invocations:,.0f} invocations in the window): "
                                       f"grace-period mark {finding.idle_since} removed")

    if finding.reclaim_tag is None:
        if finding.verdict == Verdict.IDLE:
            return Decision(Action.NONE, f"not opted in (tag {settings.tags.reclaim}=delete or scale-down)")
        return Decision(Action.NONE, "")
    if not eligible:
        return Decision(Action.NONE, _why_not(finding, settings))
    if endpoint is None or not endpoint.described:
        return Decision(Action.NONE, "configuration and tags were not read: never acted on")
    if not (signals.actionable(endpoint.status) and signals.actionable(finding.status)):
        if signals.serves(endpoint.status):  # judged and priced, but AWS is in the middle of something
            why = f"status is {endpoint.status}: it serves and bills, but only InService endpoints are acted on"
            return Decision(Action.NONE, why, blocked=why)
        return Decision(Action.NONE, f"status is {endpoint.status}: only InService endpoints are acted on")
    if too_new(endpoint.created, now, settings.lookback_days):
        return Decision(Action.NONE, f"younger than the {settings.lookback_days}-day window: never acted on")

    region_guard = "its region's scan had errors: nothing there is acted on" if region_has_errors else None
    if finding.idle_since is None:
        reclaim_on = today + timedelta(days=settings.grace_days)
        return Decision(
            Action.MARK,
            f"{finding.verdict} and opted in to {finding.reclaim_tag}: mark {settings.tags.idle_since}={today}; "
            f"reclaimed on {reclaim_on} or later if still {finding.verdict}",
            reclaim_on,
            region_guard,
        )

    reclaim_on = finding.idle_since + timedelta(days=settings.grace_days)
    if today < reclaim_on:
        return Decision(Action.NONE, f"in its grace period: marked idle since {finding.idle_since}, "
                                     f"reclaimed on {reclaim_on} if still {finding.verdict}", reclaim_on)

    if finding.reclaim_tag == "scale-down":
        if not has_scale_down_room(endpoint):
            return Decision(Action.NONE, "already scaled down to its minimum", reclaim_on)
        action, what = Action.SCALE_DOWN, "scale down to the minimum"
    else:
        action, what = Action.DELETE, "delete (restore record first; config and models kept)"
    blocked = region_guard
    if blocked is None and not settings.ledger:
        blocked = "no ledger configured (setting ledger): no restore record, no reclaim"
    return Decision(action, f"{finding.verdict} since {finding.idle_since}, grace period over: {what}",
                    reclaim_on, blocked)


def _why_not(finding: Finding, settings: Settings) -> str:
    tag = finding.reclaim_tag
    if finding.verdict == Verdict.UNDERUSED and tag == "delete":
        return "underused, not idle: an endpoint with traffic is never deleted"
    if finding.verdict == Verdict.UNDERUSED:
        return "underused: scale-down of underused endpoints is off (setting underused_scale_down)"
    if finding.verdict == Verdict.ACTIVE:
        return "active: opted in, but it serves traffic"
    return f"verdict {finding.verdict}: never acted on"


def has_scale_down_room(endpoint: Endpoint) -> bool:
    """Whether anything is above its minimum, judged from the scan (the act re-reads it)."""
    if endpoint.components:
        return any(c.copy_count is None or c.copy_count > 0 for c in endpoint.components)
    for variant in endpoint.variants:
        if variant.serverless or variant.shadow:  # a scale-down changes production variants only
            continue
        if (variant.instance_count or 0) > CLASSIC_FLOOR:
            return True
        target = endpoint.scaling.get(variant.name)
        if target and target.min_capacity > (0 if endpoint.asynchronous else CLASSIC_FLOOR):
            return True
    return False


def cap_order(finding: Finding) -> tuple[Any, ...]:
    """Most money first, then the longest idle, then by name, so the cap defers the least."""
    return (-finding.reclaimable_usd, finding.idle_since or date.max, finding.region, finding.name)


def apply_cap(findings: list[Finding], limit: int) -> tuple[list[Finding], list[Finding]]:
    """Split destructive candidates into (act now, deferred to a later run)."""
    ordered = sorted(findings, key=cap_order)
    return ordered[:limit], ordered[limit:]


def deferred_reason(limit: int) -> str:
    return f"deferred: at most {limit} destructive action{'s' if limit != 1 else ''} a run (max_actions_per_run)"


# --- re-check -----------------------------------------------------------------------------

def recheck_window(scan_end: datetime, clock: datetime) -> tuple[datetime, datetime, int]:
    """(start, end, period) of the re-check: the last 24 h and everything since the scan,
    read as one datapoint per series (period = the whole window, a multiple of 60 s)."""
    end = max(scan_end, clock)
    start = min(scan_end, clock) - timedelta(hours=RECHECK_HOURS)
    start = start.replace(second=0, microsecond=0)
    period = max(60, math.ceil((end - start).total_seconds() / 60) * 60)
    return start, end, period


def recheck_objection(finding: Finding, invocations: float, start: datetime, end: datetime,
                      settings: Settings) -> str | None:
    """Why the fresh re-check forbids acting, or None. Idle must still be idle (any
    invocation objects); an underused endpoint objects when its daily rate at the re-check
    exceeds twice its scan-window average and the underused threshold (its traffic surged)."""
    if finding.verdict == Verdict.UNDERUSED:
        days = max((end - start).total_seconds() / 86400, 1 / 24)
        rate = invocations / days
        limit = max(2 * finding.invocations / settings.lookback_days, settings.underused_max_daily_invocations)
        if rate > limit:
            return (f"traffic rose to ~{rate:,.0f} invocations a day at the re-check (limit {limit:,.0f}): "
                    "not underused any more")
        return None
    if invocations > 0:
        return f"{invocations:,.0f} invocations since {start:%Y-%m-%d %H:%M} UTC at the re-check: not idle any more"
    return None


# --- scale-down ---------------------------------------------------------------------------

@dataclass
class ScaleDownPlan:
    """What a scale-down changes, with the values to restore. Stored in the ledger record."""

    targets: list[dict[str, Any]] = field(default_factory=list)  # ResourceId, ScalableDimension, Min/MaxCapacity, To
    variants: list[dict[str, Any]] = field(default_factory=list)  # VariantName, DesiredInstanceCount, DesiredWeight, To
    components: list[dict[str, Any]] = field(default_factory=list)  # InferenceComponentName, CopyCount, To

    @property
    def empty(self) -> bool:
        return not (self.targets or self.variants or self.components)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScaleDownPlan:
        return cls(list(data.get("targets", [])), list(data.get("variants", [])), list(data.get("components", [])))

    def describe(self) -> str:
        parts = [f"{v['VariantName']} {v['DesiredInstanceCount']} -> {v['To']} instance(s)" for v in self.variants]
        parts += [f"{t['ResourceId']} MinCapacity {t['MinCapacity']} -> {t['To']}" for t in self.targets]
        parts += [f"{c['InferenceComponentName']} copies {c['CopyCount']} -> {c['To']}" for c in self.components]
        return "; ".join(parts) or "nothing above its minimum"


def scale_down_plan(record: dict[str, Any]) -> ScaleDownPlan:
    """The scale-down of an endpoint as captured in a restore record (its fresh describes).

    - classic variant above one instance: UpdateEndpointWeightsAndCapacities to 1, after
      lowering its autoscaling MinCapacity to 1 (autoscaling would scale it back up);
    - asynchronous endpoint with an autoscaling target: MinCapacity 0 (it then scales in by itself);
    - inference components: copy count to 0 where the variant's managed instance scaling
      allows 0 instances, else to 1; their own autoscaling MinCapacity lowered likewise.
    """
    plan = ScaleDownPlan()
    live = {v["VariantName"]: v for v in record["endpoint"].get("ProductionVariants", [])}
    config = record["endpoint_config"]
    asynchronous = "AsyncInferenceConfig" in config
    targets = {t["ResourceId"]: t for t in record.get("scalable_targets", [])}
    floors: dict[str, int] = {}
    for spec in config.get("ProductionVariants", []):
        name = spec["VariantName"]
        managed = spec.get("ManagedInstanceScaling") or {}
        floors[name] = 0 if managed.get("Status") == "ENABLED" and managed.get("MinInstanceCount") == 0 else 1
        if record.get("inference_components") or "ServerlessConfig" in spec:
            continue  # IC endpoints scale through their components; serverless has no instances
        target = targets.get(variant_resource_id(record["endpoint"]["EndpointName"], name))
        current = live.get(name, {})
        count = current.get("DesiredInstanceCount",
                            current.get("CurrentInstanceCount", spec.get("InitialInstanceCount")))
        if asynchronous and target:
            if target["MinCapacity"] > 0:
                plan.targets.append(_target_change(target, 0))
            continue
        if target and target["MinCapacity"] > CLASSIC_FLOOR:
            plan.targets.append(_target_change(target, CLASSIC_FLOOR))
        if count is not None and count > CLASSIC_FLOOR:
            weight = current.get("DesiredWeight", current.get("CurrentWeight", spec.get("InitialVariantWeight", 1.0)))
            plan.variants.append({"VariantName": name, "DesiredInstanceCount": count, "DesiredWeight": weight,
                                  "To": CLASSIC_FLOOR})
    for component in record.get("inference_components", []):
        name = component["InferenceComponentName"]
        floor = floors.get(component.get("VariantName", ""), 1)
        runtime = component.get("RuntimeConfig") or {}
        copies = runtime.get("DesiredCopyCount", runtime.get("CurrentCopyCount"))
        target = targets.get(component_resource_id(name))
        if target and target["MinCapacity"] > floor:
            plan.targets.append(_target_change(target, floor))
        if copies is not None and copies > floor:
            plan.components.append({"InferenceComponentName": name, "CopyCount": copies, "To": floor})
    return plan


def _target_change(target: dict[str, Any], to: int) -> dict[str, Any]:
    return {
        "ResourceId": target["ResourceId"],
        "ScalableDimension": target["ScalableDimension"],
        "MinCapacity": target["MinCapacity"],
        "MaxCapacity": target["MaxCapacity"],
        "To": to,
    }


# --- records and restore ------------------------------------------------------------------

def endpoint_state(describe_endpoint: dict[str, Any]) -> dict[str, str]:
    """What identifies one incarnation of an endpoint in one configuration.

    A record is reused (never a second one) while this is unchanged: a retry after a
    partial run must restore from the values captured before the first change.
    """
    created = describe_endpoint.get("CreationTime")
    return {
        "arn": str(describe_endpoint.get("EndpointArn", "")),
        "created": created.isoformat() if isinstance(created, datetime) else str(created),
        "config": str(describe_endpoint.get("EndpointConfigName", "")),
    }


def same_state(record: dict[str, Any], describe_endpoint: dict[str, Any]) -> bool:
    return record.get("state") == endpoint_state(describe_endpoint)


def tags_to_restore(tags: list[dict[str, str]], prefix: str) -> list[dict[str, str]]:
    """The endpoint's original tags minus our grace-period mark and AWS-reserved keys."""
    mark = TagKeys(prefix).idle_since
    return [t for t in tags if t["Key"] != mark and not t["Key"].lower().startswith("aws:")]
