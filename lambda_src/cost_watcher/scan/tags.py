"""Every endpoint's tags in a region from the Resource Groups Tagging API: N/100 calls, not N.

`GetResources` with `ResourceTypeFilters=["sagemaker:endpoint"]` lists, 100 a page (the API's
maximum `ResourcesPerPage`), every endpoint that has or had tags, with its tags; an endpoint it
does not list has none. https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html

The tagging API is eventually consistent: a tag added minutes ago may be missing. That is safe
here because tags read this way only select what to report and plan; the re-check right before
any change reads the endpoint's own tags live with `ListTags` (reclaim/checks.py).
"""

from __future__ import annotations

from typing import Any

from cost_watcher.model import Endpoint

ENDPOINT_TYPE = "sagemaker:endpoint"
RESOURCES_PER_PAGE = 100


def endpoint_tags(tagging: Any) -> dict[str, dict[str, str]]:
    """ARN (lower case: SageMaker ARNs carry names in lower case) -> tags, for every tagged endpoint."""
    found: dict[str, dict[str, str]] = {}
    pages = tagging.get_paginator("get_resources").paginate(ResourceTypeFilters=[ENDPOINT_TYPE],
                                                            ResourcesPerPage=RESOURCES_PER_PAGE)
    for page in pages:
        for item in page.get("ResourceTagMappingList", []):
            arn = item.get("ResourceARN", "")
            if ":endpoint/" in arn:
                found[arn.lower()] = {tag["Key"]: tag["Value"] for tag in item.get("Tags", [])}
    return found


def tags_of(endpoint: Endpoint, listed: dict[str, dict[str, str]]) -> dict[str, str]:
    return dict(listed.get(endpoint.arn.lower(), {}))
