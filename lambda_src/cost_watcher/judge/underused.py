"""Underused: traffic far below what the instances cost, and how many instances it needs.

Rule: a described endpoint with billed instances where either
  (a) it averages fewer than `underused_max_daily_invocations` a day and is expensive
      (2+ instances, an accelerated instance, or >= $500/mo), or
  (b) its peak CPU/GPU utilisation stayed under `underused_max_utilization_pct` on 2+ instances.
Right-sizing follows Inference Recommender's formula where the per-instance capacity is known.
"""

from __future__ import annotations

import math

from cost_watcher.judge.cost import fleet
from cost_watcher.judge.pricing import is_accelerated
from cost_watcher.judge.window import Window
from cost_watcher.model import Endpoint, Finding, Usage, Variant, Verdict
from cost_watcher.settings import Settings
from cost_watcher.words import money as _money

EXPENSIVE_MONTHLY_USD = 500.0
TARGET_UTILIZATION_PCT = 70.0


def money(value: float | None) -> str:
    return _money(value, unknown="unpriced", suffix="/mo")


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def judge_underused(
    finding: Finding,
    endpoint: Endpoint,
    per_variant: dict[str, Usage],
    total: Usage,
    settings: Settings,
    window: Window,
) -> bool:
    """Underused: traffic far below what the instances cost. Sets verdict, advice, reclaimable.

    Rule: a described endpoint with billed instances where either
      (a) it averages fewer than `underused_max_daily_invocations` a day and is expensive
          (2+ instances, an accelerated instance, or >= $500/mo), or
      (b) its peak CPU/GPU utilisation stayed under `underused_max_utilization_pct` on 2+ instances.
    """
    billed = [v for v in endpoint.variants if v.billed_instances > 0]
    if not endpoint.described or not billed or finding.monthly_cost_usd is None:
        return False
    if total.invocations == 0:  # only requests waiting in an async queue: work not done, never "underused"
        return False
    instances = sum(v.billed_instances for v in billed)
    accelerated = any(is_accelerated(v.instance_type or "") for v in billed)
    daily = total.invocations / window.lookback_days
    expensive = instances >= 2 or accelerated or finding.monthly_cost_usd >= EXPENSIVE_MONTHLY_USD
    trickle = daily < settings.underused_max_daily_invocations and expensive
    utilization = total.max_utilization_pct
    low_util = utilization is not None and utilization < settings.underused_max_utilization_pct and instances >= 2
    if not (trickle or low_util):
        return False

    monthly = finding.monthly_cost_usd
    per_instance = monthly / instances
    advice, saving = [], 0.0
    for variant in billed:
        use = per_variant.get(variant.name, Usage())
        needed, why = right_size(variant, use, endpoint, low_util)
        if needed < variant.billed_instances:
            saving += (variant.billed_instances - needed) * per_instance
            advice.append(f"scale {variant.name} from {variant.billed_instances} to {needed} instance(s) ({why})")
    quiet_share = 1 - min(total.active_hours, window.hours) / window.hours
    if trickle and not accelerated:
        advice.append(f"at ~{daily:,.0f} invocations a day, consider serverless inference (billed per request)")
        saving = max(saving, monthly * quiet_share)  # its busy hours would still be billed
    elif trickle and accelerated and saving == 0:
        if endpoint.asynchronous:
            advice.append("set its autoscaling MinCapacity to 0: an asynchronous endpoint then scales in to zero "
                          "when its queue is empty and bills only busy hours")
        else:
            advice.append("consider asynchronous inference with scale-to-zero (MinCapacity 0): it bills only busy "
                          "hours")
        saving = monthly * quiet_share
    idle_variants = [v.name for v in billed if not per_variant.get(v.name, Usage()).worked]
    if idle_variants and len(endpoint.variants) > 1:
        advice.insert(0, f"variant(s) {', '.join(idle_variants)} had no traffic at all: remove them first")
    finding.verdict = Verdict.UNDERUSED
    finding.reclaimable_usd = round(saving, 2)
    finding.advice = sentence("; ".join(advice)) if advice else None
    if trickle:
        finding.reason = (
            f"Only ~{daily:,.1f} invocations a day over {window.lookback_days} days on "
            f"{fleet(endpoint)} ({money(monthly)})."
        )
    else:
        finding.reason = (
            f"Peak utilisation {utilization:.0f}% over {window.lookback_days} days on "
            f"{fleet(endpoint)} ({money(monthly)})."
        )
    return True


def right_size(variant: Variant, use: Usage, endpoint: Endpoint, low_util: bool) -> tuple[int, str]:
    """Instances a variant needs, by the capacity formula of Inference Recommender:
    instances = ceil(peak TPS / per-instance TPS), per-instance TPS from a target-tracking policy.
    Without a known capacity: by peak utilisation against a 70% target, else one instance.
    """
    target = endpoint.scaling.get(variant.name)
    floor = max(1, variant.min_instance_count or 1)
    if target and target.invocations_per_instance_per_minute:
        per_instance_tps = target.invocations_per_instance_per_minute / 60
        peak_tps = use.peak_hourly / 3600
        needed = max(floor, math.ceil(peak_tps / per_instance_tps))
        return needed, f"peak {peak_tps:.3g} TPS / {per_instance_tps:.3g} TPS per instance"
    if low_util and use.max_utilization_pct is not None:
        needed = max(floor, math.ceil(variant.billed_instances * use.max_utilization_pct / TARGET_UTILIZATION_PCT))
        return needed, f"peak utilisation {use.max_utilization_pct:.0f}% against a {TARGET_UTILIZATION_PCT:.0f}% target"
    return floor, "traffic fits one instance"
