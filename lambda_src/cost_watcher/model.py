"""The nouns of a run: what inventory found, what metrics said, what we concluded.

Plain dataclasses with no AWS calls, so scoring, policy and rendering stay pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


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


DESTRUCTIVE_ACTIONS = (Action.DELETE, Action.SCALE_DOWN)


class OutcomeKind(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


class Outcome(str):
    """What became of a planned action: its kind and why, read as data by the report and digest.

    It is the report's JSON string itself ("planned", "done", "skipped: why", "failed: why"),
    so the schema stays as it is; `parse` reads one back (journal, stored reports)."""

    kind: OutcomeKind
    why: str

    def __new__(cls, kind: OutcomeKind | str, why: str = "") -> Outcome:
        kind = OutcomeKind(kind)
        outcome = super().__new__(cls, f"{kind}: {why}" if why else str(kind))
        outcome.kind, outcome.why = kind, why
        return outcome

    @classmethod
    def planned(cls) -> Outcome:
        return cls(OutcomeKind.PLANNED)

    @classmethod
    def done(cls, why: str = "") -> Outcome:
        return cls(OutcomeKind.DONE, why)

    @classmethod
    def skipped(cls, why: str) -> Outcome:
        return cls(OutcomeKind.SKIPPED, why)

    @classmethod
    def failed(cls, why: str) -> Outcome:
        return cls(OutcomeKind.FAILED, why)

    @classmethod
    def parse(cls, text: str | None) -> Outcome | None:
        """The outcome a stored string says; None for none. Raises ValueError for a string we never write."""
        if not text:
            return None
        kind, _, why = text.partition(":")
        return cls(kind.strip(), why.strip())

    def plus(self, more: str) -> Outcome:
        """The same outcome with more said about it."""
        return Outcome(self.kind, f"{self.why}; {more}" if self.why else more)


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
    endpoint: Endpoint | None = field(default=None, repr=False, compare=False)


@dataclass
class RegionError:
    region: str
    operation: str
    message: str


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
    scan_phases: list[ScanPhase] = field(default_factory=list)  # when each region's scan waited on what (bench/)

    def regions_with_errors(self) -> set[str]:
        return {error.region for error in self.errors}
