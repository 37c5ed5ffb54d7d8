"""What an endpoint costs while nobody calls it, variant by variant. Pure functions only.

Instances bill every hour; a variant with several instance types (InstancePools) bills each
pool's live count at its own price; serverless bills nothing at rest unless it has
provisioned concurrency (memory x concurrency x hours). A price that cannot be found makes
the variant's cost None ("unpriced"), never a guess of another type's price.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cost_watcher.judge.pricing import HOURS_PER_MONTH
from cost_watcher.model import Endpoint, Variant

PriceLookup = Callable[[str, str], tuple[float | None, str]]  # (instance type, region) -> ($/hour, source)
ConcurrencyLookup = Callable[[int, str], tuple[float | None, str]]  # (memory MB, region) -> ($/unit-hour, source)


@dataclass
class VariantCost:
    monthly_usd: float | None  # None: some part could not be priced
    sources: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)


def no_concurrency_price(_memory_mb: int, _region: str) -> tuple[float | None, str]:
    return None, "unknown"


def variant_cost(variant: Variant, region: str, prices: PriceLookup,
                 concurrency: ConcurrencyLookup = no_concurrency_price) -> VariantCost:
    """$/month of one variant as it runs now."""
    if variant.serverless:
        if not variant.provisioned_concurrency:
            return VariantCost(0.0, {"serverless"})
        hourly, source = concurrency(int(variant.memory_mb or 0), region)
        if hourly is None:
            return VariantCost(None, {source}, [f"no price known for provisioned concurrency on {variant.name}: "
                                                "cost not counted"])
        monthly = hourly * variant.provisioned_concurrency * HOURS_PER_MONTH
        return VariantCost(round(monthly, 2), {source})
    if variant.pools:
        return _pools_cost(variant, region, prices)
    if variant.billed_instances == 0:
        return VariantCost(0.0)
    hourly, source = prices(variant.instance_type or "", region)
    if hourly is None:
        return VariantCost(None, {source}, [f"no price known for {variant.instance_type or 'its instance type'}: "
                                            "cost not counted"])
    return VariantCost(round(hourly * variant.billed_instances * HOURS_PER_MONTH, 2), {source})


def _pools_cost(variant: Variant, region: str, prices: PriceLookup) -> VariantCost:
    """Each instance pool at its own price; a pool without a live count leaves the cost unknown."""
    total, sources, warnings = 0.0, set(), []
    for instance_type, count in variant.pools:
        if count is None:
            types = ", ".join(t for t, _ in variant.pools)
            return VariantCost(None, sources, [f"variant {variant.name} runs instance pools ({types}) without live "
                                               "counts per type: cost not counted"])
        if count == 0:
            continue
        hourly, source = prices(instance_type, region)
        sources.add(source)
        if hourly is None:
            warnings.append(f"no price known for {instance_type} (instance pool of {variant.name}): cost not counted")
            return VariantCost(None, sources, warnings)
        total += hourly * count * HOURS_PER_MONTH
    return VariantCost(round(total, 2), sources)


def fleet(endpoint: Endpoint) -> str:
    """What it runs on, in words: '2 x ml.g5.xlarge + shadow 1 x ml.g5.xlarge'."""
    parts = []
    for variant in endpoint.variants:
        shadow = "shadow " if variant.shadow else ""
        if variant.serverless and variant.provisioned_concurrency:
            parts.append(f"{shadow}serverless with {variant.provisioned_concurrency} provisioned concurrency "
                         f"x {(variant.memory_mb or 0) // 1024} GB")
        elif variant.pools:
            parts += [f"{shadow}{'?' if n is None else n} x {t}" for t, n in variant.pools if n != 0]
        elif variant.billed_instances:
            parts.append(f"{shadow}{variant.billed_instances} x {variant.instance_type}")
    return " + ".join(parts) or "its instances"
