"""A realistic simulated account in moto: the demo's and the tests' one builder.

Endpoints are created through the SageMaker API, then aged through moto's backend (the API
cannot backdate a creation time). CloudWatch gets what SageMaker would publish: hourly
Invocations for variants with traffic, CPUUtilization for every instance-backed variant.
moto has no inference components, so the simulated account answers ListInferenceComponents
itself (empty unless a scenario says otherwise).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.awsrequest import AWSResponse

from cost_watcher.judge.signals import BACKLOG, INVOCATIONS_PROCESSED, serves
from cost_watcher.scan.clients import Clients

DEMO_REGIONS = ("us-east-1", "eu-west-1")
ROLE_ARN = "arn:aws:iam::123456789012:role/demo-sagemaker-execution"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo-inference:latest"
Traffic = Callable[[int], float]  # hours ago -> invocations in that hour
FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "demo",
    "AWS_SECRET_ACCESS_KEY": "demo",
    "AWS_SESSION_TOKEN": "demo",
    "AWS_DEFAULT_REGION": DEMO_REGIONS[0],
    "AWS_PROFILE": None,
    "AWS_ENDPOINT_URL": None,
}


@contextmanager
def demo_stack() -> Iterator[None]:
    """A private simulated AWS for the demo: fake credentials and moto in-process.

    Real credentials, profiles and endpoint overrides are hidden for the duration, so the
    demo can never touch a real account; the environment is restored afterwards.
    """
    from moto import mock_aws

    saved = {name: os.environ.get(name) for name in FAKE_ENVIRONMENT}
    for name, value in FAKE_ENVIRONMENT.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    try:
        with mock_aws():
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def busy(per_hour: float) -> Traffic:
    """Steady daytime-peaking traffic every hour."""
    return lambda h: round(per_hour * (0.6 + 0.4 * math.sin(h / 24 * 2 * math.pi)))


def burst_at(*days_ago: float, count: float = 40) -> Traffic:
    """Traffic only in the hours given (as days ago): a forgotten endpoint's last calls."""
    hours = {round(d * 24) for d in days_ago}
    return lambda h: count if h in hours else 0


def weekly(count: float = 40, first_days_ago: float = 3) -> Traffic:
    """A weekly batch job: one busy hour every 7 days."""
    return lambda h: count if h >= first_days_ago * 24 and (h - round(first_days_ago * 24)) % (7 * 24) == 0 else 0


def trickle(per_day: float) -> Traffic:
    """A few calls a day, spread over working hours."""
    return lambda h: per_day / 8 if h % 24 in range(8, 16) else 0


def reactivated(quiet_days: float, busy_hours: int, per_hour: float = 120) -> Traffic:
    """Busy long ago, silent for `quiet_days`, busy again for the last `busy_hours`."""
    return lambda h: per_hour if h < busy_hours or h > quiet_days * 24 else 0


def silent(_: int) -> float:
    return 0


@dataclass(frozen=True)
class VariantSpec:
    name: str = "AllTraffic"
    instance_type: str | None = "ml.m5.large"
    count: int = 1
    traffic: Traffic = silent
    cpu_pct: float = 20.0
    serverless: bool = False
    gpu_pct: float | None = None
    provisioned_concurrency: int | None = None  # serverless only: bills at rest


@dataclass(frozen=True)
class EndpointSpec:
    name: str
    region: str = "us-east-1"
    variants: tuple[VariantSpec, ...] = (VariantSpec(),)
    age_days: float = 60
    tags: dict[str, str] = field(default_factory=dict)
    status: str = "InService"
    autoscaling: tuple[int, int, float] | None = None  # min, max, invocations per instance per minute
    lose_config: bool = False  # its endpoint config was deleted while it runs
    asynchronous: bool = False  # AsyncInferenceConfig: publishes InvocationsProcessed and its queue, no Invocations
    backlog: Traffic = silent  # async only: requests waiting in the queue, by hours ago
    story: str = ""


