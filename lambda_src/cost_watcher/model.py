"""The nouns of a run: what inventory found, what metrics said, what we concluded.

Plain dataclasses with no AWS calls, so scoring, policy and rendering stay pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from cost_watcher.outcome import Outcome, OutcomeKind  # noqa: F401 - nouns of a finding, importable from here


class Verdict(StrEnum):
    IDLE = "idle"
    UNDERUSED = "underused"
    ACTIVE = "active"
    TOO_NEW = "too-new"
    NOT_IN_SERVICE = "not-in-service"
    NO_IDLE_COST = "no-idle-cost"
    UNKNOWN = "unknown"


class Action(StrEnum):
    NONE = "none"
    MARK = "mark"
    UNMARK = "unmark"
    DELETE = "delete"
    SCALE_DOWN = "scale-down"
    SCHEDULE = "schedule"  # apply (or update) quiet-hours scheduled actions
    UNSCHEDULE = "unschedule"  # withdraw them: traffic came into a quiet window, or the timetable is gone


DESTRUCTIVE_ACTIONS = (Action.DELETE, Action.SCALE_DOWN)


# --- inventory ----------------------------------------------------------------------------


def variant_resource_id(endpoint_name: str, variant_name: str) -> str:
    """How Application Auto Scaling names a variant's scalable target."""
    return f"endpoint/{endpoint_name}/variant/{variant_name}"


def component_resource_id(component_name: str) -> str:
    """How Application Auto Scaling names an inference component's scalable target."""
    return f"inference-component/{component_name}"



@dataclass
class Variant:
    name: str
    instance_type: str | None = None
    instance_count: int | None = None
    desired_instance_count: int | None = None
    serverless: bool = False
    min_instance_count: int | None = None  # managed instance scaling floor, when enabled
    shadow: bool = False  # a ShadowProductionVariant: gets a copy of the traffic, bills its own instances
    memory_mb: int | None = None  # serverless memory size
    provisioned_concurrency: int | None = None  # serverless provisioned concurrency: bills at rest
    pools: tuple[tuple[str, int | None], ...] = ()  # InstancePools: (instance type, live count or None)

    @property
    def billed_instances(self) -> int:
        """Instances that bill by the hour (serverless bills per request, so none)."""
        return 0 if self.serverless else int(self.instance_count or 0)

    @property
    def bills_at_rest(self) -> bool:
        """Whether it costs money while nobody calls it: instances, or provisioned concurrency."""
        return self.billed_instances > 0 or bool(self.serverless and self.provisioned_concurrency)


@dataclass
class Component:
    """An inference component hosted on an endpoint."""

    name: str
    endpoint_name: str
    variant_name: str | None = None
    status: str = "InService"
    copy_count: int | None = None


@dataclass
class ScalingTarget:
    """An Application Auto Scaling target on one variant (or inference component)."""

    resource_id: str
    dimension: str
    min_capacity: int
    max_capacity: int
    invocations_per_instance_per_minute: float | None = None  # from a target-tracking policy


@dataclass
class Endpoint:
    name: str
    region: str
    status: str
    created: datetime
    arn: str = ""
    last_modified: datetime | None = None
    config_name: str | None = None
    variants: list[Variant] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    scaling: dict[str, ScalingTarget] = field(default_factory=dict)  # by variant name
    asynchronous: bool = False
    described: bool = False  # DescribeEndpoint(+Config) and tags were read
    unsupported: list[str] = field(default_factory=list)  # config features whose traffic signal we do not read
    tags_read: bool = False  # `tags` are the endpoint's (the region's tag listing or ListTags), described or not


# --- metrics ------------------------------------------------------------------------------


@dataclass
class Usage:
    """Traffic of one variant or component, as CloudWatch reported it."""

    invocations: float = 0.0  # sum over the lookback window
    active_hours: int = 0  # hours in the window with at least one invocation
    peak_hourly: float = 0.0  # busiest hour in the window
    last_invocation: datetime | None = None  # newest period with invocations, within last_used_days
    max_utilization_pct: float | None = None  # peak CPU or GPU utilisation in the window

    @property
    def worked(self) -> bool:
        """Any work seen in the window (an invocation processed, or a request waiting)."""
        return self.invocations > 0 or self.active_hours > 0


