"""The AWS calls of reclaiming: mark, unmark, re-check, delete, scale down.

Each function does one thing against the clients it is given and raises on failure; the
decisions (what, when, in which order across endpoints) are in judge/policy.py and apply.py.
A change whose every answer was an error (or was lost) is read back before it raises: AWS
may have carried it out, and then it is done (DESIGN rule 10: retries are harmless).
Waits are bounded with botocore waiters (SageMaker has none for inference components,
so two small waiter models are declared here in botocore's own format).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError, WaiterError
from botocore.waiter import WaiterModel, create_waiter_with_client

from cost_watcher.errors import EndpointGone, error_code, is_not_found
from cost_watcher.judge.policy import ScaleDownPlan
from cost_watcher.scan import metrics
from cost_watcher.scan.inventory import list_tags
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


def changed_or_read_back(change: Callable[[], Any], took_effect: Callable[[], bool]) -> None:
    """Make a change; when it ends in an error, read back whether AWS carried it out anyway
    (its answer lost on every attempt, or botocore's repeat refused because the first one
    worked). Done is done; otherwise, or when the read-back fails too, the error stands."""
    try:
        change()
    except Exception:
        try:
            happened = took_effect()
        except Exception:  # noqa: BLE001 - unknown is not done: the change's own error is reported
            happened = False
        if not happened:
            raise


# --- tags ---------------------------------------------------------------------------------

def add_mark(sagemaker: Any, arn: str, key: str, day: str) -> None:
    changed_or_read_back(lambda: sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": key, "Value": day}]),
                         lambda: list_tags(sagemaker, arn).get(key) == day)


def remove_mark(sagemaker: Any, arn: str, key: str) -> None:
    changed_or_read_back(lambda: sagemaker.delete_tags(ResourceArn=arn, TagKeys=[key]),
                         lambda: key not in list_tags(sagemaker, arn))


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


# --- reading the endpoint -----------------------------------------------------------------

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
    """Delete; 'not found' means a retry of a delete whose answer was lost: done either way,
    as is an endpoint read back as Deleting or gone after every answer was lost."""
    changed_or_read_back(lambda: _ignore_missing(sagemaker.delete_endpoint, EndpointName=name),
                         lambda: endpoint_deleted(sagemaker, name))


def endpoint_deleted(sagemaker: Any, name: str) -> bool:
    """Whether the endpoint is gone or on its way (Deleting)."""
    try:
        return describe_endpoint(sagemaker, name).get("EndpointStatus") == "Deleting"
    except EndpointGone:
        return True


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
        changed_or_read_back(lambda: set_instance_counts(sagemaker, endpoint_name, counts),
                             lambda: counts_in_effect(sagemaker, endpoint_name, counts))
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
