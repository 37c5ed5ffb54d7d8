"""Prices for one run, asked of the AWS Price List API (``pricing:GetProducts``) with the
embedded table of judge/pricing.py as the fall-back: the AWS reads of pricing.

Each (type, region) is asked at most once a run, and at the API's first failure it is
abandoned for the rest of the run. A price is an estimate for a report, never a reason to
fail: nothing here raises.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

from cost_watcher.judge.pricing import (
    HOSTING_COMPONENT,
    PROVISIONED_CONCURRENCY_GB_SECOND_USD,
    SERVERLESS_FAMILY,
    SERVICE_CODE,
    SOURCE_API,
    SOURCE_TABLE,
    SOURCE_TABLE_OTHER_REGION,
    SOURCE_UNKNOWN,
    SOURCES,
    TABLE_REGION,
    Price,
    table_price,
)

log = logging.getLogger(__name__)


# --- Price List API -----------------------------------------------------------------------------

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


# --- the book -----------------------------------------------------------------------------------

class _Pending:
    """One (type, region) being priced: later askers wait for the first instead of calling again."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: tuple[float | None, str] = (None, SOURCE_UNKNOWN)


class PriceBook:
    """Hourly prices for one run: Price List API first (``source="auto"``), embedded table otherwise.

    Thread-safe. Each (type, region) is priced once; concurrent askers for the same key wait
    for the first. The first API failure switches the API off for the rest of the run and is
    kept in ``api_error`` so the report can say its figures are table estimates.
    """

    def __init__(self, pricing_client_factory: Callable[[], Any] | None, source: str = "auto") -> None:
        if source not in SOURCES:
            raise ValueError(f"pricing source must be one of {', '.join(SOURCES)}, got {source!r}")
        self._factory = pricing_client_factory if source == "auto" else None
        self.source = source
        self.api_error: str | None = None
        self._client: Any = None
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], _Pending] = {}

    @property
    def api_enabled(self) -> bool:
        """Whether the Price List API will still be asked (False after a failure or with source="table")."""
        return self._factory is not None and self.api_error is None

    def hourly(self, instance_type: str, region: str) -> tuple[float | None, str]:
        """(on-demand $/hour, where the figure came from); never raises."""
        key = (instance_type.strip(), region.strip())
        return self._cached(key, lambda: self._resolve(*key))

    def provisioned_concurrency(self, memory_mb: int, region: str) -> tuple[float | None, str]:
        """($ per hour of one unit of serverless provisioned concurrency at this memory size, source)."""
        key = (f"serverless-pc:{memory_mb}", region.strip())
        return self._cached(key, lambda: self._resolve_concurrency(memory_mb, key[1]))

    def _cached(self, key: tuple[str, str], resolve: Callable[[], Price]) -> Price:
        with self._lock:
            entry = self._entries.get(key)
            owner = entry is None
            if entry is None:
                entry = self._entries[key] = _Pending()
        if owner:
            try:
                entry.result = resolve()
            except Exception:  # a price is an estimate; never let it break a run
                log.exception("pricing %s in %s failed", *key)
                entry.result = (None, SOURCE_UNKNOWN)
            finally:
                entry.done.set()
        else:
            entry.done.wait()
        return entry.result

    def _resolve_concurrency(self, memory_mb: int, region: str) -> tuple[float | None, str]:
        if memory_mb <= 0 or memory_mb % 1024:
            return None, SOURCE_UNKNOWN
        client = self._api_client()
        if client is not None:
            try:
                price = fetch_concurrency_price(client, memory_mb, region)
            except Exception as error:  # noqa: BLE001 - as for instance prices: the API is off for the run
                self._disable(error)
                price = None
            if price is not None:
                return price, SOURCE_API
        hourly = PROVISIONED_CONCURRENCY_GB_SECOND_USD * memory_mb / 1024 * 3600
        return round(hourly, 6), SOURCE_TABLE if region == TABLE_REGION else SOURCE_TABLE_OTHER_REGION

    def _resolve(self, instance_type: str, region: str) -> tuple[float | None, str]:
        if not instance_type.startswith("ml.") or not region:
            return None, SOURCE_UNKNOWN  # not a SageMaker instance type: not worth an API call
        api_price = self._from_api(instance_type, region)
        if api_price is not None:
            return api_price, SOURCE_API
        price = table_price(instance_type)
        if price is None:
            return None, SOURCE_UNKNOWN
        return price, SOURCE_TABLE if region == TABLE_REGION else SOURCE_TABLE_OTHER_REGION

    def _from_api(self, instance_type: str, region: str) -> float | None:
        client = self._api_client()
        if client is None:
            return None
        try:
            return fetch_hosting_price(client, instance_type, region)
        except Exception as error:  # noqa: BLE001 - any failure (botocore, endpoint, permission, bad JSON) ends API use
            self._disable(error)
            return None

    def _api_client(self) -> Any:
        with self._lock:
            if not self.api_enabled:
                return None
            if self._client is None:
                try:
                    self._client = self._factory()  # type: ignore[misc]
                except Exception as error:  # noqa: BLE001 - a client we cannot build is an API failure too
                    self._disable_locked(error)
                    return None
            return self._client

    def _disable(self, error: Exception) -> None:
        with self._lock:
            self._disable_locked(error)

    def _disable_locked(self, error: Exception) -> None:
        if self.api_error is None:
            self.api_error = f"{type(error).__name__}: {error}"
            log.warning("Price List API unavailable, using the embedded price table for this run: %s", self.api_error)
