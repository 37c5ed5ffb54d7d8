"""What exists: endpoints, inference components, their configuration, tags and autoscaling.

Listing is cheap and done for every endpoint; describing costs two calls an endpoint (the
config once per config name, the tags from the region's tag listing: scan/describe.py) and
is done only for the endpoints a verdict needs it for (see scan/region.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from typing import Any

from cost_watcher.judge import signals
from cost_watcher.model import Component, Endpoint, ScalingTarget, Variant, variant_resource_id

VARIANT_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
INVOCATIONS_PER_INSTANCE = "SageMakerVariantInvocationsPerInstance"


def list_endpoints(sagemaker: Any, region: str,
                   on_page: Callable[[list[Endpoint]], None] | None = None) -> list[Endpoint]:
    """Every real-time endpoint in the region, oldest first, each once.

    AWS pages newest-first, 10 at a time by default. We ask for 100 a page sorted oldest
    first, so an endpoint created mid-listing lands at the end instead of shifting pages,
    and we de-duplicate by name in case a page boundary moves anyway. `on_page` is given
    each page's new endpoints as soon as it is read (never an empty list), so work on
    them can start while the next page is asked for.
    """
    found: dict[str, Endpoint] = {}
    paginator = sagemaker.get_paginator("list_endpoints")
    pages = paginator.paginate(SortBy="CreationTime", SortOrder="Ascending", PaginationConfig={"PageSize": 100})
    for page in pages:
        new = []
        for item in page.get("Endpoints", []):
            if item["EndpointName"] in found:
                continue
            found[item["EndpointName"]] = endpoint = Endpoint(
                name=item["EndpointName"],
                region=region,
                status=item["EndpointStatus"],
                created=item["CreationTime"],
                arn=item.get("EndpointArn", ""),
                last_modified=item.get("LastModifiedTime"),
            )
            new.append(endpoint)
        if on_page and new:
            on_page(new)
    return list(found.values())


def list_components(sagemaker: Any) -> dict[str, list[Component]]:
    """Inference components grouped by the endpoint that hosts them."""
    by_endpoint: dict[str, list[Component]] = {}
    paginator = sagemaker.get_paginator("list_inference_components")
    for page in paginator.paginate(PaginationConfig={"PageSize": 100}):
        for item in page.get("InferenceComponents", []):
            component = Component(
                name=item["InferenceComponentName"],
                endpoint_name=item["EndpointName"],
                variant_name=item.get("VariantName"),
                status=item.get("InferenceComponentStatus", "InService"),
            )
            by_endpoint.setdefault(component.endpoint_name, []).append(component)
    return by_endpoint


def list_tags(sagemaker: Any, arn: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for page in sagemaker.get_paginator("list_tags").paginate(ResourceArn=arn):
        tags.update({tag["Key"]: tag["Value"] for tag in page.get("Tags", [])})
    return tags


def describe(sagemaker: Any, endpoint: Endpoint, config_of: Callable[[str], dict[str, Any]] | None = None,
             tags_of: Callable[[Endpoint], dict[str, str]] | None = None) -> Endpoint:
    """Fill in variants (type, counts, serverless, shadow), async flag, unsupported features, tags
    and the copy count of each inference component: DescribeEndpoint, the config (`config_of`, or
    DescribeEndpointConfig), the tags (`tags_of`, or ListTags), plus one call a component."""
    live = sagemaker.describe_endpoint(EndpointName=endpoint.name)
    endpoint.status = live.get("EndpointStatus", endpoint.status)
    endpoint.config_name = live.get("EndpointConfigName")
    endpoint.arn = live.get("EndpointArn", endpoint.arn)
    config = (config_of(endpoint.config_name) if config_of
              else sagemaker.describe_endpoint_config(EndpointConfigName=endpoint.config_name))
    endpoint.variants = merge_variants(live.get("ProductionVariants", []), config.get("ProductionVariants", []))
    endpoint.variants += merge_variants(live.get("ShadowProductionVariants", []),
                                        config.get("ShadowProductionVariants", []), shadow=True)
    endpoint.asynchronous = "AsyncInferenceConfig" in config
    endpoint.unsupported = signals.unsupported_features(config)
    endpoint.tags = tags_of(endpoint) if tags_of else list_tags(sagemaker, endpoint.arn)
    endpoint.tags_read = True
    for component in endpoint.components:
        component.copy_count = copy_count(sagemaker, component.name)
    endpoint.described = True
    return endpoint


def copy_count(sagemaker: Any, component: str) -> int | None:
    """Copies of a component now running: they tell how many instances host nothing. Only that
    waste figure needs it, so a component we may not describe leaves it unknown (None)."""
    try:
        runtime = sagemaker.describe_inference_component(InferenceComponentName=component).get("RuntimeConfig")
    except Exception:  # noqa: BLE001 - an unknown copy count only hides the waste figure
        return None
    return (runtime or {}).get("CurrentCopyCount")


def merge_variants(live: Iterable[dict[str, Any]], configured: Iterable[dict[str, Any]], *,
                   shadow: bool = False) -> list[Variant]:
    """DescribeEndpoint has the live counts; only the endpoint config has the instance type."""
    by_name = {variant["VariantName"]: variant for variant in configured}
    variants = []
    for summary in live:
        spec = by_name.get(summary["VariantName"], {})
        managed = summary.get("ManagedInstanceScaling") or spec.get("ManagedInstanceScaling") or {}
        serverless_config = summary.get("CurrentServerlessConfig") or spec.get("ServerlessConfig") or {}
        serverless = bool(serverless_config)
        count = summary.get("CurrentInstanceCount", None if serverless else spec.get("InitialInstanceCount"))
        live_pools = [(pool.get("InstanceType", ""), pool.get("CurrentInstanceCount"))
                      for pool in summary.get("InstancePools") or []]
        pools = live_pools or [(pool.get("InstanceType", ""), None) for pool in spec.get("InstancePools") or []]
        variants.append(
            Variant(
                name=summary["VariantName"],
                instance_type=spec.get("InstanceType"),
                instance_count=count,
                desired_instance_count=summary.get("DesiredInstanceCount"),
                serverless=serverless,
                min_instance_count=managed.get("MinInstanceCount") if managed.get("Status") == "ENABLED" else None,
                shadow=shadow,
                memory_mb=serverless_config.get("MemorySizeInMB"),
                provisioned_concurrency=serverless_config.get("ProvisionedConcurrency"),
                pools=tuple(pools),
            )
        )
    return variants


def scaling_targets(autoscaling: Any, resource_ids: list[str],
                    pool: Executor | None = None) -> dict[str, ScalingTarget]:
    """SageMaker scaling targets of the given resources, with per-instance capacity.

    Asked for by resource id (50 a call) so the cost follows the candidates, not the
    region's whole fleet. A target-tracking policy on SageMakerVariantInvocationsPerInstance
    tells how many invocations a minute one instance is meant to serve: the per-instance
    capacity the right-size advice needs (one call per target found). The calls run in
    `pool` at once, when given.
    """
    run = pool.map if pool is not None else map
    chunks = [resource_ids[start:start + 50] for start in range(0, len(resource_ids), 50)]
    targets: dict[str, ScalingTarget] = {}
    for found in run(lambda chunk: _targets(autoscaling, chunk), chunks):
        targets.update(found)
    list(run(lambda target: _per_instance(autoscaling, target), list(targets.values())))
    return targets


def _targets(autoscaling: Any, resource_ids: list[str]) -> dict[str, ScalingTarget]:
    targets: dict[str, ScalingTarget] = {}
    pages = autoscaling.get_paginator("describe_scalable_targets").paginate(ServiceNamespace="sagemaker",
                                                                          ResourceIds=resource_ids)
    for page in pages:
        for item in page.get("ScalableTargets", []):
            targets[item["ResourceId"]] = ScalingTarget(
                resource_id=item["ResourceId"],
                dimension=item["ScalableDimension"],
                min_capacity=item["MinCapacity"],
                max_capacity=item["MaxCapacity"],
            )
    return targets


def _per_instance(autoscaling: Any, target: ScalingTarget) -> None:
    pages = autoscaling.get_paginator("describe_scaling_policies").paginate(ServiceNamespace="sagemaker",
                                                                          ResourceId=target.resource_id)
    for page in pages:
        for policy in page.get("ScalingPolicies", []):
            tracking = policy.get("TargetTrackingScalingPolicyConfiguration") or {}
            metric = (tracking.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
            if metric == INVOCATIONS_PER_INSTANCE:
                target.invocations_per_instance_per_minute = float(tracking["TargetValue"])


def attach_scaling(endpoint: Endpoint, targets: dict[str, ScalingTarget]) -> None:
    for variant in endpoint.variants:
        target = targets.get(variant_resource_id(endpoint.name, variant.name))
        if target and target.dimension == VARIANT_DIMENSION:
            endpoint.scaling[variant.name] = target
