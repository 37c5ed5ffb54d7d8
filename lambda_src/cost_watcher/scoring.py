"""Verdict, score, cost and a one-sentence reason for one endpoint. Pure functions only.

Score (0-100, higher = more idle) = 70 x share of hours in the lookback window without a
single invocation + 30 x days since the last invocation / last_used_days (capped at 1;
never invoked counts as 1). Never invoked: 100. Busy every hour: close to 0.
Endpoints not judged (too-new, not-in-service, unknown) score 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .model import Endpoint, EndpointUsage, Finding, Usage, Variant, VariantFinding, Verdict
from .pricing import HOURS_PER_MONTH, is_accelerated
from .settings import Settings
from .tags import parse_tags

PriceLookup = Callable[[str, str], tuple[float | None, str]]
QUIET_WEIGHT, STALENESS_WEIGHT = 70, 30
EXPENSIVE_MONTHLY_USD = 500.0
TARGET_UTILIZATION_PCT = 70.0


@dataclass
class Window:
    """The judging window of one run."""

    now: datetime
    lookback_days: int
    last_used_days: int

    @property
    def hours(self) -> int:
        return self.lookback_days * 24

    @classmethod
    def of(cls, settings: Settings, now: datetime) -> Window:
        return cls(now, settings.lookback_days, settings.last_used_days)


def score(usage: Usage, window: Window) -> int:
    quiet_share = 1 - min(usage.active_hours, window.hours) / window.hours
    if usage.last_invocation is None:
        staleness = 1.0
    else:
        days = max(0.0, (window.now - usage.last_invocation).total_seconds() / 86400)
        staleness = min(days, window.last_used_days) / window.last_used_days
    return round(QUIET_WEIGHT * quiet_share + STALENESS_WEIGHT * staleness)


def last_used_text(last: datetime | None, window: Window) -> str:
    if last is None:
        return f"no invocations in {window.last_used_days}+ days"
    days = (window.now - last).days
    if days <= 0:
        return "last used today"
    return f"last used {days} day{'s' if days != 1 else ''} ago"


def combine(usages: list[Usage]) -> Usage:
    """Endpoint-level traffic from its variants' and components' traffic."""
    lasts = [u.last_invocation for u in usages if u.last_invocation]
    utilizations = [u.max_utilization_pct for u in usages if u.max_utilization_pct is not None]
    return Usage(
        invocations=sum(u.invocations for u in usages),
        active_hours=max((u.active_hours for u in usages), default=0),
        peak_hourly=sum(u.peak_hourly for u in usages),
        last_invocation=max(lasts, default=None),
        max_utilization_pct=max(utilizations, default=None),
    )


def variant_usage(endpoint: Endpoint, variant_name: str, usage: EndpointUsage) -> Usage:
    """A variant's traffic includes that of the inference components it hosts."""
    parts = [usage.variants.get(variant_name, Usage())]
    parts += [
        usage.components.get(c.name, Usage()) for c in endpoint.components if c.variant_name in (None, variant_name)
    ]
    own = combine(parts)
    own.max_utilization_pct = parts[0].max_utilization_pct
    return own


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def money(value: float | None) -> str:
    return "unpriced" if value is None else f"${value:,.0f}/mo"


