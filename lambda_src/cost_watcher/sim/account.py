"""A realistic simulated account in moto: the demo's and the tests' one builder.

Endpoints are created through the SageMaker API, then aged through moto's backend (the API
cannot backdate a creation time). CloudWatch gets what SageMaker would publish: hourly
Invocations for variants with traffic, CPUUtilization for every instance-backed variant.
moto answers as AWS does through the one fidelity layer (moto_fidelity), installed here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from cost_watcher.judge.signals import BACKLOG, INVOCATIONS_PROCESSED, serves
from cost_watcher.scan.clients import Clients
from cost_watcher.sim.moto_fidelity import make_moto_behave_like_aws, simulate_inference_components
from cost_watcher.sim.specs import DEMO_REGIONS, EndpointSpec, demo_specs

ROLE_ARN = "arn:aws:iam::123456789012:role/demo-sagemaker-execution"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo-inference:latest"
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
    from moto.sagemaker.models import sagemaker_backends

    account = sagemaker.describe_endpoint(EndpointName=spec.name)["EndpointArn"].split(":")[4]  # a member's too
    endpoint = sagemaker_backends[account][spec.region].endpoints[spec.name]
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