def demo_specs(now: datetime, prefix: str = "cost-watcher:") -> list[EndpointSpec]:
    """Twenty-three endpoints over two regions covering every verdict, every kind and the tag contract."""
    day = lambda n: (now - timedelta(days=n)).date().isoformat()  # noqa: E731
    reclaim, mark, ignore = prefix + "reclaim", prefix + "idle-since", prefix + "ignore"
    east, west = DEMO_REGIONS
    return [
        EndpointSpec(
            "fraud-scoring-prod",
            east,
            (VariantSpec(instance_type="ml.c5.xlarge", count=2, traffic=busy(900), cpu_pct=55),),
            autoscaling=(2, 6, 1200),
            tags={"team": "risk"},
            story="busy production endpoint",
        ),
        EndpointSpec("pricing-api", east, (VariantSpec(traffic=busy(300), cpu_pct=35),), story="busy, single instance"),
        EndpointSpec(
            "churn-model-v1",
            east,
            (VariantSpec(instance_type="ml.m5.xlarge", traffic=burst_at(23)),),
            tags={reclaim: "delete", "team": "growth"},
            story="last used 23 days ago, opted in to delete",
        ),
        EndpointSpec(
            "churn-model-v2-shadow",
            east,
            (VariantSpec(),),
            tags={"team": "growth"},
            story="never invoked, not opted in",
        ),
        EndpointSpec(
            "image-embed-gpu",
            east,
            (VariantSpec(instance_type="ml.g4dn.xlarge", count=2, cpu_pct=3, gpu_pct=0),),
            tags={reclaim: "scale-down", mark: day(5)},
            autoscaling=(2, 4, 300),
            story="idle GPU endpoint past its grace period, opted in to scale down",
        ),
        EndpointSpec(
            "weekly-report-scorer",
            east,
            (VariantSpec(instance_type="ml.g4dn.2xlarge", traffic=weekly(40), cpu_pct=2, gpu_pct=4),),
            story="a weekly batch on a GPU: underused",
        ),
        EndpointSpec(
            "recsys-ab-test",
            east,
            (
                VariantSpec("ModelA", "ml.m5.xlarge", 2, busy(400), 40),
                VariantSpec("ModelB", "ml.m5.xlarge", 1, silent, 1),
            ),
            story="A/B test whose variant B gets no traffic",
        ),
        EndpointSpec(
            "support-bot-serverless",
            east,
            (VariantSpec(instance_type=None, count=0, serverless=True),),
            story="serverless and idle: costs nothing",
        ),
        EndpointSpec(
            "search-rerank",
            east,
            (VariantSpec(instance_type="ml.c5.2xlarge", traffic=reactivated(21, 20)),),
            tags={reclaim: "delete", mark: day(10)},
            story="idle for weeks, traffic again since yesterday",
        ),
        EndpointSpec(
            "forecast-staging",
            east,
            (VariantSpec(),),
            age_days=2,
            tags={reclaim: "delete"},
            story="created two days ago",
        ),
        EndpointSpec("nlp-ner-canary", east, (VariantSpec(),), status="Failed", story="failed deployment"),
        EndpointSpec(
            "legacy-xgb-batch",
            east,
            (VariantSpec(instance_type="ml.m5.2xlarge", traffic=burst_at(29)),),
            tags={reclaim: "Delete "},
            story="opt-in tag in the wrong case: a warning, no opt-in",
        ),
        EndpointSpec(
            "llm-summarizer",
            east,
            (VariantSpec(instance_type="ml.g4dn.2xlarge", count=4, traffic=trickle(40), cpu_pct=4, gpu_pct=6),),
            autoscaling=(4, 8, 600),
            story="four GPUs for 40 calls a day: underused, right-size by capacity",
        ),
        EndpointSpec("team-sandbox", east, (VariantSpec(),), tags={ignore: "true"}, story="ignored by tag"),
        EndpointSpec(
            "video-transcribe-async",
            east,
            (VariantSpec(instance_type="ml.g4dn.xlarge", traffic=busy(60), cpu_pct=40, gpu_pct=55),),
            asynchronous=True,
            backlog=busy(12),
            tags={reclaim: "delete"},
            story="busy asynchronous endpoint, opted in: judged by what it processed, never deleted",
        ),
        EndpointSpec(
            "batch-embed-async",
            east,
            (VariantSpec(instance_type="ml.g4dn.xlarge", cpu_pct=1, gpu_pct=0),),
            asynchronous=True,
            story="asynchronous, nothing processed or queued for weeks: idle",
        ),
        EndpointSpec(
            "faq-serverless-pc",
            east,
            (VariantSpec(instance_type=None, count=0, serverless=True, provisioned_concurrency=4),),
            story="serverless with provisioned concurrency: bills at rest, idle",
        ),
        EndpointSpec(
            "ranker-rollback-failed",
            east,
            (VariantSpec(instance_type="ml.c5.xlarge", count=2, traffic=burst_at(20)),),
            status="UpdateRollbackFailed",
            tags={reclaim: "delete"},
            story="UpdateRollbackFailed: serves and bills, judged idle, never acted on",
        ),
        EndpointSpec(
            "ocr-invoices-eu",
            west,
            (VariantSpec(instance_type="ml.c5.2xlarge", traffic=busy(250), cpu_pct=30),),
            story="busy",
        ),
        EndpointSpec(
            "kyc-face-match-eu",
            west,
            (VariantSpec(instance_type="ml.g4dn.xlarge"),),
            tags={reclaim: "delete", mark: day(1)},
            story="never invoked, opted in, in its grace period",
        ),
        EndpointSpec(
            "translation-eu",
            west,
            (VariantSpec(count=3, traffic=trickle(12), cpu_pct=4),),
            story="a dozen calls a day on three instances: underused",
        ),
        EndpointSpec(
            "doc-classifier-eu",
            west,
            (VariantSpec(traffic=burst_at(9)),),
            lose_config=True,
            story="its endpoint config was deleted: cannot be described, so unknown",
        ),
        EndpointSpec("churn-eu-updating", west, (VariantSpec(),), status="Updating", story="being updated"),
    ]


