"""Verdict, score, cost and a one-sentence reason for one endpoint. Pure functions only.

Score (0-100, higher = more idle) = 70 x share of hours in the lookback window without a
single invocation + 30 x days since the last invocation / last_used_days (capped at 1;
never invoked counts as 1). Never invoked: 100. Busy every hour: close to 0.
Endpoints not judged (too-new, not-in-service, unknown) score 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from cost_watcher.judge import signals
from cost_watcher.judge.cost import ConcurrencyLookup, PriceLookup, fleet, no_concurrency_price, variant_cost
from cost_watcher.judge.pricing import HOURS_PER_MONTH, is_accelerated
from cost_watcher.judge.tags import parse_tags
from cost_watcher.model import Endpoint, EndpointUsage, Finding, Usage, Variant, VariantFinding, Verdict
from cost_watcher.settings import Settings

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


def last_used_text(last: datetime | None, window: Window, what: str = "invocations") -> str:
    if last is None:
        return f"no {what} in {window.last_used_days}+ days"
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
    endpoint: Endpoint, usage: EndpointUsage | None, settings: Settings, now: datetime, prices: PriceLookup,
    concurrency: ConcurrencyLookup = no_concurrency_price,
) -> Finding:
    """The finding for one endpoint. `usage` is None when metrics were not read for it.

    It is judged by its kind's signal (signals.py): an async endpoint by what it processed and
    what waited in its queue, the others by their invocations."""
    window = Window.of(settings, now)
    state = parse_tags(endpoint.tags, settings.tag_prefix)
    finding = Finding(
        name=endpoint.name, region=endpoint.region, status=endpoint.status, created=endpoint.created,
        verdict=Verdict.UNKNOWN, score=0, reason="", reclaim_tag=state.reclaim, idle_since=state.idle_since,
        warnings=list(state.warnings), components=[c.name for c in endpoint.components], endpoint=endpoint,
        kind=signals.kind_of(endpoint) if endpoint.described else None,
    )
    _price(finding, endpoint, prices, concurrency)

    if not signals.serves(endpoint.status):
        finding.verdict = Verdict.NOT_IN_SERVICE
        finding.monthly_cost_usd = 0.0
        finding.reason = f"Status is {endpoint.status}: it serves no traffic and bills no instance; not judged."
        return finding
    if now - endpoint.created < timedelta(days=settings.lookback_days):
        age = (now - endpoint.created).days
        finding.verdict = Verdict.TOO_NEW
        finding.reason = (
            f"Created {age} day{'s' if age != 1 else ''} ago, within the {settings.lookback_days}-day "
            "window: not judged yet."
        )
        return finding
    if endpoint.unsupported:
        finding.reason = (f"Its configuration uses {'; '.join(endpoint.unsupported)}, whose traffic signal or cost "
                          "cost-watcher does not read; never treated as idle.")
        return finding
    if usage is None or usage.error:
        finding.reason = f"Could not read its usage ({(usage and usage.error) or 'no data'}); never treated as idle."
        return finding

    names = [v.name for v in endpoint.variants] or sorted(usage.variants)
    per_variant = {name: variant_usage(endpoint, name, usage) for name in names}
    # series of variants no longer in the config (replaced by UpdateEndpoint) are still this endpoint's traffic
    retired = {name: use for name, use in usage.variants.items() if name not in per_variant}
    # a component counts once: with the variant that hosts it, else (its variant not judged) on its own
    hosted = {c.name for c in endpoint.components
              if per_variant and (c.variant_name is None or c.variant_name in per_variant)}
    orphans = [use for name, use in usage.components.items() if name not in hosted]
    queue = [usage.queue] if usage.queue else []
    total = combine(list(per_variant.values()) + list(retired.values()) + orphans + queue)
    finding.invocations = total.invocations
    finding.last_invocation = total.last_invocation
    finding.score = score(total, window)
    _judge_variants(finding, endpoint, per_variant, retired, prices, concurrency)

    if not total.worked:
        _judge_idle(finding, endpoint, window)
        return finding
    if _judge_underused(finding, endpoint, per_variant, total, settings, window):
        return finding
    _judge_active(finding, endpoint, total, window, prices)
    return finding


def _judge_idle(finding: Finding, endpoint: Endpoint, window: Window) -> None:
    what = "nothing processed and nothing queued" if endpoint.asynchronous else "no invocations"
    if endpoint.described and not any(v.bills_at_rest for v in endpoint.variants):
        finding.verdict = Verdict.NO_IDLE_COST
        runs_on = "serverless" if any(v.serverless for v in endpoint.variants) else "zero instances"
        finding.reason = (f"{what.capitalize()} in the last {window.lookback_days} days, but it runs on {runs_on}: "
                          "it costs nothing while idle.")
        return
    finding.verdict = Verdict.IDLE
    finding.reclaimable_usd = finding.monthly_cost_usd or 0.0
    last = last_used_text(finding.last_invocation, window, "work" if endpoint.asynchronous else "invocations")
    finding.reason = (f"{what.capitalize()} in the last {window.lookback_days} days ({last}); "
                      f"{fleet(endpoint)} cost {money(finding.monthly_cost_usd)}.")


def _judge_active(finding: Finding, endpoint: Endpoint, total: Usage, window: Window, prices: PriceLookup) -> None:
    """Active: reclaimable is what its idle parts cost, never the whole endpoint."""
    finding.verdict = Verdict.ACTIVE
    current = [v for v in finding.variants if v.role != "retired"]
    busy = [v for v in current if v.verdict == Verdict.ACTIVE]
    idle = [v for v in current if v.verdict == Verdict.IDLE]
    finding.reason = (f"{total.invocations:,.0f} invocations in the last {window.lookback_days} days "
                      f"({last_used_text(total.last_invocation, window)}).")
    retired = [v for v in finding.variants if v.role == "retired" and v.invocations > 0]
    queued = finding.endpoint and finding.endpoint.asynchronous and total.invocations == 0
    if not busy and queued:  # async: nothing processed, but requests waited in its queue
        finding.reason = (f"Nothing processed in the last {window.lookback_days} days, but requests waited in its "
                          f"queue in {total.active_hours} hour(s) ({last_used_text(total.last_invocation, window)}).")
        finding.advice = ("Requests are queued but not processed: check the endpoint's capacity and its "
                          "autoscaling (HasBacklogWithoutCapacity).")
        return
    if not busy and retired:  # all of the window's work went to variants that UpdateEndpoint replaced
        names = ", ".join(f"{v.name} ({v.invocations:,.0f})" for v in retired)
        since = f" on {endpoint.last_modified:%Y-%m-%d}" if endpoint.last_modified else ""
        finding.reason += (f" All of it went to variant(s) {names}, replaced by UpdateEndpoint{since}; "
                           f"the current variant(s) {', '.join(v.name for v in current)} have had none since.")
        finding.advice = ("If the replacement is not meant to serve, it will be judged idle once a whole window "
                          "has passed without traffic.")
        return
    if not busy:  # the work came from elsewhere (components no variant lists): nothing to shift, nothing claimed
        return
    finding.reclaimable_usd = round(sum(v.monthly_cost_usd or 0.0 for v in idle), 2)
    advice = []
    production_idle = [v.name for v in idle if v.role == "production"]
    shadow_idle = [v.name for v in idle if v.role == "shadow"]
    if production_idle:
        advice.append(f"variant(s) {', '.join(production_idle)} had no traffic in {window.lookback_days} days: "
                      f"shift their weight to {', '.join(v.name for v in busy)} and remove them, or scale them down")
    if shadow_idle:
        advice.append(f"shadow variant(s) {', '.join(shadow_idle)} received no traffic: end the shadow test")
    waste = unused_instances_cost(endpoint, prices)
    if waste:
        finding.reclaimable_usd = round(finding.reclaimable_usd + waste[1], 2)
        advice.append(f"{waste[0]} instance(s) host no inference component copy ({money(waste[1])}): lower the "
                      "instance count or enable managed instance scaling")
    if idle:
        finding.reason += (f" Variant(s) {', '.join(v.name for v in idle)} idle: "
                           f"{money(sum(v.monthly_cost_usd or 0.0 for v in idle))} reclaimable.")
    if retired:
        finding.reason += f" Replaced variant(s) {', '.join(f'{v.name} ({v.invocations:,.0f})' for v in retired)}."
    finding.advice = sentence("; ".join(advice)) if advice else None


def unused_instances_cost(endpoint: Endpoint, prices: PriceLookup) -> tuple[int, float] | None:
    """(instances, $/month) that host no inference-component copy: each copy lives on one instance,
    so at least instances - copies of them are empty. None when copy counts are unknown."""
    if not endpoint.components or any(c.copy_count is None for c in endpoint.components):
        return None
    copies = sum(c.copy_count or 0 for c in endpoint.components)
    for variant in endpoint.variants:
        empty = variant.billed_instances - copies
        if empty > 0 and not variant.pools:
            hourly, _ = prices(variant.instance_type or "", endpoint.region)
            if hourly is not None:
                return empty, round(hourly * empty * HOURS_PER_MONTH, 2)
    return None


def _price(finding: Finding, endpoint: Endpoint, prices: PriceLookup, concurrency: ConcurrencyLookup) -> None:
    """Monthly cost of what bills at rest: instances (each pool at its price), provisioned concurrency."""
    if not endpoint.described:
        return
    total, sources = 0.0, set()
    for variant in endpoint.variants:
        part = variant_cost(variant, endpoint.region, prices, concurrency)
        finding.warnings += part.warnings
        sources |= part.sources
        if part.monthly_usd is None:
            finding.monthly_cost_usd = None
            finding.price_source = ", ".join(sorted(sources - {"serverless"})) or "unknown"
            return
        total += part.monthly_usd
    finding.monthly_cost_usd = round(total, 2)
    finding.price_source = ", ".join(sorted(sources - {"serverless"})) or "serverless"


def _judge_variants(finding: Finding, endpoint: Endpoint, per_variant: dict[str, Usage], retired: dict[str, Usage],
                    prices: PriceLookup, concurrency: ConcurrencyLookup) -> None:
    by_name = {v.name: v for v in endpoint.variants}
    for name, use in per_variant.items():
        variant = by_name.get(name, Variant(name=name))
        if use.worked:
            verdict = Verdict.ACTIVE
        elif endpoint.described and not variant.bills_at_rest:
            verdict = Verdict.NO_IDLE_COST
        else:
            verdict = Verdict.IDLE
        cost = variant_cost(variant, endpoint.region, prices, concurrency).monthly_usd if endpoint.described else None
        finding.variants.append(VariantFinding(
            name=name, instance_type=variant.instance_type or ("+".join(t for t, _ in variant.pools) or None),
            instance_count=variant.instance_count if endpoint.described else None, invocations=use.invocations,
            verdict=verdict, monthly_cost_usd=cost, role="shadow" if variant.shadow else "production",
        ))
    for name, use in sorted(retired.items()):
        finding.variants.append(VariantFinding(
            name=name, instance_type=None, instance_count=0, invocations=use.invocations,
            verdict=Verdict.ACTIVE if use.worked else Verdict.NO_IDLE_COST, monthly_cost_usd=0.0, role="retired",
        ))


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
