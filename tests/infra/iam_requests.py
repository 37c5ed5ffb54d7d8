"""From the API calls a run made to the IAM authorizations they need.

A run's clients record every call (service and operation as botocore names them, region,
parameters) together with what IAM looks at that the parameters do not show: the tags of the
SageMaker resource acted on, and the KMS key of a topic published to. `requests_for(call)`
turns one call into the Request(s) IAM evaluates, following the Service Authorization
Reference: the IAM service prefix, the action (not always the operation's name), the resource
ARN, the condition keys — and the authorizations a call needs beyond its own action. A call
this module does not know fails the test with a message saying what to add, never a guess.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.infra.iam_eval import Request

ACCOUNT = "123456789012"  # moto's default account
PARTITION = "aws"

# botocore service name -> IAM service prefix, where they differ
IAM_PREFIX = {"resourcegroupstaggingapi": "tag", "monitoring": "cloudwatch"}
# (service, operation) -> IAM action name, where it is not the operation's name
IAM_ACTION = {
    ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "ListObjects"): "ListBucket",
    ("s3", "HeadObject"): "GetObject",
    ("s3", "HeadBucket"): "ListBucket",
}
# IAM actions with no resource-level permissions: "*" is the resource IAM authorizes
NO_RESOURCE_LEVEL = {
    "sagemaker:ListEndpoints", "sagemaker:ListInferenceComponents",
    "cloudwatch:GetMetricData", "cloudwatch:ListMetrics",
    "application-autoscaling:DescribeScalableTargets", "application-autoscaling:DescribeScalingPolicies",
    "application-autoscaling:DescribeScheduledActions",
    "tag:GetResources", "pricing:GetProducts",
    "compute-optimizer:GetIdleRecommendations",  # Compute Optimizer defines no resource types at all
}
# SageMaker operation -> (resource type, parameter naming the resource)
SAGEMAKER_RESOURCE = {
    "DescribeEndpoint": ("endpoint", "EndpointName"),
    "DeleteEndpoint": ("endpoint", "EndpointName"),
    "UpdateEndpointWeightsAndCapacities": ("endpoint", "EndpointName"),
    "DescribeEndpointConfig": ("endpoint-config", "EndpointConfigName"),
    "DescribeModel": ("model", "ModelName"),
    "DescribeInferenceComponent": ("inference-component", "InferenceComponentName"),
    "DeleteInferenceComponent": ("inference-component", "InferenceComponentName"),
    "UpdateInferenceComponentRuntimeConfig": ("inference-component", "InferenceComponentName"),
}
SAGEMAKER_BY_ARN = ("ListTags", "AddTags", "DeleteTags")
AUTOSCALING_WRITES = ("RegisterScalableTarget", "DeregisterScalableTarget", "PutScalingPolicy",
                      "DeleteScalingPolicy", "PutScheduledAction", "DeleteScheduledAction")


@dataclass(frozen=True)
class Call:
    service: str  # botocore service name, as Clients.calls spells it
    operation: str
    region: str
    params: dict[str, Any]
    resource_tags: dict[str, str] | None = None  # tags of the SageMaker resource, read when it was called
    topic_key: str | None = None  # KmsMasterKeyId of the topic published to

    @property
    def name(self) -> str:
        return f"{self.service}:{self.operation}"


def sagemaker_arn(region: str, resource_type: str, name: str) -> str:
    return f"arn:{PARTITION}:sagemaker:{region}:{ACCOUNT}:{resource_type}/{name.lower()}"


def resource_arn(call: Call) -> str | None:
    """The SageMaker resource a call acts on (None for calls on no single SageMaker resource)."""
    if call.service != "sagemaker":
        return None
    if call.operation in SAGEMAKER_BY_ARN:
        return call.params["ResourceArn"]
    if call.operation in SAGEMAKER_RESOURCE:
        resource_type, parameter = SAGEMAKER_RESOURCE[call.operation]
        return sagemaker_arn(call.region, resource_type, call.params[parameter])
    return None


def requests_for(call: Call) -> list[Request]:
    """Every authorization IAM makes for this call."""
    prefix = IAM_PREFIX.get(call.service, call.service)
    action = f"{prefix}:{IAM_ACTION.get((call.service, call.operation), call.operation)}"
    because = call.name
    if action in NO_RESOURCE_LEVEL:
        return [Request(action, "*", {}, because)]
    if call.service == "sagemaker" and resource_arn(call):
        return [Request(action, resource_arn(call) or "", _sagemaker_context(call), because)]
    if call.service == "application-autoscaling" and call.operation in AUTOSCALING_WRITES:
        # scalable-target ARNs are opaque ids the caller never sees; the condition keys carry the meaning
        target = f"arn:{PARTITION}:application-autoscaling:{call.region}:{ACCOUNT}:scalable-target/opaque-id"
        context = {"application-autoscaling:service-namespace": call.params["ServiceNamespace"],
                   "application-autoscaling:scalable-dimension": call.params["ScalableDimension"]}
        return [Request(action, target, context, because)]
    if call.service == "s3":
        return _s3(call, action)
    if call.service == "sns" and call.operation == "Publish":
        requests = [Request(action, call.params["TopicArn"], {}, because)]
        if call.topic_key:  # SNS encrypts with the topic's key as the publisher: the publisher needs both
            requests += [Request(f"kms:{verb}", call.topic_key, {}, f"{because} to a topic encrypted with it")
                         for verb in ("GenerateDataKey", "Decrypt")]
        return requests
    raise LookupError(f"no IAM mapping for {call.name}: teach tests/infra/iam_requests.py its action, "
                      "resource and condition keys (Service Authorization Reference)")


def _sagemaker_context(call: Call) -> dict[str, str | tuple[str, ...]]:
    context: dict[str, str | tuple[str, ...]] = {
        f"aws:ResourceTag/{key}": value for key, value in (call.resource_tags or {}).items()}
    if call.operation == "AddTags":
        tags = call.params["Tags"]
        context["aws:TagKeys"] = tuple(tag["Key"] for tag in tags)
        context.update({f"aws:RequestTag/{tag['Key']}": tag["Value"] for tag in tags})
    elif call.operation == "DeleteTags":
        context["aws:TagKeys"] = tuple(call.params["TagKeys"])
    return context


def _s3(call: Call, action: str) -> list[Request]:
    bucket = f"arn:{PARTITION}:s3:::{call.params['Bucket']}"
    if action == "s3:ListBucket":
        return [Request(action, bucket, {"s3:prefix": call.params.get("Prefix", "")}, call.name)]
    requests = [Request(action, f"{bucket}/{call.params['Key']}", {}, call.name)]
    if action == "s3:GetObject":
        # Without ListBucket, S3 answers a missing key with 403 instead of 404 NoSuchKey, and the
        # engine reads keys that may not exist yet (an earlier attempt's report, the latest record).
        requests.append(Request("s3:ListBucket", bucket, {}, f"{call.name} of a key that may not exist"))
    return requests


class CallRecorder:
    """Register on a Clients: records every call with what IAM will look at, read at call time.

    `tags_of(region, arn)` and `key_of(topic_arn)` read from the account without going through
    the recorded clients, so they add nothing to the run's own calls.
    """

    def __init__(self, tags_of: Callable[[str, str], dict[str, str]], key_of: Callable[[str], str | None]) -> None:
        self.calls: list[Call] = []
        self._tags_of, self._key_of = tags_of, key_of
        self._lock = threading.Lock()

    def __call__(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        call = Call(model.service_model.service_name, model.name, context.get("client_region") or "", dict(params))
        arn = resource_arn(call)
        tagged = arn is not None and (":endpoint/" in arn or ":inference-component/" in arn)
        tags = self._tags_of(call.region, arn) if tagged else None
        key = self._key_of(params["TopicArn"]) if call.name == "sns:Publish" else None
        with self._lock:
            self.calls.append(Call(call.service, call.operation, call.region, call.params, tags, key))
