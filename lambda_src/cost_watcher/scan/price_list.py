"""The AWS Price List API's answers for SageMaker hosting (``pricing:GetProducts``), parsed.

Errors propagate: the caller (scan/prices.py, the book) decides what a failure means.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from cost_watcher.judge.pricing import HOSTING_COMPONENT, SERVERLESS_FAMILY, SERVICE_CODE

ANY_OF_VALUE_CHARS = 1024  # a filter value's maximum length


def hosting_filters(instance_type: str, region: str) -> list[dict[str, str]]:
    """GetProducts filters for one real-time hosting instance type in one region."""
    return [
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
        {"Type": "TERM_MATCH", "Field": "instanceName", "Value": instance_type},
        {"Type": "TERM_MATCH", "Field": "component", "Value": HOSTING_COMPONENT},
    ]


def fetch_hosting_price(pricing: Any, instance_type: str, region: str) -> float | None:
    """On-demand $/hour from the Price List API, or None when it lists no such product.

    Errors (no endpoint, AccessDenied, throttling past retries) propagate: the caller
    decides what a failure means for the rest of the run.
    """
    paginator = pricing.get_paginator("get_products")
    pages = paginator.paginate(
        ServiceCode=SERVICE_CODE, Filters=hosting_filters(instance_type, region), FormatVersion="aws_v1"
    )
    products = (json.loads(item) for page in pages for item in page.get("PriceList", []))
    return hosting_price_from_products(products, instance_type)


def fetch_hosting_prices(pricing: Any, instance_types: Iterable[str], region: str) -> dict[str, float | None]:
    """On-demand $/hour of several instance types in one region: GetProducts with ``instanceName``
    ``ANY_OF`` (a comma-separated value of at most 1,024 characters, so a long list takes more
    than one request), 100 products a page. A type the API does not list maps to None.
    https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_Filter.html
    """
    wanted = sorted(set(instance_types))
    by_type: dict[str, list[dict[str, Any]]] = {name: [] for name in wanted}
    for group in _comma_groups(wanted, ANY_OF_VALUE_CHARS):
        filters = [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
                   {"Type": "ANY_OF", "Field": "instanceName", "Value": ",".join(group)},
                   {"Type": "TERM_MATCH", "Field": "component", "Value": HOSTING_COMPONENT}]
        pages = pricing.get_paginator("get_products").paginate(
            ServiceCode=SERVICE_CODE, Filters=filters, FormatVersion="aws_v1", PaginationConfig={"PageSize": 100})
        for product in (json.loads(item) for page in pages for item in page.get("PriceList", [])):
            name = product.get("product", {}).get("attributes", {}).get("instanceName")
            if name in by_type:
                by_type[name].append(product)
    return {name: hosting_price_from_products(products, name) for name, products in by_type.items()}


def _comma_groups(values: list[str], limit: int) -> list[list[str]]:
    groups: list[list[str]] = [[]]
    for value in values:
        if groups[-1] and len(",".join([*groups[-1], value])) > limit:
            groups.append([])
        groups[-1].append(value)
    return [group for group in groups if group]


def fetch_concurrency_price(pricing: Any, memory_mb: int, region: str) -> float | None:
    """$/hour of one unit of provisioned concurrency at `memory_mb`, from the Price List API.

    Products of family "ML Serverless" whose usage type ends in ``ProvisionedConcurrency:Usage-<N>GB``
    are priced per concurrency-second (or hour) for an N GB endpoint.
    """
    filters = [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
               {"Type": "TERM_MATCH", "Field": "productFamily", "Value": SERVERLESS_FAMILY}]
    pages = pricing.get_paginator("get_products").paginate(ServiceCode=SERVICE_CODE, Filters=filters,
                                                           FormatVersion="aws_v1")
    wanted = re.compile(rf"ProvisionedConcurrency:Usage-{memory_mb // 1024}GB$")
    prices = []
    for product in (json.loads(item) for page in pages for item in page.get("PriceList", [])):
        if not wanted.search(str(product.get("product", {}).get("attributes", {}).get("usagetype", ""))):
            continue
        for term in product.get("terms", {}).get("OnDemand", {}).values():
            for dimension in term.get("priceDimensions", {}).values():
                per = {"second": 3600, "seconds": 3600, "hrs": 1, "hours": 1, "hour": 1}.get(
                    str(dimension.get("unit", "")).lower())
                usd = _usd(dimension)
                if per and usd:
                    prices.append(usd * per)
    return min(prices) if prices else None


def _usd(dimension: dict[str, Any]) -> float | None:
    try:
        value = float(dimension.get("pricePerUnit", {}).get("USD", ""))
    except ValueError:
        return None
    return value if value > 0 else None


def hosting_price_from_products(products: Iterable[dict[str, Any]], instance_type: str) -> float | None:
    """The on-demand hourly USD price among Price List products (parsed ``PriceList`` entries).

    Products whose usage type is exactly ``<region prefix>-Host:<type>`` are preferred over any
    other product the filters let through; if several prices remain, the lowest wins, so a
    report never overstates what deleting an endpoint saves. Zero prices (free-tier lines) and
    non-hourly units are ignored.
    """
    exact: list[float] = []
    other: list[float] = []
    for product in products:
        attributes = product.get("product", {}).get("attributes", {})
        usage_type = str(attributes.get("usagetype", ""))
        bucket = exact if re.search(rf"(?:^|-)Host:{re.escape(instance_type)}$", usage_type) else other
        bucket.extend(_on_demand_hourly_usd(product))
    prices = exact or other
    return min(prices) if prices else None


def _on_demand_hourly_usd(product: dict[str, Any]) -> list[float]:
    prices: list[float] = []
    for term in product.get("terms", {}).get("OnDemand", {}).values():
        for dimension in term.get("priceDimensions", {}).values():
            usd = _usd(dimension)
            if usd and str(dimension.get("unit", "")).lower() in ("hrs", "hours", "hour"):
                prices.append(usd)
    return prices