def build_demo_account(clients: Clients, now: datetime | None = None) -> list[EndpointSpec]:
    specs = demo_specs(now or datetime.now(UTC))
    build_account(clients, specs, now)
    return specs


def build_account(
    clients: Clients, specs: Iterable[EndpointSpec], now: datetime | None = None, *, history_days: int = 35
) -> None:
    """Create the endpoints, their autoscaling and their metrics in the (moto) account."""
    now = now or datetime.now(UTC)
    specs = list(specs)
    make_moto_behave_like_aws()
    simulate_inference_components(clients, [])
    for spec in specs:
        _create(clients, spec, now)
    for region in {spec.region for spec in specs}:
        data = [datum for spec in specs if spec.region == region for datum in _metrics(spec, now, history_days)]
        cloudwatch = clients.cloudwatch(region)
        for namespace in {d[0] for d in data}:
            items = [d[1] for d in data if d[0] == namespace]
            for start in range(0, len(items), 1000):
                cloudwatch.put_metric_data(Namespace=namespace, MetricData=items[start : start + 1000])
    clients.calls.clear()


def _create(clients: Clients, spec: EndpointSpec, now: datetime) -> None:
    sagemaker = clients.sagemaker(spec.region)
    sagemaker.create_model(
        ModelName=f"{spec.name}-model",
        ExecutionRoleArn=ROLE_ARN,
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": f"s3://demo-models/{spec.name}/model.tar.gz"},
    )
    variants = []
    for variant in spec.variants:
        item: dict[str, Any] = {
            "VariantName": variant.name,
            "ModelName": f"{spec.name}-model",
            "InitialVariantWeight": 1.0,
        }
        if variant.serverless:
            item["ServerlessConfig"] = {"MemorySizeInMB": 2048, "MaxConcurrency": 5}
            if variant.provisioned_concurrency:
                item["ServerlessConfig"]["ProvisionedConcurrency"] = variant.provisioned_concurrency
        else:
            item.update(InstanceType=variant.instance_type, InitialInstanceCount=variant.count)
        variants.append(item)
    config = f"{spec.name}-config"
    extra: dict[str, Any] = {}
    if spec.asynchronous:
        extra["AsyncInferenceConfig"] = {"OutputConfig": {"S3OutputPath": f"s3://demo-async/{spec.name}/"}}
    sagemaker.create_endpoint_config(EndpointConfigName=config, ProductionVariants=variants, **extra)
    tags = [{"Key": k, "Value": v} for k, v in spec.tags.items()]
    sagemaker.create_endpoint(EndpointName=spec.name, EndpointConfigName=config, **({"Tags": tags} if tags else {}))
    if spec.autoscaling:
        low, high, per_minute = spec.autoscaling
        autoscaling = clients.autoscaling(spec.region)
        for variant in spec.variants:
            resource = f"endpoint/{spec.name}/variant/{variant.name}"
            autoscaling.register_scalable_target(
                ServiceNamespace="sagemaker",
                ResourceId=resource,
                ScalableDimension="sagemaker:variant:DesiredInstanceCount",
                MinCapacity=low,
                MaxCapacity=high,
            )
            autoscaling.put_scaling_policy(
                PolicyName=f"{spec.name}-{variant.name}-invocations",
                ServiceNamespace="sagemaker",
                ResourceId=resource,
                ScalableDimension="sagemaker:variant:DesiredInstanceCount",
                PolicyType="TargetTrackingScaling",
                TargetTrackingScalingPolicyConfiguration={
                    "TargetValue": per_minute,
                    "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
                },
            )
    if spec.lose_config:
        sagemaker.delete_endpoint_config(EndpointConfigName=config)
    _age(sagemaker, spec, now)


