"""`cost-watcher restore`: put a reclaimed endpoint back as it was, from its ledger record.

After a delete: recreate the model(s) and endpoint config if they were deleted since,
create the endpoint with its original tags minus our grace-period mark, recreate its
inference components, then re-register its autoscaling targets, policies and scheduled
actions. After a scale-down: instance counts, autoscaling MinCapacity and component copy
counts go back to their recorded values and the mark is removed.

Every step checks what exists first, so running restore again (after a timeout, or by
mistake) finishes the job or does nothing. A successful restore writes a `restore`
record, so a later run of restore says "already restored" instead of acting twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from cost_watcher.errors import describe_error, is_not_found
from cost_watcher.judge import policy
from cost_watcher.judge.tags import IDLE_SINCE, RECLAIM
from cost_watcher.reclaim import actions
from cost_watcher.reclaim.actions import EndpointGone, Wait
from cost_watcher.reclaim.ledger import Ledger, Record
from cost_watcher.settings import Settings, SettingsError, validate_region

WAIT_RESTORE = Wait(delay=30, attempts=60)  # creating an endpoint takes minutes; a person is waiting
DEFAULT_PREFIX = Settings().tag_prefix


class RestoreError(Exception):
    """Restore cannot start (no record, a different endpoint in the way); the message says why."""


@dataclass
class RestoreResult:
    endpoint: str
    region: str
    dry_run: bool
    record: str = ""  # where the record used lives
    record_action: str = ""
    recorded_at: str = ""
    status: str = ""  # restored | planned | already restored | incomplete | failed
    steps: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("restored", "planned", "already restored")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def restore(endpoint_name: str, region: str, ledger: Ledger, clients: Any, dry_run: bool = False, *,
            wait: Wait = WAIT_RESTORE, clock: Callable[[], datetime] = _utc_now) -> RestoreResult:
    """Restore one endpoint from its latest ledger record. RestoreError when it cannot start;
    AWS failures mid-way end in status 'failed' with the steps done so far."""
    try:
        validate_region(region)
    except SettingsError as error:
        raise RestoreError(str(error)) from None
    record = ledger.latest_record(endpoint_name, region)
    if record is None:
        raise RestoreError(
            f"no restore record for endpoint '{endpoint_name}' in {region} in ledger {ledger.location} "
            "(records are written when cost-watcher deletes or scales down an endpoint; check the name, "
            "the region and --ledger)")
    sagemaker, autoscaling = clients.sagemaker(region), clients.autoscaling(region)
    live = _live(sagemaker, endpoint_name)
    if record.action == "restore":
        if live is not None:
            return RestoreResult(endpoint_name, region, dry_run, ledger.where(record), "restore",
                                 record.recorded_at, "already restored",
                                 [f"already restored at {record.recorded_at}: nothing to do"])
        record = ledger.read(record.doc["restored_from"])  # restored once, deleted again since: redo it

    result = RestoreResult(endpoint_name, region, dry_run, ledger.where(record), record.action, record.recorded_at)
    prefix = record.doc.get("tag_prefix", DEFAULT_PREFIX)
    try:
        if live is None:
            _recreate(result, record, live, sagemaker, autoscaling, prefix, wait)
        elif record.action == "delete":
            _check_ours(record, live)
            _recreate(result, record, live, sagemaker, autoscaling, prefix, wait)
        else:
            _scale_back(result, record, live, sagemaker, autoscaling, prefix, wait)
    except (ClientError, WaiterError, EndpointGone) as error:
        result.status, result.error = "failed", describe_error(error)
        return result
    if result.status == "incomplete":
        return result
    _warn_opt_in(result, record, prefix)
    if dry_run:
        result.status = "planned"
        return result
    done = ledger.write(region, endpoint_name, "restore",
                        {"restored_from": record.key, "steps": result.steps, "tag_prefix": prefix}, now=clock())
    result.steps.append(f"restore recorded in {ledger.where(done)}")
    result.status = "restored"
    return result


def _live(sagemaker: Any, name: str) -> dict[str, Any] | None:
    try:
        return actions.describe_endpoint(sagemaker, name)
    except EndpointGone:
        return None


def _check_ours(record: Record, live: dict[str, Any]) -> None:
    """An endpoint of that name exists after a delete: continue only if it is an earlier,
    unfinished restore (same config, created after the record), never touch another one."""
    created = live.get("CreationTime")
    recorded = datetime.fromisoformat(record.recorded_at) if record.recorded_at else None
    same_config = live.get("EndpointConfigName") == record.doc["endpoint"]["EndpointConfigName"]
    if not (same_config and isinstance(created, datetime) and recorded and created >= recorded):
        raise RestoreError(
            f"endpoint '{live['EndpointName']}' exists already (config {live.get('EndpointConfigName')}, created "
            f"{created}) and is not an earlier restore of the record at {record.recorded_at}: nothing was changed")


# --- after a delete -----------------------------------------------------------------------

def _ensure(result: RestoreResult, sagemaker: Any, kind: str, api_noun: str, name: str, described: dict) -> None:
    """Recreate a model or endpoint config from its recorded describe, unless it still exists."""
    if _exists(getattr(sagemaker, f"describe_{'_'.join(kind.split())}"), **{f"{api_noun}Name": name}):
        result.steps.append(f"{kind} {name} exists: kept")
        return
    if not result.dry_run:
        create = getattr(sagemaker, f"create_{'_'.join(kind.split())}")
        create(**actions.request(sagemaker, f"Create{api_noun}", described))
    result.steps.append(f"{'would create' if result.dry_run else 'created'} {kind} {name}")


def _recreate(result: RestoreResult, record: Record, live: dict[str, Any] | None, sagemaker: Any, autoscaling: Any,
              prefix: str, wait: Wait) -> None:
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
            sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config["EndpointConfigName"],
                                      **({"Tags": tags} if tags else {}))
        result.steps.append(f"{would} endpoint {name} with config {config['EndpointConfigName']} and "
                            f"{len(tags)} tag(s) (without the {prefix}{IDLE_SINCE} mark)")
    else:
        result.steps.append(f"endpoint {name} exists (an earlier restore): continuing")
    if dry:
        _plan_rest(result, doc)
        return
    if not _in_service(result, sagemaker, name, wait):
        return

    for component in doc.get("inference_components", []):
        _recreate_component(result, sagemaker, component, wait)
        if result.status == "incomplete":
            return
    _restore_autoscaling(result, autoscaling, doc)


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


def _in_service(result: RestoreResult, sagemaker: Any, name: str, wait: Wait) -> bool:
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
    sagemaker.create_inference_component(**actions.request(
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
        autoscaling.register_scalable_target(**actions.request(autoscaling, "RegisterScalableTarget", target))
        result.steps.append(f"registered scalable target {target['ResourceId']} "
                            f"(min {target['MinCapacity']}, max {target['MaxCapacity']})")
    for item in doc.get("scaling_policies", []):
        autoscaling.put_scaling_policy(**actions.request(autoscaling, "PutScalingPolicy", item))
        result.steps.append(f"put scaling policy {item['PolicyName']} on {item['ResourceId']}")
    for item in doc.get("scheduled_actions", []):
        autoscaling.put_scheduled_action(**actions.request(autoscaling, "PutScheduledAction", item))
        result.steps.append(f"put scheduled action {item['ScheduledActionName']} on {item['ResourceId']}")


def _exists(describe: Any, **params: Any) -> bool:
    try:
        describe(**params)
        return True
    except ClientError as error:
        if is_not_found(error):
            return False
        raise


# --- after a scale-down -------------------------------------------------------------------

def _scale_back(result: RestoreResult, record: Record, live: dict[str, Any], sagemaker: Any, autoscaling: Any,
                prefix: str, wait: Wait) -> None:
    plan = policy.ScaleDownPlan.from_dict(record.doc.get("scale_down", {}))
    dry, name = result.dry_run, result.endpoint
    verb = "would set" if dry else "set"
    if not dry and live.get("EndpointStatus") != "InService" and not _in_service(result, sagemaker, name, wait):
        return
    current = {v["VariantName"]: v.get("DesiredInstanceCount", v.get("CurrentInstanceCount"))
               for v in live.get("ProductionVariants", [])}
    counts = [(v["VariantName"], v["DesiredInstanceCount"], v["DesiredWeight"]) for v in plan.variants
              if current.get(v["VariantName"]) != v["DesiredInstanceCount"]]
    if counts and not dry:
        actions.set_instance_counts(sagemaker, name, counts)
    result.steps += [f"{verb} variant {variant} to {count} instance(s)" for variant, count, _ in counts]
    for change in plan.targets:
        if not dry:
            actions.set_min_capacity(autoscaling, change, change["MinCapacity"])
        result.steps.append(f"{verb} {change['ResourceId']} MinCapacity back to {change['MinCapacity']}")
    for component in plan.components:
        if not dry:
            actions.set_copy_count(sagemaker, component["InferenceComponentName"], component["CopyCount"])
        result.steps.append(f"{verb} {component['InferenceComponentName']} copies back to {component['CopyCount']}")
    mark = prefix + IDLE_SINCE
    tags = {t["Key"] for page in sagemaker.get_paginator("list_tags").paginate(ResourceArn=live["EndpointArn"])
            for t in page.get("Tags", [])}
    if mark in tags:
        if not dry:
            actions.remove_mark(sagemaker, live["EndpointArn"], mark)
        result.steps.append(f"{'would remove' if dry else 'removed'} the {mark} mark")
    if not result.steps:
        result.steps.append("already at its recorded capacity: nothing to change")


def _warn_opt_in(result: RestoreResult, record: Record, prefix: str) -> None:
    key = prefix + RECLAIM
    value = next((t["Value"] for t in record.doc.get("tags", []) if t["Key"] == key), None)
    if value:
        result.warnings.append(
            f"tag {key}={value} is still set: if the endpoint stays idle it will be marked and reclaimed again "
            "after the grace period; remove or change the tag to keep it")


def render_restore(result: RestoreResult) -> str:
    """What the CLI prints: the record used, each step, warnings, and the outcome."""
    head = {
        "restored": f"Restored endpoint {result.endpoint} ({result.region})",
        "planned": f"Dry run: nothing was changed. Restoring endpoint {result.endpoint} ({result.region}) would:",
        "already restored": f"Endpoint {result.endpoint} ({result.region}) was already restored",
        "incomplete": f"Restore of endpoint {result.endpoint} ({result.region}) is not finished",
        "failed": f"Restore of endpoint {result.endpoint} ({result.region}) FAILED",
    }.get(result.status, f"Restore of endpoint {result.endpoint} ({result.region}): {result.status}")
    lines = [head, f"  record: {result.record} ({result.record_action} recorded at {result.recorded_at})"]
    lines += [f"  - {step}" for step in result.steps]
    if result.error:
        lines.append(f"  error: {result.error}")
    lines += [f"warning: {warning}" for warning in result.warnings]
    return "\n".join(lines)
