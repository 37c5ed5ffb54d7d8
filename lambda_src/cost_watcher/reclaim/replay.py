"""Turning a recorded describe back into a create request, for `restore`: keep what the
operation accepts (per botocore's model) instead of hand-listing every field."""

from __future__ import annotations

from typing import Any


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