def judge(
    endpoint: Endpoint, usage: EndpointUsage | None, settings: Settings, now: datetime, prices: PriceLookup
) -> Finding:
    """The finding for one endpoint. `usage` is None when metrics were not read for it."""
    window = Window.of(settings, now)
    state = parse_tags(endpoint.tags, settings.tag_prefix)
    finding = Finding(
        name=endpoint.name,
        region=endpoint.region,
        status=endpoint.status,
        created=endpoint.created,
        verdict=Verdict.UNKNOWN,
        score=0,
        reason="",
        reclaim_tag=state.reclaim,
        idle_since=state.idle_since,
        warnings=list(state.warnings),
        components=[c.name for c in endpoint.components],
        endpoint=endpoint,
    )
    _price(finding, endpoint, prices)

    if endpoint.status != "InService":
        finding.verdict = Verdict.NOT_IN_SERVICE
        finding.reason = f"Status is {endpoint.status}: only InService endpoints are judged or acted on."
        return finding
    if now - endpoint.created < timedelta(days=settings.lookback_days):
        age = (now - endpoint.created).days
        finding.verdict = Verdict.TOO_NEW
        finding.reason = (
            f"Created {age} day{'s' if age != 1 else ''} ago, within the {settings.lookback_days}-day "
            "window: not judged yet."
        )
        return finding
    if usage is None or usage.error:
        finding.verdict = Verdict.UNKNOWN
        finding.reason = f"Could not read its usage ({(usage and usage.error) or 'no data'}); never treated as idle."
        return finding

    names = [v.name for v in endpoint.variants] or sorted(usage.variants)
    per_variant = {name: variant_usage(endpoint, name, usage) for name in names}
    # series of variants no longer in the config (replaced by UpdateEndpoint) are still this endpoint's traffic
    retired = [use for name, use in usage.variants.items() if name not in per_variant]
    hosted = {c.name for c in endpoint.components} if per_variant else set()
    orphans = [use for name, use in usage.components.items() if name not in hosted]
    total = combine(list(per_variant.values()) + retired + orphans)
    finding.invocations = total.invocations
    finding.last_invocation = total.last_invocation
    finding.score = score(total, window)
    _judge_variants(finding, endpoint, per_variant, prices)

    if total.invocations == 0:
        billed = sum(v.billed_instances for v in endpoint.variants)
        if endpoint.described and billed == 0:
            finding.verdict = Verdict.NO_IDLE_COST
            finding.reason = (
                f"No invocations in the last {window.lookback_days} days, but it runs on "
                f"{'serverless' if any(v.serverless for v in endpoint.variants) else 'zero instances'}"
                ": it costs nothing while idle."
            )
            return finding
        finding.verdict = Verdict.IDLE
        finding.reclaimable_usd = finding.monthly_cost_usd or 0.0
        last = last_used_text(total.last_invocation, window)
        finding.reason = (
            f"No invocations in the last {window.lookback_days} days ({last}); "
            f"{_fleet(endpoint)} cost {money(finding.monthly_cost_usd)}."
        )
        return finding

    if _judge_underused(finding, endpoint, per_variant, total, settings, window):
        return finding

    finding.verdict = Verdict.ACTIVE
    idle_variants = [v for v in finding.variants if v.verdict == Verdict.IDLE]
    finding.reclaimable_usd = round(sum(v.monthly_cost_usd or 0.0 for v in idle_variants), 2)
    finding.reason = (
        f"{total.invocations:,.0f} invocations in the last {window.lookback_days} days "
        f"({last_used_text(total.last_invocation, window)})."
    )
    if idle_variants:
        names_text = ", ".join(v.name for v in idle_variants)
        finding.advice = (
            f"Variant(s) {names_text} had no traffic in {window.lookback_days} days: shift their weight "
            "to the busy variant and remove them, or scale them down."
        )
        finding.reason += f" Variant(s) {names_text} idle: {money(finding.reclaimable_usd)} reclaimable."
    return finding


def _price(finding: Finding, endpoint: Endpoint, prices: PriceLookup) -> None:
    """Monthly cost of each billed instance; serverless costs nothing while idle."""
    if not endpoint.described:
        return
    total, sources = 0.0, set()
    for variant in endpoint.variants:
        if variant.billed_instances == 0:
            continue
        hourly, source = prices(variant.instance_type or "", endpoint.region)
        sources.add(source)
        if hourly is None:
            finding.monthly_cost_usd = None
            finding.price_source = source
            finding.warnings.append(f"no price known for {variant.instance_type}: cost not counted")
            return
        total += hourly * variant.billed_instances * HOURS_PER_MONTH
    finding.monthly_cost_usd = round(total, 2)
    finding.price_source = ", ".join(sorted(sources)) or "serverless"


def _variant_cost(variant: Variant, region: str, prices: PriceLookup) -> float | None:
    if variant.billed_instances == 0:
        return 0.0
    hourly, _ = prices(variant.instance_type or "", region)
    return None if hourly is None else round(hourly * variant.billed_instances * HOURS_PER_MONTH, 2)


def _judge_variants(finding: Finding, endpoint: Endpoint, per_variant: dict[str, Usage], prices: PriceLookup) -> None:
    by_name = {v.name: v for v in endpoint.variants}
    for name, use in per_variant.items():
        variant = by_name.get(name, Variant(name=name))
        if use.invocations > 0:
            verdict = Verdict.ACTIVE
        elif endpoint.described and variant.billed_instances == 0:
            verdict = Verdict.NO_IDLE_COST
        else:
            verdict = Verdict.IDLE
        finding.variants.append(
            VariantFinding(
                name=name,
                instance_type=variant.instance_type,
                instance_count=variant.instance_count if endpoint.described else None,
                invocations=use.invocations,
                verdict=verdict,
                monthly_cost_usd=_variant_cost(variant, endpoint.region, prices) if endpoint.described else None,
            )
        )


def _judge_underused(
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
    if trickle and not accelerated:
        advice.append(f"at ~{daily:,.0f} invocations a day, consider serverless inference (billed per request)")
        saving = monthly
    elif trickle and accelerated and saving == 0:
        quiet_share = 1 - min(total.active_hours, window.hours) / window.hours
        advice.append("consider asynchronous inference with scale-to-zero (MinCapacity 0): it bills only busy hours")
        saving = monthly * quiet_share

    finding.verdict = Verdict.UNDERUSED
    finding.reclaimable_usd = round(saving, 2)
    finding.advice = sentence("; ".join(advice)) if advice else None
    if trickle:
        finding.reason = (
            f"Only ~{daily:,.1f} invocations a day over {window.lookback_days} days on "
            f"{_fleet(endpoint)} ({money(monthly)})."
        )
    else:
        finding.reason = (
            f"Peak utilisation {utilization:.0f}% over {window.lookback_days} days on "
            f"{_fleet(endpoint)} ({money(monthly)})."
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


def _fleet(endpoint: Endpoint) -> str:
    parts = [f"{v.billed_instances} x {v.instance_type}" for v in endpoint.variants if v.billed_instances]
    return " + ".join(parts) or "its instances"
