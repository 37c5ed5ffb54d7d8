"""Reading an endpoint for its restore record: everything `restore` needs, read fresh just
before a delete or a scale-down (no record, no reclaim: a part that cannot be read stops it)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from cost_watcher.errors import IncompleteRecord, is_not_found
from cost_watcher.judge.policy import component_resource_id, endpoint_state, variant_resource_id
from cost_watcher.reclaim.actions import NAMESPACE, clean


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


