"""Restore after a delete: recreate the model(s) and endpoint config if they were deleted
since, create the endpoint with its original tags minus our grace-period mark, recreate its
inference components, then re-register its autoscaling targets, policies and scheduled actions.
Every step checks what exists first (or reads back what a lost answer did)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError, WaiterError

from cost_watcher.errors import is_not_found
from cost_watcher.judge import policy
from cost_watcher.reclaim import actions, replay
from cost_watcher.reclaim.actions import Wait
from cost_watcher.reclaim.ledger import Record
from cost_watcher.reclaim.restore_result import RestoreContext, RestoreResult, created_since
from cost_watcher.settings import TagKeys


def _ensure(result: RestoreResult, sagemaker: Any, kind: str, api_noun: str, name: str, described: dict) -> None:
    """Recreate a model or endpoint config from its recorded describe, unless it still exists."""
    if _exists(getattr(sagemaker, f"describe_{'_'.join(kind.split())}"), **{f"{api_noun}Name": name}):
        result.steps.append(f"{kind} {name} exists: kept")
        return
    if not result.dry_run:
        create = getattr(sagemaker, f"create_{'_'.join(kind.split())}")
        create(**replay.request(sagemaker, f"Create{api_noun}", described))
    result.steps.append(f"{'would create' if result.dry_run else 'created'} {kind} {name}")


def recreate(result: RestoreResult, record: Record, live: dict[str, Any] | None, run: RestoreContext) -> None:
    """Models and config if missing, the endpoint, then (once InService) components and autoscaling."""
    sagemaker, prefix, wait = run.sagemaker, run.prefix, run.wait
    doc, dry = record.doc, result.dry_run
    would = "would create" if dry else "created"
    for model in doc.get("models", []):
        _ensure(result, sagemaker, "model", "Model", model["ModelName"], model)
    config = doc["endpoint_config"]
    _ensure(result, sagemaker, "endpoint config", "EndpointConfig", config["EndpointConfigName"], config)

    name = result.endpoint
    if live is None:
        tags = policy.tags_to_restore(doc.get("tags", []), prefix)
        if not dry:
            _create_endpoint(run, name, config["EndpointConfigName"], tags)
        result.steps.append(f"{would} endpoint {name} with config {config['EndpointConfigName']} and "
                            f"{len(tags)} tag(s) (without the {TagKeys(prefix).idle_since} mark)")
    else:
        result.steps.append(f"endpoint {name} exists (an earlier restore): continuing")
    if dry:
        _plan_rest(result, doc)
        return
    if not in_service(result, sagemaker, name, wait):
        return

    for component in doc.get("inference_components", []):
        _recreate_component(result, sagemaker, component, wait)
        if result.status == "incomplete":
            return
    _restore_autoscaling(result, run.autoscaling, doc)


def _plan_rest(result: RestoreResult, doc: dict[str, Any]) -> None:
    for component in doc.get("inference_components", []):
        result.steps.append(f"would create inference component {component['InferenceComponentName']} if missing")
    for target in doc.get("scalable_targets", []):
        result.steps.append(f"would register scalable target {target['ResourceId']} "
                            f"(min {target['MinCapacity']}, max {target['MaxCapacity']})")
    for item in doc.get("scaling_policies", []):
        result.steps.append(f"would put scaling policy {item['PolicyName']} on {item['ResourceId']}")
    for item in doc.get("scheduled_actions", []):
        result.steps.append(f"would put scheduled action {item['ScheduledActionName']} on {item['ResourceId']}")


def _create_endpoint(run: RestoreContext, name: str, config_name: str, tags: list[dict[str, str]]) -> None:
    """CreateEndpoint. When its answer is lost, botocore's repeat is refused ("Cannot create
    already existing endpoint"): read back, and the endpoint is ours when it runs our config and
    was created since this restore started; anyone else's endpoint keeps the error."""
    actions.changed_or_read_back(
        lambda: run.sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config_name,
                                              **({"Tags": tags} if tags else {})),
        lambda: created_since(actions.describe_endpoint(run.sagemaker, name), config_name, run.started))


def in_service(result: RestoreResult, sagemaker: Any, name: str, wait: Wait) -> bool:
    state = actions.wait_in_service(sagemaker, name, wait).get("EndpointStatus")
    if state == "InService":
        result.steps.append(f"endpoint {name} is InService")
        return True
    result.status = "incomplete"
    result.error = (f"endpoint {name} is {state} after {wait.seconds} s; run restore again to finish "
                    "(inference components and autoscaling are restored once it is InService)")
    return False


def _recreate_component(result: RestoreResult, sagemaker: Any, component: dict[str, Any], wait: Wait) -> None:
    name = component["InferenceComponentName"]
    if _exists(sagemaker.describe_inference_component, InferenceComponentName=name):
        result.steps.append(f"inference component {name} exists: kept")
        return
    spec = dict(component.get("Specification") or {})
    container = dict(spec.get("Container") or {})
    image = (container.pop("DeployedImage", None) or {}).get("SpecifiedImage")
    if image:
        container["Image"] = image
    spec["Container"] = container
    runtime = component.get("RuntimeConfig") or {}
    copies = runtime.get("DesiredCopyCount", runtime.get("CurrentCopyCount", 1))
    sagemaker.create_inference_component(**replay.request(
        sagemaker, "CreateInferenceComponent", {**component, "Specification": spec},
        RuntimeConfig={"CopyCount": copies}))
    try:
        actions.component_waiter(sagemaker, "InferenceComponentInService").wait(
            InferenceComponentName=name, WaiterConfig=wait.config())
    except WaiterError:
        result.status = "incomplete"
        result.error = f"inference component {name} is not InService after {wait.seconds} s; run restore again"
        return
    result.steps.append(f"created inference component {name} with {copies} copies")


def _restore_autoscaling(result: RestoreResult, autoscaling: Any, doc: dict[str, Any]) -> None:
    """Register targets, then put policies and scheduled actions (all idempotent calls)."""
    for target in doc.get("scalable_targets", []):
        autoscaling.register_scalable_target(**replay.request(autoscaling, "RegisterScalableTarget", target))
        result.steps.append(f"registered scalable target {target['ResourceId']} "
                            f"(min {target['MinCapacity']}, max {target['MaxCapacity']})")
    for item in doc.get("scaling_policies", []):
        autoscaling.put_scaling_policy(**replay.request(autoscaling, "PutScalingPolicy", item))
        result.steps.append(f"put scaling policy {item['PolicyName']} on {item['ResourceId']}")
    for item in doc.get("scheduled_actions", []):
        autoscaling.put_scheduled_action(**replay.request(autoscaling, "PutScheduledAction", item))
        result.steps.append(f"put scheduled action {item['ScheduledActionName']} on {item['ResourceId']}")


def _exists(describe: Any, **params: Any) -> bool:
    try:
        describe(**params)
        return True
    except ClientError as error:
        if is_not_found(error):
            return False
        raise