def _age(sagemaker: Any, spec: EndpointSpec, now: datetime) -> None:
    """Backdate creation and set the status: only moto's backend can (the API cannot)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sagemaker.models import sagemaker_backends

    endpoint = sagemaker_backends[DEFAULT_ACCOUNT_ID][spec.region].endpoints[spec.name]
    # naive UTC, as moto keeps its own times: ListEndpoints sorts ours among endpoints moto made
    created = (now - timedelta(days=spec.age_days)).astimezone(UTC).replace(tzinfo=None)
    endpoint.creation_time = endpoint.last_modified_time = created
    endpoint.endpoint_status = spec.status


def _metrics(spec: EndpointSpec, now: datetime, history_days: int) -> list[tuple[str, dict[str, Any]]]:
    """What SageMaker publishes for this endpoint, as AWS documents it for its kind: hourly
    Invocations (async: InvocationsProcessed and the queue's ApproximateBacklogSize by
    EndpointName alone, never Invocations), instance utilisation for instance-backed variants."""
    if not serves(spec.status):
        return []
    top = now.replace(minute=0, second=0, microsecond=0)
    hours = min(history_days * 24, int(spec.age_days * 24))
    out: list[tuple[str, dict[str, Any]]] = []
    for variant in spec.variants:
        dims = [{"Name": "EndpointName", "Value": spec.name}, {"Name": "VariantName", "Value": variant.name}]
        for h in range(hours):
            stamp = top - timedelta(hours=h)
            calls = variant.traffic(h)
            if calls > 0:
                out.append(
                    (
                        "AWS/SageMaker",
                        {
                            "MetricName": INVOCATIONS_PROCESSED if spec.asynchronous else "Invocations",
                            "Dimensions": dims,
                            "Timestamp": stamp,
                            "Value": float(calls),
                            "Unit": "None",
                        },
                    )
                )
            if not variant.serverless and h < min(14, history_days) * 24:
                out.append(
                    (
                        "/aws/sagemaker/Endpoints",
                        {
                            "MetricName": "CPUUtilization",
                            "Dimensions": dims,
                            "Timestamp": stamp,
                            "Value": variant.cpu_pct,
                            "Unit": "Percent",
                        },
                    )
                )
                if variant.gpu_pct is not None:
                    out.append(
                        (
                            "/aws/sagemaker/Endpoints",
                            {
                                "MetricName": "GPUUtilization",
                                "Dimensions": dims,
                                "Timestamp": stamp,
                                "Value": variant.gpu_pct,
                                "Unit": "Percent",
                            },
                        )
                    )
    if spec.asynchronous:  # the queue is published every period, empty or not
        dims = [{"Name": "EndpointName", "Value": spec.name}]
        out += [("AWS/SageMaker", {"MetricName": BACKLOG, "Dimensions": dims, "Timestamp": top - timedelta(hours=h),
                                   "Value": float(spec.backlog(h)), "Unit": "None"}) for h in range(hours)]
    return out


def simulate_inference_components(clients: Clients, components: list[dict[str, Any]]) -> None:
    """Answer ListInferenceComponents from `components` (moto does not implement it)."""

    def answer(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if model.name != "ListInferenceComponents":
            return None
        return AWSResponse("https://simulated", 200, {}, None), {"InferenceComponents": list(components)}

    clients.register("before-call.sagemaker.ListInferenceComponents", answer)


def make_moto_behave_like_aws() -> None:
    """Where moto is laxer or noisier than AWS, make it answer as AWS does (idempotent).

    - ListMetrics lists each series once (moto repeats a series per datapoint), which
      keeps call counts honest and listing fast;
    - ListEndpoints pages 10 at a time by default, as AWS does (moto: 100).
    """
    from moto.cloudwatch.models import CloudWatchBackend
    from moto.sagemaker import models as sagemaker_models

    sagemaker_models.PAGINATION_MODEL["list_endpoints"]["limit_default"] = 10
    if getattr(CloudWatchBackend, "_one_per_series", False):
        return

    def get_filtered_metrics(self: Any, metric_name: str, namespace: str, dimensions: list[dict[str, str]]) -> list:
        seen, unique = set(), []
        for metric in self.get_all_metrics():
            key = (metric.namespace, metric.name, frozenset((d.name, d.value) for d in metric.dimensions))
            if (
                key in seen
                or (namespace and metric.namespace != namespace)
                or (metric_name and metric.name != metric_name)
            ):
                continue
            if dimensions and any(
                (d["Name"], d.get("Value")) not in {(x.name, x.value) for x in metric.dimensions} for d in dimensions
            ):
                continue
            seen.add(key)
            unique.append(metric)
        return unique

    CloudWatchBackend.get_filtered_metrics = get_filtered_metrics
    CloudWatchBackend.get_metric_data = _indexed_get_metric_data(CloudWatchBackend.get_metric_data)
    CloudWatchBackend._one_per_series = True


def _indexed_get_metric_data(original: Callable[..., Any]) -> Callable[..., Any]:
    """GetMetricData matching namespace, name and the exact dimension set, as AWS does.

    moto compares every datapoint with every period of every query (and ignores the
    namespace when dimensions are given); indexing the datapoints once per call gives
    the same answers in linear time, which is what lets tests and the benchmark scan
    thousands of endpoints.
    """
    from moto.cloudwatch.models import Statistics

    def get_metric_data(self: Any, queries: list[dict[str, Any]], start_time: datetime, end_time: datetime,
                        scan_by: str = "TimestampAscending") -> list[dict[str, Any]]:
        if any("MetricStat" not in query for query in queries):
            return original(self, queries, start_time, end_time, scan_by)
        original(self, [], start_time, end_time, scan_by)  # moto's own argument validation
        start, end = start_time.replace(microsecond=0), end_time.replace(microsecond=0)
        index: dict[tuple[str, str, frozenset], list[Any]] = {}
        for datum in self.get_all_metrics():
            if start <= datum.timestamp < end:
                key = (datum.namespace, datum.name, frozenset((d.name, d.value) for d in datum.dimensions))
                index.setdefault(key, []).append(datum)
        results = []
        for query in queries:
            stat_spec = query["MetricStat"]
            metric = stat_spec["Metric"]
            key = (metric["Namespace"], metric["MetricName"],
                   frozenset((d["Name"], d["Value"]) for d in metric.get("Dimensions", [])))
            period = int(stat_spec["Period"])
            buckets: dict[int, list[Any]] = {}
            for datum in index.get(key, []):
                if stat_spec.get("Unit") and datum.unit != stat_spec["Unit"]:
                    continue
                buckets.setdefault(int((datum.timestamp - start).total_seconds()) // period, []).append(datum)
            timestamps, values = [], []
            for slot in sorted(buckets):
                stats = Statistics([stat_spec["Stat"]], start + timedelta(seconds=slot * period))
                stats.metric_data = buckets[slot]
                timestamps.append(stats.timestamp)
                values.append(stats.get_statistics_for_type(stat_spec["Stat"]))
            if scan_by == "TimestampDescending":
                timestamps.reverse()
                values.reverse()
            if query.get("ReturnData", True):
                label = query.get("Label") or f"{metric['MetricName']} {stat_spec['Stat']}"
                results.append({"id": query["Id"], "label": label, "values": values, "timestamps": timestamps,
                                "status_code": "Complete"})
        return results

    return get_metric_data
