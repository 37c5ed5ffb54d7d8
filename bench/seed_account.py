"""A large simulated SageMaker account for the benchmark: the plan (pure) and the seeding.

The plan is a deterministic mix that looks like a real fleet: most endpoints busy around
the clock, ~10% idle (never invoked, quiet for a week or two, or last used weeks ago),
a few with trickle traffic, multi-variant endpoints (one with an unused shadow variant),
serverless ones, a few too new to judge and a few not in service. CloudWatch gets what
SageMaker really publishes: hourly `Invocations` per variant (EndpointName+VariantName)
and `CPUUtilization` in `/aws/sagemaker/Endpoints` for every instance-backed InService
variant, busy or not.

Seeding writes straight into moto's in-process backends (the server shares them): the
benchmark measures scans, not the tens of thousands of calls seeding would take.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

ACCOUNT_ID = "123456789012"  # moto's default account, which fake credentials map to
INVOCATIONS_NAMESPACE = "AWS/SageMaker"
INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"
PUT_BATCH = 1000  # PutMetricData's datapoint limit per call
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/bench-sagemaker"
IMAGE = f"{ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/bench-model:latest"
# Instance types moto's endpoint config accepts (it rejects ml.g5.* and newer families).
INSTANCE_TYPES = ("ml.m5.large", "ml.m5.xlarge", "ml.m5.4xlarge", "ml.c5.xlarge", "ml.c5.2xlarge",
                  "ml.g4dn.xlarge", "ml.g4dn.2xlarge", "ml.p3.2xlarge", "ml.inf1.xlarge", "ml.t2.medium",
                  "ml.r5.2xlarge")
TEAMS = ("fraud", "search", "ads", "risk", "vision", "nlp", "pricing", "ops")
MODELS = ("xgb", "bert", "resnet", "llm", "ranker", "forecast")

# Share of the fleet per kind; whatever is left over is plain busy single-variant endpoints.
MIX = {
    "idle-never": 0.06,  # InService, never invoked: no Invocations series at all
    "idle-quiet": 0.02,  # busy until 8-13 days ago: ListMetrics still lists it, window is empty
    "idle-stale": 0.02,  # last used 15-28 days ago: ListMetrics no longer lists it
    "low": 0.02,  # a handful of invocations a day
    "shadow": 0.01,  # two variants, the shadow one never invoked
    "multi": 0.04,  # two busy variants
    "serverless": 0.03,
    "serverless-idle": 0.01,
    "too-new": 0.01,
    "not-in-service": 0.01,
}
CANDIDATE_KINDS = frozenset({"idle-never", "idle-quiet", "idle-stale", "low", "shadow", "serverless-idle"})


@dataclass(frozen=True)
class VariantPlan:
    name: str
    instance_type: str | None  # None: serverless
    instance_count: int
    traffic: str  # busy | low | none | quiet | stale
    hourly_rate: float = 0.0  # mean invocations an hour when busy


@dataclass(frozen=True)
class EndpointPlan:
    name: str
    kind: str
    age_days: float
    status: str
    variants: tuple[VariantPlan, ...]
    tags: tuple[tuple[str, str], ...]
    autoscaling: bool = False

    @property
    def candidate(self) -> bool:
        """Would a scan need to describe it (traffic below the underused threshold)?"""
        return self.kind in CANDIDATE_KINDS


def kind_counts(total: int) -> Counter[str]:
    """How many endpoints of each kind an account of `total` endpoints has (at least one each from 100)."""
    counts: Counter[str] = Counter()
    for kind, share in MIX.items():
        counts[kind] = max(1 if total >= 100 else 0, round(total * share))
    counts["busy"] = total - sum(counts.values())
    if counts["busy"] < 0:
        raise ValueError(f"an account of {total} endpoints is too small for the mix; use at least 20")
    return counts


def plan_account(total: int, seed: int = 7) -> list[EndpointPlan]:
    """The deterministic list of `total` endpoints to create."""
    rng = random.Random(seed)
    kinds = [kind for kind, count in kind_counts(total).items() for _ in range(count)]
    rng.shuffle(kinds)
    return [_plan_one(index, kind, rng) for index, kind in enumerate(kinds)]


def _plan_one(index: int, kind: str, rng: random.Random) -> EndpointPlan:
    team, model = rng.choice(TEAMS), rng.choice(MODELS)
    name = f"{team}-{model}-{index:05d}"
    instance_type = rng.choice(INSTANCE_TYPES)
    count = rng.choice((1, 1, 1, 2, 2, 4))
    rate = rng.uniform(50, 3000)
    traffic = {"idle-never": "none", "idle-quiet": "quiet", "idle-stale": "stale", "low": "low",
               "serverless-idle": "none", "not-in-service": "none"}.get(kind, "busy")
    if kind in ("serverless", "serverless-idle"):
        variants: tuple[VariantPlan, ...] = (VariantPlan("AllTraffic", None, 0, traffic, rate),)
    elif kind == "multi":
        variants = (VariantPlan("A", instance_type, count, "busy", rate * 0.8),
                    VariantPlan("B", rng.choice(INSTANCE_TYPES), 1, "busy", rate * 0.2))
    elif kind == "shadow":
        variants = (VariantPlan("primary", instance_type, count, "busy", rate),
                    VariantPlan("shadow", rng.choice(INSTANCE_TYPES), 1, "none"))
    else:
        variants = (VariantPlan("AllTraffic", instance_type, count, traffic, rate),)
    tags = [("team", team), ("env", rng.choice(("prod", "prod", "staging", "dev")))]
    if kind in CANDIDATE_KINDS and rng.random() < 0.3:
        tags.append(("cost-watcher:reclaim", rng.choice(("delete", "scale-down"))))
    return EndpointPlan(
        name=name,
        kind=kind,
        age_days=rng.uniform(1, 5) if kind == "too-new" else rng.uniform(35, 400),
        status="Failed" if kind == "not-in-service" else "InService",
        variants=variants,
        tags=tuple(tags),
        autoscaling=kind in ("busy", "multi") and rng.random() < 0.1,
    )


# --- metric datapoints ------------------------------------------------------------------------

Datum = dict[str, object]


def _hours(now: datetime, first_hours_ago: int, last_hours_ago: int) -> Iterator[datetime]:
    top = now.replace(minute=0, second=0, microsecond=0)
    for hours_ago in range(first_hours_ago, last_hours_ago - 1, -1):
        yield top - timedelta(hours=hours_ago)


def _diurnal(stamp: datetime, rate: float) -> float:
    return max(1.0, round(rate * (0.6 + 0.4 * math.sin(2 * math.pi * (stamp.hour - 6) / 24))))


def invocation_points(plan: EndpointPlan, variant: VariantPlan, now: datetime, lookback_days: int,
                      rng: random.Random) -> list[tuple[datetime, float]]:
    """Hourly Invocations sums SageMaker would have published for one variant."""
    window_hours = min(lookback_days * 24, int(plan.age_days * 24))
    if plan.status != "InService" or variant.traffic == "none":
        return []
    if variant.traffic == "busy":
        return [(stamp, _diurnal(stamp, variant.hourly_rate)) for stamp in _hours(now, window_hours, 1)]
    if variant.traffic == "low":  # 1-3 busy hours a day, a few calls each, over the last 30 days
        points = []
        for day in range(30):
            for hour in rng.sample(range(24), rng.randint(1, 3)):
                points.append((now.replace(minute=0, second=0, microsecond=0)
                               - timedelta(days=day, hours=hour + 1), float(rng.randint(1, 8))))
        return points
    last_day = rng.randint(8, 13) if variant.traffic == "quiet" else rng.randint(15, 28)
    return [(stamp, _diurnal(stamp, variant.hourly_rate)) for stamp in _hours(now, (last_day + 3) * 24, last_day * 24)]


def cpu_points(plan: EndpointPlan, variant: VariantPlan, now: datetime, lookback_days: int,
               rng: random.Random) -> list[tuple[datetime, float]]:
    """Hourly CPUUtilization for an instance-backed InService variant (published with or without traffic)."""
    if plan.status != "InService" or variant.instance_type is None:
        return []
    busy = variant.traffic == "busy"
    hours = min(lookback_days * 24, int(plan.age_days * 24))
    return [(stamp, round(rng.uniform(20, 70) if busy else rng.uniform(0.2, 3), 2)) for stamp in _hours(now, hours, 1)]


def metric_data(plans: Sequence[EndpointPlan], now: datetime, lookback_days: int,
                seed: int = 11) -> Iterator[tuple[str, Datum]]:
    """(namespace, PutMetricData datum) for every datapoint of the account."""
    rng = random.Random(seed)
    for plan in plans:
        for variant in plan.variants:
            dims = [{"Name": "EndpointName", "Value": plan.name}, {"Name": "VariantName", "Value": variant.name}]
            for stamp, value in invocation_points(plan, variant, now, lookback_days, rng):
                yield INVOCATIONS_NAMESPACE, {"MetricName": "Invocations", "Dimensions": dims, "Timestamp": stamp,
                                              "Value": value, "Unit": "None"}
            for stamp, value in cpu_points(plan, variant, now, lookback_days, rng):
                yield INSTANCE_NAMESPACE, {"MetricName": "CPUUtilization", "Dimensions": dims, "Timestamp": stamp,
                                           "Value": value, "Unit": "Percent"}


# --- seeding moto's backends ------------------------------------------------------------------

def seed(plans: Sequence[EndpointPlan], region: str, now: datetime, lookback_days: int = 7,
         account: str = ACCOUNT_ID) -> int:
    """Create the endpoints and their metrics in moto's backends; return datapoints written.

    The metrics go to the indexed store of the one fidelity layer (installed here if it is not
    yet): moto's own list would make every later metric query scan all of them, once per period.
    """
    from moto.applicationautoscaling.models import applicationautoscaling_backends
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.sagemaker.models import sagemaker_backends

    from cost_watcher.sim.moto_fidelity import make_moto_behave_like_aws

    make_moto_behave_like_aws()
    sagemaker = sagemaker_backends[account][region]
    autoscaling = applicationautoscaling_backends[account][region]
    naive_now = now.astimezone(UTC).replace(tzinfo=None)  # moto keeps naive UTC datetimes
    for plan in plans:
        _create_endpoint(sagemaker, plan, naive_now)
        if plan.autoscaling:
            _register_scaling(autoscaling, plan)

    cloudwatch = cloudwatch_backends[account][region]
    written = 0
    batch: dict[str, list[Datum]] = {}
    for namespace, datum in metric_data(plans, now, lookback_days):
        pending = batch.setdefault(namespace, [])
        pending.append(datum)
        if len(pending) == PUT_BATCH:
            cloudwatch.put_metric_data(namespace, pending)
            written += len(pending)
            batch[namespace] = []
    for namespace, pending in batch.items():
        if pending:
            cloudwatch.put_metric_data(namespace, pending)
            written += len(pending)
    return written


def _create_endpoint(sagemaker: object, plan: EndpointPlan, now: datetime) -> None:
    model = f"{plan.name}-model"
    sagemaker.create_model(model_name=model, execution_role_arn=ROLE_ARN, primary_container={"Image": IMAGE},
                           vpc_config=None, containers=None, tags=None)
    variants = []
    for variant in plan.variants:
        spec: dict[str, object] = {"VariantName": variant.name, "ModelName": model, "InitialVariantWeight": 1.0}
        if variant.instance_type is None:
            spec["ServerlessConfig"] = {"MemorySizeInMB": 2048, "MaxConcurrency": 5}
        else:
            spec.update(InstanceType=variant.instance_type, InitialInstanceCount=variant.instance_count)
        variants.append(spec)
    config = f"{plan.name}-config"
    sagemaker.create_endpoint_config(endpoint_config_name=config, production_variants=variants,
                                     data_capture_config={}, async_inference_config=None, tags=[], kms_key_id=None)
    endpoint = sagemaker.create_endpoint(endpoint_name=plan.name, endpoint_config_name=config,
                                         tags=[{"Key": key, "Value": value} for key, value in plan.tags])
    created = now - timedelta(days=plan.age_days)
    endpoint.creation_time = endpoint.last_modified_time = created
    endpoint.endpoint_status = plan.status
    if plan.status == "Failed":
        endpoint.failure_reason = "The primary container for production variant AllTraffic did not pass the ping check."


def _register_scaling(autoscaling: object, plan: EndpointPlan) -> None:
    variant = plan.variants[0]
    resource = f"endpoint/{plan.name}/variant/{variant.name}"
    dimension = "sagemaker:variant:DesiredInstanceCount"
    autoscaling.register_scalable_target(namespace="sagemaker", r_id=resource, dimension=dimension,
                                         min_capacity=1, max_capacity=max(2, variant.instance_count * 2),
                                         role_arn=ROLE_ARN, suspended_state=None)
    autoscaling.put_scaling_policy(
        policy_name=f"{plan.name}-invocations", service_namespace="sagemaker", resource_id=resource,
        scalable_dimension=dimension, policy_type="TargetTrackingScaling",
        policy_body={"TargetValue": 600.0, "PredefinedMetricSpecification": {
            "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}},
    )
