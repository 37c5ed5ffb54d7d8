"""The one moto-as-AWS layer: where moto 5.2 is laxer or noisier than AWS, it answers as AWS does.

The demo, the tests and the benchmarks all call `make_moto_behave_like_aws()` (idempotent,
for the whole process), so a figure, a test and the demo see the same account:

- CloudWatch: the indexed metric store (metric_store): exact dimension matching, ListMetrics
  one entry per series, 500 a page, only series with data in the last 14 days;
- SageMaker: ListEndpoints pages 10 at a time (moto: 100); ListInferenceComponents, which
  moto does not implement (it answers 500), gets one empty page, as an account without any;
- Application Auto Scaling: DescribeScalableTargets pages by offset (moto's NextToken is
  always "49", which botocore's paginator rejects as a loop); DescribeScalingPolicies pages
  at AWS's 50 (moto: 100), so listing costs the calls it costs on AWS;
- Resource Groups Tagging API: GetResources pages by ResourcesPerPage up to AWS's 100 (moto's
  range check never fires, and it also cuts every page at 100 tags unless TagsPerPage is
  raised, which AWS applies only when TagsPerPage is given), and refuses more than 100, as AWS
  does: https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html

`simulate_inference_components` lets a scenario answer ListInferenceComponents with its own.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.awsrequest import AWSResponse

from cost_watcher.scan.clients import Clients

AUTOSCALING_PAGE = 50  # AWS's default and maximum MaxResults for targets and policies
LIST_ENDPOINTS_PAGE = 10  # AWS's default MaxResults of ListEndpoints
RESOURCES_PER_PAGE = 100  # GetResources' maximum ResourcesPerPage
NO_TAG_CAP = 10**9  # TagsPerPage not given: pages are cut by resources only


def make_moto_behave_like_aws() -> None:
    """Install every patch below for this process (idempotent)."""
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
    from moto.resourcegroupstaggingapi.responses import ResourceGroupsTaggingAPIResponse
    from moto.sagemaker import models as sagemaker_models
    from moto.sagemaker.responses import SageMakerResponse

    from cost_watcher.sim import metric_store

    metric_store.install()
    sagemaker_models.PAGINATION_MODEL["list_endpoints"]["limit_default"] = LIST_ENDPOINTS_PAGE
    SageMakerResponse.list_inference_components = _no_inference_components
    ApplicationAutoScalingResponse.describe_scalable_targets = _describe_scalable_targets
    ApplicationAutoScalingResponse.describe_scaling_policies = _describe_scaling_policies
    ResourceGroupsTaggingAPIResponse.get_resources = _get_resources


def simulate_inference_components(clients: Clients, components: list[dict[str, Any]]) -> None:
    """Answer these clients' ListInferenceComponents from `components` (a scenario's own)."""

    def answer(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if model.name != "ListInferenceComponents":
            return None
        return AWSResponse("https://simulated", 200, {}, None), {"InferenceComponents": list(components)}

    clients.register("before-call.sagemaker.ListInferenceComponents", answer)


def _no_inference_components(self: Any) -> Any:
    """An account without inference components: one empty page."""
    from moto.core.responses import ActionResult

    return ActionResult({"InferenceComponents": []})


def _page_size(response: Any) -> int:
    from moto.applicationautoscaling.exceptions import AWSValidationException

    size = response._get_int_param("MaxResults") or AUTOSCALING_PAGE
    if not 1 <= size <= AUTOSCALING_PAGE:
        raise AWSValidationException(f"1 validation error detected: Value '{size}' at 'maxResults' failed to "
                                     f"satisfy constraint: Member must have value less than or equal to 50")
    return size


def _describe_scalable_targets(self: Any) -> str:
    """moto's filtering, with a NextToken that is the offset of the next page."""
    from moto.applicationautoscaling.responses import _build_target

    self._validate_params()
    targets = self.applicationautoscaling_backend.describe_scalable_targets(
        self._get_param("ServiceNamespace"), self._get_param("ResourceIds"), self._get_param("ScalableDimension")
    )
    size = _page_size(self)
    start = int(self._get_param("NextToken") or 0)
    following = start + size
    return json.dumps({
        "ScalableTargets": [_build_target(target) for target in targets[start:following]],
        "NextToken": str(following) if following < len(targets) else None,
    })


def _describe_scaling_policies(self: Any) -> str:
    """moto's listing, paged at AWS's 50 instead of 100."""
    from moto.applicationautoscaling.responses import _build_policy

    next_token, policies = self.applicationautoscaling_backend.describe_scaling_policies(
        service_namespace=self._get_param("ServiceNamespace"),
        resource_id=self._get_param("ResourceId"),
        scalable_dimension=self._get_param("ScalableDimension"),
        max_results=_page_size(self),
        next_token=self._get_param("NextToken"),
    )
    return json.dumps({"ScalingPolicies": [_build_policy(policy) for policy in policies], "NextToken": next_token})


def _get_resources(self: Any) -> str:
    """moto's GetResources with AWS's page limits (see the module doc)."""
    from moto.core.exceptions import JsonRESTError

    per_page = self._get_int_param("ResourcesPerPage", 50)
    if not 1 <= per_page <= RESOURCES_PER_PAGE:
        raise JsonRESTError("InvalidParameterException", "ResourcesPerPage must be between 1 and 100")
    token, mapping = self.backend.get_resources(
        pagination_token=self._get_param("PaginationToken"),
        tag_filters=self._get_param("TagFilters", []),
        resources_per_page=per_page,
        tags_per_page=self._get_int_param("TagsPerPage", NO_TAG_CAP),
        resource_type_filters=self._get_param("ResourceTypeFilters", []),
    )
    return json.dumps({"ResourceTagMappingList": mapping, "PaginationToken": token})
