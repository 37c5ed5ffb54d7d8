"""Hypothesis strategies for the pure parts: endpoints, usages, findings, settings, tags.

Generated values stay within what AWS and our own scan can produce (InService or not,
described or not, any age, any traffic), so a counterexample is a real situation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from hypothesis import strategies as st

from cost_watcher.judge import signals
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


# --- every kind of endpoint (signals.py), with the usage its kind's signal yields ----------

# Kinds the generator builds; each maps to a row of signals.SIGNALS (shadow and multi-variant
# are real-time endpoints; serverless-provisioned is serverless that bills at rest).
KINDS = ("real-time", "real-time-multi", "shadow", "async", "serverless", "serverless-provisioned", "components")
UNKNOWN_STATUS = "Quiescing"  # a status AWS might add later: serves() treats it as serving
ALL_STATUSES = (*signals.STATUSES, UNKNOWN_STATUS)
RETIRED_NAMES = ("blue", "old-AllTraffic")  # variants of a previous endpoint config, still in CloudWatch
ODD_MARKS = ("2025-13-01", "yesterday", "")


def concurrency_price(memory_mb: int, region: str) -> tuple[float | None, str]:
    """A price for provisioned concurrency of any memory size."""
    return 0.0001 * max(memory_mb, 1024) / 1024, "test"


@dataclass
class KindCase:
    """One endpoint of one kind and the usage the scan would read for it (signals.work_queries)."""

    kind: str
    endpoint: Endpoint
    usage: EndpointUsage

    def series(self) -> list[Usage]:
        """Every usage series: variants (current and retired), components and the async queue."""
        return [*self.usage.variants.values(), *self.usage.components.values(),
                *([self.usage.queue] if self.usage.queue else [])]

    @property
    def worked(self) -> bool:
        return any(u.worked for u in self.series())


def silent_usage() -> st.SearchStrategy[Usage]:
    return st.just(Usage()).map(lambda _: Usage())  # a fresh object each time


def busy_usage() -> st.SearchStrategy[Usage]:
    """Work of a variant or component series: invocations (InvocationsProcessed for async) in
    some hours; rarely odd (invocations without a busy hour, or a busy hour with invocations 0)."""
    realistic = usages(active=True)
    odd = st.one_of(st.builds(lambda n: Usage(invocations=n), st.floats(0.001, 10)),
                    st.builds(lambda h: Usage(active_hours=h), st.integers(1, 3)))
    return st.one_of(realistic, realistic, realistic, odd)


def queue_usage(busy: bool) -> st.SearchStrategy[Usage]:
    """The async queue as scan.region._usage condenses it: no invocations, hours with requests waiting."""
    if not busy:
        return silent_usage()
    return st.builds(lambda hours, last: Usage(active_hours=hours, last_invocation=NOW - timedelta(hours=last)),
                     st.integers(1, 24 * 30), st.floats(0, 24 * 30))


def _one_in(draw: st.DrawFn, n: int) -> bool:
    """True about once in n draws (integers() would favour 0 far more often)."""
    return draw(st.sampled_from([False] * (n - 1) + [True]))


def _instance_variant(draw: st.DrawFn, name: str, *, shadow: bool = False, min_count: int = 0) -> Variant:
    count = draw(st.integers(min_count, 5))
    if _one_in(draw, 10):  # InstancePools: each pool's live count (None: not read)
        pools = tuple((t, draw(st.one_of(st.none(), st.integers(0, 3))))
                      for t in draw(st.lists(st.sampled_from(INSTANCE_TYPES), min_size=1, max_size=2, unique=True)))
        return Variant(name, None, count, count, pools=pools, shadow=shadow)
    return Variant(name, draw(st.sampled_from(INSTANCE_TYPES)), count, count, shadow=shadow,
                   min_instance_count=draw(st.sampled_from([None, None, 0, 1])))


def _tags(draw: st.DrawFn) -> dict[str, str]:
    """Opt-in tags (often exact, sometimes a near miss) and our idle-since mark (often due)."""
    tags: dict[str, str] = {}
    reclaim = draw(st.sampled_from(["delete", "delete", "scale-down", "scale-down", None, "Delete", "scale_down"]))
    if reclaim is not None:
        tags[PREFIX + "reclaim"] = reclaim
    mark = draw(st.one_of(st.just(NOW.date() - timedelta(days=30)), st.just(NOW.date() - timedelta(days=30)),
                          st.none(), dates, st.sampled_from(ODD_MARKS)))
    if mark is not None:
        tags[PREFIX + "idle-since"] = str(mark)
    if _one_in(draw, 20):
        tags[PREFIX + "ignore"] = draw(st.sampled_from(["true", "True", "no"]))
    return tags


@st.composite
def kind_cases(draw: st.DrawFn, *, kind: str | None = None, work: bool | None = None,
               status: str | None = None) -> KindCase:
    """A described endpoint of any kind the engine judges, with the usage of its signal.

    `work`: True forces work in at least one series (a variant, a component, a retired
    variant or the async queue), False makes every series silent, None either. `status`
    None: any of signals.STATUSES or one AWS may add later (mostly InService)."""
    kind = kind or draw(st.sampled_from((*KINDS, "async", "async", "components")))  # the kinds with most series
    name = draw(st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4}){0,1}", fullmatch=True))
    region = draw(st.sampled_from(REGIONS))
    if status is None:
        status = draw(st.one_of(st.just("InService"), st.just("InService"), st.sampled_from(ALL_STATUSES)))
    endpoint = Endpoint(name=name, region=region, status=status,
                        created=NOW - timedelta(days=draw(st.one_of(st.floats(31, 400), st.floats(0, 400)))),
                        arn=f"arn:aws:sagemaker:{region}:123456789012:endpoint/{name}", config_name=f"{name}-config",
                        described=True, tags=_tags(draw))
    if kind in ("real-time", "async"):
        names = ["AllTraffic"] if kind == "real-time" else draw(
            st.lists(st.sampled_from(VARIANT_NAMES[:3]), min_size=1, max_size=2, unique=True))
        endpoint.variants = [_instance_variant(draw, n) for n in names]
        endpoint.asynchronous = kind == "async"
    elif kind == "real-time-multi":
        endpoint.variants = [_instance_variant(draw, n) for n in
                             draw(st.lists(st.sampled_from(VARIANT_NAMES[:3]), min_size=2, max_size=3, unique=True))]
    elif kind == "shadow":
        endpoint.variants = [_instance_variant(draw, "AllTraffic"), _instance_variant(draw, "shadow", shadow=True)]
    elif kind in ("serverless", "serverless-provisioned"):
        endpoint.variants = [Variant("AllTraffic", serverless=True, memory_mb=draw(st.sampled_from([1024, 2048, 6144])),
                                     provisioned_concurrency=draw(st.integers(1, 10))
                                     if kind == "serverless-provisioned" else None)]
    else:  # inference components, each on the endpoint's variant (or not naming one)
        endpoint.variants = [_instance_variant(draw, "AllTraffic")]
        endpoint.components = [Component(f"{name}-ic{i}", name, draw(st.sampled_from([None, "AllTraffic"])),
                                         copy_count=draw(st.integers(0, 3)))
                               for i in range(draw(st.integers(1, 3)))]
    for variant in endpoint.variants:
        if not variant.serverless and _one_in(draw, 3):
            low = draw(st.integers(0, 3))
            endpoint.scaling[variant.name] = ScalingTarget(
                f"endpoint/{name}/variant/{variant.name}", "sagemaker:variant:DesiredInstanceCount", low,
                low + draw(st.integers(0, 3)), draw(st.one_of(st.none(), st.floats(1, 1000))))
    if _one_in(draw, 20):
        endpoint.unsupported = ["AcceleratorType on variant AllTraffic: Elastic Inference accelerator"]

    # the series the scan reads: every current variant and component, replaced variants it
    # still lists, the queue of an async endpoint; each silent or busy, at least one busy if asked
    slots = [("variant", v.name) for v in endpoint.variants]
    slots += [("variant", n) for n in draw(st.lists(st.sampled_from(RETIRED_NAMES), unique=True, max_size=2))]
    slots += [("component", c.name) for c in endpoint.components]
    if endpoint.asynchronous:
        slots.append(("queue", "endpoint"))
    forced = draw(st.sampled_from(slots)) if work else None
    only_forced = draw(st.booleans())  # often exactly one series worked: the queue alone, a retired variant alone...
    usage = EndpointUsage()
    for slot in slots:
        busy = slot == forced or (work is not False and not only_forced and draw(st.booleans()))
        if slot[0] == "queue":
            usage.queue = draw(queue_usage(busy))
        else:
            series = usage.variants if slot[0] == "variant" else usage.components
            series[slot[1]] = draw(busy_usage() if busy else silent_usage())
    return KindCase(kind, endpoint, usage)
