"""Where moto 5.2 differs from AWS in ways that would distort the benchmark, answer as AWS does.

- ListInferenceComponents is not implemented: moto answers 500, which the scan would retry
  (adaptive mode, ten attempts) and then report as a region error. On AWS an account
  without inference components gets one empty page; so does the benchmark's account.
- DescribeScalableTargets pages wrongly past the second page (its NextToken is always
  "49"), which botocore's paginator rejects as a loop. AWS pages through every target.
- DescribeScalingPolicies pages 100 at a time; AWS at most 50, so moto would undercount
  the calls a region-wide listing costs.

`install()` patches moto's response classes in this process; only the benchmark calls it
(LatencyServer does, idempotently).
"""

from __future__ import annotations

import json
from typing import Any

from moto.applicationautoscaling.exceptions import AWSValidationException
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse, _build_policy, _build_target
from moto.core.responses import ActionResult
from moto.sagemaker.responses import SageMakerResponse

AUTOSCALING_PAGE = 50  # AWS's default and maximum MaxResults for targets and policies


def list_inference_components(self: SageMakerResponse) -> ActionResult:
    """The benchmark account hosts no inference components: one empty page."""
    return ActionResult({"InferenceComponents": []})


def _page_size(response: ApplicationAutoScalingResponse) -> int:
    size = response._get_int_param("MaxResults") or AUTOSCALING_PAGE
    if not 1 <= size <= AUTOSCALING_PAGE:
        raise AWSValidationException(f"1 validation error detected: Value '{size}' at 'maxResults' failed to "
                                     f"satisfy constraint: Member must have value less than or equal to 50")
    return size


def describe_scalable_targets(self: ApplicationAutoScalingResponse) -> str:
    """moto's filtering, with a NextToken that is the offset of the next page."""
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


def describe_scaling_policies(self: ApplicationAutoScalingResponse) -> str:
    """moto's listing, paged at AWS's 50 instead of 100."""
    next_token, policies = self.applicationautoscaling_backend.describe_scaling_policies(
        service_namespace=self._get_param("ServiceNamespace"),
        resource_id=self._get_param("ResourceId"),
        scalable_dimension=self._get_param("ScalableDimension"),
        max_results=_page_size(self),
        next_token=self._get_param("NextToken"),
    )
    return json.dumps({"ScalingPolicies": [_build_policy(policy) for policy in policies], "NextToken": next_token})


_PATCHES: list[tuple[type, str, Any]] = [
    (SageMakerResponse, "list_inference_components", list_inference_components),
    (ApplicationAutoScalingResponse, "describe_scalable_targets", describe_scalable_targets),
    (ApplicationAutoScalingResponse, "describe_scaling_policies", describe_scaling_policies),
]


def install() -> None:
    """Patch moto's responses for this process (idempotent)."""
    for owner, name, method in _PATCHES:
        setattr(owner, name, method)