@dataclass
class EndpointUsage:
    variants: dict[str, Usage] = field(default_factory=dict)
    components: dict[str, Usage] = field(default_factory=dict)
    queue: Usage | None = None  # async endpoints: hours with requests waiting (ApproximateBacklogSize > 0)
    error: str | None = None  # set when the metrics could not be read: the verdict is unknown


# --- conclusions --------------------------------------------------------------------------


@dataclass
class VariantFinding:
    name: str
    instance_type: str | None
    instance_count: int | None
    invocations: float
    verdict: Verdict
    monthly_cost_usd: float | None = None
    advice: str | None = None
    role: str = "production"  # production | shadow | retired (replaced by UpdateEndpoint, traffic still counts)


@dataclass
class Finding:
    name: str
    region: str
    status: str
    created: datetime
    verdict: Verdict
    score: int
    reason: str
    last_invocation: datetime | None = None
    invocations: float = 0.0
    variants: list[VariantFinding] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    monthly_cost_usd: float | None = None
    reclaimable_usd: float = 0.0
    price_source: str | None = None
    reclaim_tag: str | None = None  # the owner's opt-in, when valid
    idle_since: date | None = None  # our grace-period mark, when present
    advice: str | None = None
    warnings: list[str] = field(default_factory=list)
    action: Action = Action.NONE
    action_result: Outcome | None = None
    action_reason: str | None = None
    reclaim_on: date | None = None
    kind: str | None = None  # which row of the signal table judged it (signals.py)
    aws_opinion: str | None = None  # Compute Optimizer's view: agrees | disagrees | not-enrolled | unavailable
    aws_finding: str | None = None  # what Compute Optimizer said, when it listed the endpoint
    schedule: Schedule | None = None  # quiet weekly windows found in its traffic, priced (judge/schedule.py)
    timetable: object | None = field(default=None, repr=False, compare=False)  # judge/timetable.Timetable
    endpoint: Endpoint | None = field(default=None, repr=False, compare=False)
    account: str | None = None  # organization mode: the 12-digit id of the account it lives in
    account_name: str | None = None  # ... and that account's name in AWS Organizations
    owner: str | None = None  # organization mode: the value of the endpoint's owner tag, for owner routing


@dataclass
class Schedule:
    """Quiet weekly windows of an endpoint and what scaling in during them saves (judge/schedule.py).

    `windows`: [{days, from, to, hours}] in `timezone`; `scale_to`: instances (inference components:
    copies) per variant or component during a window; `targets`: what the scheduled actions change."""

    windows: list[dict]
    timezone: str
    scale_to: dict[str, int]
    monthly_savings_usd: float | None
    quiet_hours_per_week: int
    targets: list[dict] = field(default_factory=list)  # ResourceId, ScalableDimension, From (instances), To
    busy_hours: frozenset[int] = field(default=frozenset(), repr=False, compare=False)  # hours of the week
    sentence: str = ""


@dataclass
class RegionError:
    region: str
    operation: str
    message: str
    account: str | None = None  # organization mode: the account that could not be seen


@dataclass
class AccountSeen:
    """Organization mode: one account of the run, and whether it was seen ("seen" or "not seen: why")."""

    id: str
    name: str
    seen: str = "seen"


@dataclass(frozen=True)
class ScanPhase:
    """One step of a region's scan, in seconds since that region's scan began, and the steps
    it could not start without (what it waited for)."""

    region: str
    name: str
    start_s: float
    end_s: float
    after: tuple[str, ...] = ()


@dataclass
class Report:
    generated_at: datetime
    lookback_days: int
    regions: list[str]
    dry_run: bool
    findings: list[Finding] = field(default_factory=list)
    errors: list[RegionError] = field(default_factory=list)
    ignored: int = 0
    api_calls: dict[str, int] = field(default_factory=dict)
    report_location: str | None = None
    notification: str | None = None  # what happened to the digest
    accounts: list[AccountSeen] = field(default_factory=list)  # organization mode: every account of the run
    scan_phases: list[ScanPhase] = field(default_factory=list)  # when each region's scan waited on what (bench/)

    def regions_with_errors(self) -> set[str]:
        return {error.region for error in self.errors}
