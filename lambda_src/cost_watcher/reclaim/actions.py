"""The AWS calls of reclaiming: mark, unmark, re-check, snapshot, delete, scale down.

Each function does one thing against the clients it is given and raises on failure; the
decisions (what, when, in which order across endpoints) are in policy.py and reclaim.py.
Waits are bounded with botocore waiters (SageMaker has none for inference components,
so two small waiter models are declared here in botocore's own format).
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError, WaiterError
from botocore.waiter import WaiterModel, create_waiter_with_client

from cost_watcher.errors import error_code, is_not_found
from cost_watcher.judge.policy import ScaleDownPlan, component_resource_id, endpoint_state, variant_resource_id
from cost_watcher.scan import metrics
from cost_watcher.scan.metrics import Query

NAMESPACE = "sagemaker"
_MISSING = re.compile(r"no (scalable target|scaling polic(y|ies)|scheduled actions?) found", re.IGNORECASE)
ENDPOINT_TYPE = "sagemaker:endpoint"


@dataclass(frozen=True)
class Wait:
    """How long to wait for a state change: `attempts` polls `delay` seconds apart."""

    delay: int = 10
    attempts: int = 6

    @property
    def seconds(self) -> int:
        return self.delay * self.attempts

    def config(self) -> dict[str, int]:
        return {"Delay": self.delay, "MaxAttempts": max(1, self.attempts)}


WAIT = Wait()  # within a nightly run: a minute per endpoint at most


class EndpointGone(Exception):
    """The endpoint no longer exists: reported, not an error."""


class IncompleteRecord(Exception):
    """Something a restore would need can no longer be read: the reclaim must not happen."""


_COMPONENT_WAITERS = WaiterModel({
    "version": 2,
    "waiters": {
        "InferenceComponentDeleted": {
            "operation": "DescribeInferenceComponent", "delay": 10, "maxAttempts": 60,
            "acceptors": [
                {"matcher": "error", "expected": "ValidationException", "state": "success"},
                {"matcher": "error", "expected": "ResourceNotFound", "state": "success"},
                {"matcher": "path", "argument": "InferenceComponentStatus", "expected": "Failed", "state": "failure"},
            ],
        },
        "InferenceComponentInService": {
            "operation": "DescribeInferenceComponent", "delay": 10, "maxAttempts": 60,
            "acceptors": [
                {"matcher": "path", "argument": "InferenceComponentStatus", "expected": "InService",
                 "state": "success"},
                {"matcher": "path", "argument": "InferenceComponentStatus", "expected": "Failed", "state": "failure"},
                {"matcher": "error", "expected": "ValidationException", "state": "failure"},
            ],
        },
    },
})


def component_waiter(sagemaker: Any, name: str) -> Any:
    return create_waiter_with_client(name, _COMPONENT_WAITERS, sagemaker)


def clean(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


# --- tags ---------------------------------------------------------------------------------

def add_mark(sagemaker: Any, arn: str, key: str, day: str) -> None:
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": key, "Value": day}])


def remove_mark(sagemaker: Any, arn: str, key: str) -> None:
    sagemaker.delete_tags(ResourceArn=arn, TagKeys=[key])


def marked_endpoints(tagging: Any, key: str) -> dict[str, str]:
    """Endpoint ARN -> mark value for every endpoint in the region carrying our mark.

    One paginated call a region: the scan reads tags only of low-traffic endpoints, and a
    mark on a busy endpoint is exactly the one that must be removed.
    """
    found: dict[str, str] = {}
    paginator = tagging.get_paginator("get_resources")
    for page in paginator.paginate(TagFilters=[{"Key": key}], ResourceTypeFilters=[ENDPOINT_TYPE]):
        for item in page.get("ResourceTagMappingList", []):
            tags = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
            if key in tags and ":endpoint/" in item["ResourceARN"]:
                found[item["ResourceARN"]] = tags[key]
    return found


# --- re-check -----------------------------------------------------------------------------

def recent_invocations(cloudwatch: Any, queries: dict[str, list[Query]], start: datetime,
                       end: datetime) -> tuple[dict[str, float], dict[str, str]]:
    """Work per endpoint since `start` (its kind's signal: invocations, or for an async endpoint
    what it processed plus the most that waited), in one batched GetMetricData (<= 500 a call).

    Returns (total by endpoint, error by endpoint); an endpoint with an error is unknown.
    """
    points, failed = metrics.fetch(cloudwatch, [q for qs in queries.values() for q in qs], start, end)
    totals: dict[str, float] = {}
    errors: dict[str, str] = {}
    for name, own in queries.items():
        broken = [q for q in own if q in failed]
        if broken:
            errors[name] = failed[broken[0]]
        elif not own:
            errors[name] = "no variant or inference component to re-check"
        else:
            totals[name] = sum(value for q in own for _, value in points.get(q, []))
    return totals, errors


# --- reading an endpoint for its restore record -------------------------------------------

def describe_endpoint(sagemaker: Any, name: str) -> dict[str, Any]:
    try:
        return clean(sagemaker.describe_endpoint(EndpointName=name))
    except ClientError as error:
        if is_not_found(error):
            raise EndpointGone(name) from error
        raise


def wait_in_service(sagemaker: Any, name: str, wait: Wait) -> dict[str, Any]:
    """Wait (bounded) for an Updating/Creating endpoint; returns its fresh description."""
    with suppress(WaiterError):  # the caller reads the status and defers
        sagemaker.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig=wait.config())
    return describe_endpoint(sagemaker, name)


def snapshot(sagemaker: Any, autoscaling: Any, live: dict[str, Any], components: list[str]) -> dict[str, Any]:
    """Everything a restore needs, read fresh: config, models, tags, components, autoscaling.

    `components` are the endpoint's inference components as the scan listed them.
    Raises IncompleteRecord when the config or a model is gone (the endpoint still runs,
    but could not be recreated after a delete).
    """
    name = live["EndpointName"]
    config_name = live["EndpointConfigName"]
    config = _describe_or_incomplete(sagemaker.describe_endpoint_config, "endpoint config",
                                     EndpointConfigName=config_name)
    described = [clean(sagemaker.describe_inference_component(InferenceComponentName=c)) for c in components]
    model_names = [v["ModelName"] for v in config.get("ProductionVariants", []) if v.get("ModelName")]
    model_names += [c["Specification"]["ModelName"] for c in described if c.get("Specification", {}).get("ModelName")]
    models = [_describe_or_incomplete(sagemaker.describe_model, "model", ModelName=m)
              for m in dict.fromkeys(model_names)]
    tags = [t for page in sagemaker.get_paginator("list_tags").paginate(ResourceArn=live["EndpointArn"])
            for t in page.get("Tags", [])]
    resource_ids = [variant_resource_id(name, v["VariantName"]) for v in live.get("ProductionVariants", [])]
    resource_ids += [component_resource_id(c) for c in components]
    targets, policies, scheduled = read_autoscaling(autoscaling, resource_ids)
    return {
        "state": endpoint_state(live),
        "endpoint": live,
        "endpoint_config": config,
        "models": models,
        "tags": tags,
        "inference_components": described,
        "scalable_targets": targets,
        "scaling_policies": policies,
        "scheduled_actions": scheduled,
    }


def _describe_or_incomplete(operation: Any, what: str, **params: Any) -> dict[str, Any]:
    try:
        return clean(operation(**params))
    except ClientError as error:
        if is_not_found(error):
            name = next(iter(params.values()))
            raise IncompleteRecord(f"its {what} {name} no longer exists, so a deletion could not be undone") from error
        raise


def read_autoscaling(autoscaling: Any, resource_ids: list[str]) -> tuple[list[dict], list[dict], list[dict]]:
    """Scalable targets of these resources, with their scaling policies and scheduled actions."""
    targets: list[dict[str, Any]] = []
    for start in range(0, len(resource_ids), 50):  # DescribeScalableTargets takes 50 ids a call
        pages = autoscaling.get_paginator("describe_scalable_targets").paginate(
            ServiceNamespace=NAMESPACE, ResourceIds=resource_ids[start:start + 50])
        targets += [t for page in pages for t in page.get("ScalableTargets", [])]
    policies: list[dict[str, Any]] = []
    scheduled: list[dict[str, Any]] = []
    for target in targets:
        ids = {"ServiceNamespace": NAMESPACE, "ResourceId": target["ResourceId"],
               "ScalableDimension": target["ScalableDimension"]}
        policies += [p for page in autoscaling.get_paginator("describe_scaling_policies").paginate(**ids)
                     for p in page.get("ScalingPolicies", [])]
        scheduled += [s for page in autoscaling.get_paginator("describe_scheduled_actions").paginate(**ids)
                      for s in page.get("ScheduledActions", [])]
    return targets, policies, scheduled


# --- delete -------------------------------------------------------------------------------

def remove_autoscaling(autoscaling: Any, record: dict[str, Any]) -> None:
    """Delete the recorded policies and scheduled actions, then deregister the targets.

    (Deregistering alone deletes them on AWS too; deleting them first makes the state
    explicit and is safe to repeat: what is already gone is skipped.)
    """
    for policy in record.get("scaling_policies", []):
        _ignore_missing(autoscaling.delete_scaling_policy, PolicyName=policy["PolicyName"], **_ids(policy))
    for action in record.get("scheduled_actions", []):
        _ignore_missing(autoscaling.delete_scheduled_action,
                        ScheduledActionName=action["ScheduledActionName"], **_ids(action))
    for target in record.get("scalable_targets", []):
        _ignore_missing(autoscaling.deregister_scalable_target, **_ids(target))


def delete_components(sagemaker: Any, names: list[str], wait: Wait) -> None:
    """Delete inference components and wait until they are gone: DeleteEndpoint refuses before."""
    for name in names:
        _ignore_missing(sagemaker.delete_inference_component, InferenceComponentName=name)
    for name in names:
        try:
            component_waiter(sagemaker, "InferenceComponentDeleted").wait(
                InferenceComponentName=name, WaiterConfig=wait.config())
        except WaiterError as error:
            raise TimeoutError(f"inference component {name} still not deleted after {wait.seconds} s: "
                               "the endpoint is deleted by a later run") from error


def delete_endpoint(sagemaker: Any, name: str) -> None:
    """Delete; 'not found' means a retry of a delete whose answer was lost: done either way."""
    _ignore_missing(sagemaker.delete_endpoint, EndpointName=name)


# --- scale-down ---------------------------------------------------------------------------

def set_min_capacity(autoscaling: Any, change: dict[str, Any], min_capacity: int) -> None:
    autoscaling.register_scalable_target(
        ServiceNamespace=NAMESPACE, ResourceId=change["ResourceId"], ScalableDimension=change["ScalableDimension"],
        MinCapacity=min_capacity, MaxCapacity=change["MaxCapacity"])


def set_instance_counts(sagemaker: Any, endpoint_name: str, counts: list[tuple[str, int, float]]) -> None:
    """One UpdateEndpointWeightsAndCapacities for all variants (the endpoint is Updating after it)."""
    sagemaker.update_endpoint_weights_and_capacities(
        EndpointName=endpoint_name,
        DesiredWeightsAndCapacities=[
            {"VariantName": name, "DesiredInstanceCount": count, "DesiredWeight": weight}
            for name, count, weight in counts
        ],
    )


def set_copy_count(sagemaker: Any, component: str, copies: int) -> None:
    sagemaker.update_inference_component_runtime_config(
        InferenceComponentName=component, DesiredRuntimeConfig={"CopyCount": copies})


def scale_down(sagemaker: Any, autoscaling: Any, endpoint_name: str, plan: ScaleDownPlan,
               live: dict[str, Any]) -> list[str]:
    """Apply a plan: autoscaling floors first (or autoscaling scales straight back up), then
    the instance counts in one update, then component copy counts. Returns what changed."""
    done = []
    for change in plan.targets:
        set_min_capacity(autoscaling, change, change["To"])
        done.append(f"{change['ResourceId']} MinCapacity {change['MinCapacity']} -> {change['To']}")
    current = {v["VariantName"]: v.get("DesiredInstanceCount", v.get("CurrentInstanceCount"))
               for v in live.get("ProductionVariants", [])}
    counts = [(v["VariantName"], v["To"], v["DesiredWeight"]) for v in plan.variants
              if current.get(v["VariantName"]) is None or current[v["VariantName"]] > v["To"]]
    if counts:
        try:
            set_instance_counts(sagemaker, endpoint_name, counts)
        except ClientError:
            if not counts_in_effect(sagemaker, endpoint_name, counts):
                raise
        done += [f"{name} -> {count} instance(s)" for name, count, _ in counts]
    for component in plan.components:
        set_copy_count(sagemaker, component["InferenceComponentName"], component["To"])
        done.append(f"{component['InferenceComponentName']} copies {component['CopyCount']} -> {component['To']}")
    return done


def counts_in_effect(sagemaker: Any, endpoint_name: str, counts: list[tuple[str, int, float]]) -> bool:
    """Whether the endpoint already asks for these counts (or fewer). A refused update can be
    botocore's repeat of one that took effect and whose answer was lost: AWS refuses it
    because the endpoint is now Updating. Read back rather than report a made change as failed."""
    try:
        variants = describe_endpoint(sagemaker, endpoint_name).get("ProductionVariants", [])
    except (ClientError, EndpointGone):
        return False
    desired = {v["VariantName"]: v.get("DesiredInstanceCount", v.get("CurrentInstanceCount")) for v in variants}
    return all(desired.get(name) is not None and desired[name] <= count for name, count, _ in counts)


# --- helpers ------------------------------------------------------------------------------

def _ids(item: dict[str, Any]) -> dict[str, str]:
    return {"ServiceNamespace": item.get("ServiceNamespace", NAMESPACE), "ResourceId": item["ResourceId"],
            "ScalableDimension": item["ScalableDimension"]}


def _ignore_missing(operation: Any, **params: Any) -> None:
    """Call a delete; what is already gone is what we wanted (a retried run repeats deletes)."""
    try:
        operation(**params)
    except ClientError as error:
        if is_not_found(error) or error_code(error) == "ObjectNotFoundException" or _MISSING.search(str(error)):
            return
        raise


def request(client: Any, operation: str, data: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """Parameters for `operation` from a describe response: keep only the members the
    operation accepts (per the botocore model), drop empties, then apply overrides.

    This turns a recorded DescribeModel / DescribeEndpointConfig / DescribeScalingPolicies
    item back into a Create/Put request without hand-listing every field.
    """
    shape = client.meta.service_model.operation_model(operation).input_shape
    params = _prune(data, shape) or {}
    params.update(overrides)
    return params


def _prune(value: Any, shape: Any) -> Any:
    if value is None:
        return None
    if shape.type_name == "structure":
        if not isinstance(value, dict):
            return None
        kept = {k: _prune(v, shape.members[k]) for k, v in value.items() if k in shape.members}
        kept = {k: v for k, v in kept.items() if v not in (None, {}, [])}
        return kept or None
    if shape.type_name == "list":
        items = [_prune(item, shape.member) for item in value]
        return [item for item in items if item not in (None, {}, [])] or None
    if shape.type_name == "map":
        return {k: _prune(v, shape.value) for k, v in value.items()} or None
    return value
