"""The signal of each kind of endpoint: which metrics AWS publishes for its work. One table.

An endpoint is judged only by the metrics AWS really publishes for its kind (the page of the
SageMaker developer guide is named in each row). CloudWatch matches the exact dimension
set, so every query here names exactly the dimensions AWS publishes with. The series each row
names are built in scan/series.py, for the verdict and the re-check right before acting
alike, so both always read one signal.

A configuration feature that this table does not cover makes the endpoint `unknown`
(`unsupported_features` names it): never idle because we were not looking.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cost_watcher.model import Endpoint

INVOCATIONS_NAMESPACE = "AWS/SageMaker"
INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"
INVOCATIONS = "Invocations"
INVOCATIONS_PROCESSED = "InvocationsProcessed"
BACKLOG = "ApproximateBacklogSize"
UTILIZATION_METRICS = ("CPUUtilization", "GPUUtilization")

CLASSIC, ASYNC, SERVERLESS, COMPONENTS = "real-time", "asynchronous", "serverless", "inference-components"
_GUIDE = "https://docs.aws.amazon.com/sagemaker/latest/dg/"


@dataclass(frozen=True)
class Signal:
    """One row of the table: the work metric of a kind of endpoint, and its queue if it has one."""

    kind: str
    work_metric: str  # per variant (EndpointName + VariantName), or per component (InferenceComponentName)
    queue_metric: str | None  # per endpoint (EndpointName only): requests waiting count as work
    bills_at_rest: str  # what costs money while nobody calls it
    source: str  # the AWS page the row comes from


SIGNALS: dict[str, Signal] = {
    CLASSIC: Signal(CLASSIC, INVOCATIONS, None, "its instances, every hour",
                    _GUIDE + "monitoring-cloudwatch.html"),
    ASYNC: Signal(ASYNC, INVOCATIONS_PROCESSED, BACKLOG,
                  "its instances, unless autoscaling took it to 0 (then it bills nothing)",
                  _GUIDE + "async-inference-monitor.html"),
    SERVERLESS: Signal(SERVERLESS, INVOCATIONS, None,
                       "provisioned concurrency (memory x concurrency x hours); without it, nothing",
                       _GUIDE + "serverless-endpoints-monitoring.html"),
    COMPONENTS: Signal(COMPONENTS, INVOCATIONS, None,
                       "the endpoint's instances, whether or not a copy runs (unless MinInstanceCount is 0)",
                       _GUIDE + "monitoring-cloudwatch.html"),
}

# EndpointStatus -> (serves and bills?, why we say so), as DescribeEndpoint documents it:
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html
# Only InService is ever acted on.
STATUSES: dict[str, tuple[bool, str]] = {
    "InService": (True, "\"available to process incoming requests\""),
    "UpdateRollbackFailed": (True, "\"in service with a mix of the old and new endpoint configurations\""),
    "SystemUpdating": (True, "AWS maintenance that \"does not change ... instance type, or instance count\""),
    "Updating": (True, "UpdateEndpoint replaces the fleet while the old one keeps serving"),
    "RollingBack": (True, "a failed capacity or weight change rolling back; \"returns to an InService status\""),
    "Creating": (False, "CreateEndpoint is executing: nothing serves yet"),
    "Deleting": (False, "DeleteEndpoint is executing"),
    "Failed": (False, "could not be created, updated or re-scaled; DeleteEndpoint is the only operation left"),
    "OutOfService": (False, "\"not available to take incoming requests\""),
}


def serves(status: str) -> bool:
    """Whether AWS says an endpoint in this status serves traffic and bills its instances.
    A status AWS adds later is treated as serving (priced, judged, never acted on)."""
    return STATUSES.get(status, (True, ""))[0]


def actionable(status: str) -> bool:
    return status == "InService"


# Endpoint-config fields whose effect on the traffic signal and the cost we know (handled, or
# neutral: security, logging, capture). Any other field present makes the endpoint unknown.
KNOWN_CONFIG_FIELDS = frozenset({
    "EndpointConfigName", "EndpointConfigArn", "CreationTime", "ProductionVariants", "ShadowProductionVariants",
    "AsyncInferenceConfig", "DataCaptureConfig", "KmsKeyId", "ExplainerConfig", "ExecutionRoleArn", "VpcConfig",
    "EnableNetworkIsolation", "MetricsConfig", "ResponseMetadata",
})
KNOWN_VARIANT_FIELDS = frozenset({
    "VariantName", "ModelName", "InitialInstanceCount", "InstanceType", "InstancePools", "InitialVariantWeight",
    "ServerlessConfig", "VolumeSizeInGB", "ModelDataDownloadTimeoutInSeconds",
    "ContainerStartupHealthCheckTimeoutInSeconds", "VariantInstanceProvisionTimeoutInSeconds", "EnableSSMAccess",
    "ManagedInstanceScaling", "RoutingConfig", "InferenceAmiVersion", "CoreDumpConfig",
})
# Present but not covered: the reason the endpoint is unknown says what each one is.
UNSUPPORTED_VARIANT_FIELDS = {
    "AcceleratorType": "Elastic Inference accelerator (billed apart from the instance; not priced)",
    "CapacityReservationConfig": "runs on an ML capacity reservation (paid for whether or not it is used)",
}


def kind_of(endpoint: Endpoint) -> str:
    """The row of the table an endpoint is judged by (its configuration must have been read)."""
    if endpoint.components:
        return COMPONENTS
    if endpoint.asynchronous:
        return ASYNC
    if endpoint.variants and all(v.serverless for v in endpoint.variants):
        return SERVERLESS
    return CLASSIC


def signal_of(endpoint: Endpoint) -> Signal:
    return SIGNALS[kind_of(endpoint)]


def unsupported_features(config: Mapping[str, Any]) -> list[str]:
    """Config features whose traffic signal or cost we do not read, each named for the reason."""
    found = [f"endpoint config field {name}" for name in config if name not in KNOWN_CONFIG_FIELDS]
    for group in ("ProductionVariants", "ShadowProductionVariants"):
        for spec in config.get(group) or []:
            for name in spec:
                if name in UNSUPPORTED_VARIANT_FIELDS:
                    found.append(f"{name} on variant {spec.get('VariantName')}: {UNSUPPORTED_VARIANT_FIELDS[name]}")
                elif name not in KNOWN_VARIANT_FIELDS:
                    found.append(f"variant field {name} on {spec.get('VariantName')}")
    return found
