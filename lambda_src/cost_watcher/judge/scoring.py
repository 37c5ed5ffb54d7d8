"""Verdict, cost and a one-sentence reason for one endpoint, by its kind's signal. Pure functions only.

The score and the window are in judge/window.py, the underused rule in judge/underused.py.
Endpoints not judged (too-new, not-in-service, unknown) score 0.
"""

from __future__ import annotations

from cost_watcher.judge import signals
from cost_watcher.judge.cost import ConcurrencyLookup, PriceLookup, fleet, no_concurrency_price, variant_cost
from cost_watcher.judge.pricing import HOURS_PER_MONTH
from cost_watcher.judge.tags import parse_tags
from cost_watcher.judge.underused import judge_underused, money, sentence
from cost_watcher.judge.window import Window, combine, last_used_text, score, variant_usage
from cost_watcher.model import Endpoint, EndpointUsage, Finding, Usage, Variant, VariantFinding, Verdict
from cost_watcher.settings import Settings


def judge(
    endpoint: Endpoint, usage: EndpointUsage | None, settings: Settings, window: Window, prices: PriceLookup,
    concurrency: ConcurrencyLookup = no_concurrency_price,
) -> Finding:
    """The finding for one endpoint. `usage` is None when metrics were not read for it.

    It is judged by its kind's signal (signals.py): an async endpoint by what it processed and
    what waited in its queue, the others by their invocations."""
    now = window.now
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
    if window.too_new(endpoint.created):
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
    if judge_underused(finding, endpoint, per_variant, total, settings, window):
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


