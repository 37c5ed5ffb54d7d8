"""Hypothesis strategies for the pure parts: endpoints, usages, findings, settings, tags.

Generated values stay within what AWS and our own scan can produce (InService or not,
described or not, any age, any traffic), so a counterexample is a real situation.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import strategies as st

from cost_watcher.model import Component, Endpoint, EndpointUsage, Finding, ScalingTarget, Usage, Variant, Verdict
from cost_watcher.settings import Settings

NOW = datetime(2025, 3, 10, 2, 0, tzinfo=UTC)
REGIONS = ("us-east-1", "eu-west-1")
PREFIX = "cost-watcher:"
INSTANCE_TYPES = ("ml.m5.large", "ml.m5.xlarge", "ml.c5.2xlarge", "ml.g4dn.xlarge", "ml.p3.2xlarge")
STATUSES = ("InService", "InService", "InService", "Updating", "Creating", "Failed", "SystemUpdating", "RollingBack")
VARIANT_NAMES = ("AllTraffic", "A", "B", "shadow")

settings_values = st.builds(
    Settings,
    regions=st.just(REGIONS),
    lookback_days=st.integers(1, 30),
    last_used_days=st.just(30),
    dry_run=st.booleans(),
    grace_days=st.integers(0, 10),
    max_actions_per_run=st.integers(0, 6),
    ledger=st.sampled_from([None, "s3://cw-ledger/prod"]),
    underused_scale_down=st.booleans(),
    pricing=st.just("table"),
)


@st.composite
def variants(draw: st.DrawFn) -> list[Variant]:
    names = draw(st.lists(st.sampled_from(VARIANT_NAMES), min_size=1, max_size=3, unique=True))
    out = []
    for name in names:
        serverless = draw(st.booleans()) if len(names) == 1 else False
        out.append(Variant(name=name, instance_type=None if serverless else draw(st.sampled_from(INSTANCE_TYPES)),
                           instance_count=None if serverless else draw(st.integers(0, 5)), serverless=serverless))
    return out


@st.composite
def endpoints(draw: st.DrawFn, *, in_service: bool | None = None) -> Endpoint:
    name = draw(st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4}){0,2}", fullmatch=True))
    status = "InService" if in_service else draw(st.sampled_from(STATUSES))
    created = NOW - timedelta(days=draw(st.floats(0, 400)))
    endpoint = Endpoint(name=name, region=draw(st.sampled_from(REGIONS)), status=status, created=created,
                        arn=f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{name}",
                        variants=draw(variants()), described=draw(st.booleans()))
    if draw(st.booleans()):
        variant = endpoint.variants[0].name
        endpoint.components = [Component(f"{name}-ic{i}", name, draw(st.sampled_from([None, variant])),
                                         copy_count=draw(st.integers(0, 3)))
                               for i in range(draw(st.integers(1, 2)))]
    for variant in endpoint.variants:
        if not variant.serverless and draw(st.booleans()):
            low = draw(st.integers(0, 4))
            endpoint.scaling[variant.name] = ScalingTarget(
                f"endpoint/{name}/variant/{variant.name}", "sagemaker:variant:DesiredInstanceCount", low,
                low + draw(st.integers(0, 4)), draw(st.one_of(st.none(), st.floats(1, 1000))))
    return endpoint


def usages(active: bool | None = None) -> st.SearchStrategy[Usage]:
    """Traffic of one series; `active` forces at least one invocation (True) or none (False)."""
    if active is False:
        invocations = st.just(0.0)
    elif active:
        invocations = st.floats(0.001, 1e7, allow_nan=False)
    else:
        invocations = st.one_of(st.just(0.0), st.floats(0.001, 1e7, allow_nan=False))
    return st.builds(
        lambda n, hours, peak, last, util: Usage(
            invocations=n, active_hours=hours if n else 0, peak_hourly=peak if n else 0.0,
            last_invocation=NOW - timedelta(hours=last) if n else None, max_utilization_pct=util),
        invocations, st.integers(1, 24 * 30), st.floats(0.001, 1e6), st.floats(0, 24 * 30),
        st.one_of(st.none(), st.floats(0, 100)))


dates = st.dates(min_value=NOW.date() - timedelta(days=60), max_value=NOW.date() + timedelta(days=5))


@st.composite
def findings(draw: st.DrawFn, *, verdict: Verdict | None = None, reclaim: str | bool | None = True) -> Finding:
    """A finding as scoring would hand it to policy. reclaim=True: any opt-in or none."""
    endpoint = draw(endpoints())
    tag = draw(st.sampled_from([None, "delete", "scale-down"])) if reclaim is True else reclaim
    idle_since: date | None = draw(st.one_of(st.none(), dates))
    return Finding(name=endpoint.name, region=endpoint.region, status=endpoint.status, created=endpoint.created,
                   verdict=verdict or draw(st.sampled_from(list(Verdict))), score=draw(st.integers(0, 100)),
                   reason="", reclaim_tag=tag, idle_since=idle_since,
                   invocations=draw(st.floats(0, 1e6)), reclaimable_usd=draw(st.floats(0, 50_000)),
                   endpoint=endpoint)


# Tag values an owner might type: exact opt-ins, and the near misses the tag contract refuses.
NEAR_MISSES = ("Delete", "DELETE", " delete", "delete ", "delete\n", "scale_down", "Scale-Down", "scale-down\t",
               "scaledown", "délete", "", "true", "yes", "delete,scale-down")
tag_values = st.one_of(st.sampled_from(NEAR_MISSES), st.text(max_size=12))


def usage_for(endpoint: Endpoint, per_variant: dict[str, Usage], per_component: dict[str, Usage]) -> EndpointUsage:
    return EndpointUsage(variants=per_variant, components=per_component)


def price(instance_type: str, region: str) -> tuple[float | None, str]:
    """A price for every instance type (the table's job is tested elsewhere)."""
    return (0.5 if instance_type else None), "test"
