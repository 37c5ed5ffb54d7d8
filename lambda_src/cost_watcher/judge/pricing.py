"""What an endpoint's instances cost: on-demand SageMaker real-time hosting $/hour per ``ml.*`` type.

Why two sources: the AWS Price List API (``pricing:GetProducts``) has every type in every
region, but it needs the ``pricing:GetProducts`` permission and a route to
``api.pricing.us-east-1.amazonaws.com``, and neither is guaranteed (moto does not implement it
either). So the API is asked first (``source="auto"``), each (type, region) at most once a
run, and at its first failure it is abandoned for the rest of the run; the embedded table
below answers everything else. A price is an estimate for a report, never a reason to fail:
nothing here raises, and an instance type nobody knows gets ``(None, "unknown")``.

The table: on-demand Amazon SageMaker AI "Real-Time Inference" instance prices, USD per
instance-hour, region US East (N. Virginia) / us-east-1, as the page published them in
2024-2025 (the dates of the copies we could check); table written 2026-11-22.
Source: the AWS pricing page https://aws.amazon.com/sagemaker/pricing/ ("On-Demand Pricing",
"Real-Time Inference" tab). That page renders its tables with JavaScript and could not be read
when this table was written (no internet), so every figure comes from a published copy or from
our own knowledge of it, and each family's comment says which:
  [pub]  the same figure in at least one published copy of the hosting price (benchmark
         configs of SageMaker endpoints, cost write-ups citing the page, a Price List offer
         file excerpt);
  [est]  best knowledge, not confirmed by a copy we could read. For these families the figure
         is the EC2 Linux on-demand price times SageMaker's usual hosting mark-up for the
         family (x1.2 for t/m/c/r CPU types, x1.25 for g5/g6/g6e, which is how every [pub]
         figure of those families relates to EC2), rounded to the cent fraction AWS uses.
Other regions are usually 0-30% dearer; their rows are labelled "table (us-east-1 rate)" so a
reader knows. Prices change: ``source="auto"`` with the API reachable is the accurate path.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)

HOURS_PER_MONTH = 730  # AWS's own convention: 24 x 365 / 12
TABLE_REGION = "us-east-1"
SERVICE_CODE = "AmazonSageMaker"
HOSTING_COMPONENT = "Hosting"  # product attribute `component` of real-time endpoint instances

SOURCE_API = "price-list-api"
SOURCE_TABLE = "table"
SOURCE_TABLE_OTHER_REGION = "table (us-east-1 rate)"
SOURCE_UNKNOWN = "unknown"
SOURCES = ("auto", "table")
Price = tuple[float | None, str]  # ($ an hour, where the figure came from)

# fmt: off
_TABLE: dict[str, float] = {
    # t2 [est: EC2 x1.2; ml.t2.medium 0.056 seen in copies]
    "ml.t2.medium": 0.056, "ml.t2.large": 0.111, "ml.t2.xlarge": 0.223, "ml.t2.2xlarge": 0.445,
    # t3 [pub]
    "ml.t3.medium": 0.05, "ml.t3.large": 0.10, "ml.t3.xlarge": 0.20, "ml.t3.2xlarge": 0.399,
    # m5 [pub: large, xlarge, 2xlarge; the rest est: EC2 x1.2]
    "ml.m5.large": 0.115, "ml.m5.xlarge": 0.23, "ml.m5.2xlarge": 0.461, "ml.m5.4xlarge": 0.922,
    "ml.m5.12xlarge": 2.765, "ml.m5.24xlarge": 5.53,
    # m6i [est: EC2 x1.2; EC2 prices m6i = m5]
    "ml.m6i.large": 0.115, "ml.m6i.xlarge": 0.23, "ml.m6i.2xlarge": 0.461, "ml.m6i.4xlarge": 0.922,
    "ml.m6i.8xlarge": 1.843, "ml.m6i.12xlarge": 2.765, "ml.m6i.16xlarge": 3.686, "ml.m6i.24xlarge": 5.53,
    "ml.m6i.32xlarge": 7.373,
    # m7i [est: EC2 x1.2]
    "ml.m7i.large": 0.121, "ml.m7i.xlarge": 0.242, "ml.m7i.2xlarge": 0.484, "ml.m7i.4xlarge": 0.968,
    "ml.m7i.8xlarge": 1.935, "ml.m7i.12xlarge": 2.903, "ml.m7i.16xlarge": 3.871, "ml.m7i.24xlarge": 5.806,
    "ml.m7i.48xlarge": 11.612,
    # c5 [pub: xlarge, 2xlarge, 9xlarge; the rest est: EC2 x1.2]
    "ml.c5.large": 0.102, "ml.c5.xlarge": 0.204, "ml.c5.2xlarge": 0.408, "ml.c5.4xlarge": 0.816,
    "ml.c5.9xlarge": 1.836, "ml.c5.18xlarge": 3.672,
    # c6i [est: EC2 x1.2; EC2 prices c6i = c5]
    "ml.c6i.large": 0.102, "ml.c6i.xlarge": 0.204, "ml.c6i.2xlarge": 0.408, "ml.c6i.4xlarge": 0.816,
    "ml.c6i.8xlarge": 1.632, "ml.c6i.12xlarge": 2.448, "ml.c6i.16xlarge": 3.264, "ml.c6i.24xlarge": 4.896,
    "ml.c6i.32xlarge": 6.528,
    # c7i [est: EC2 x1.2]
    "ml.c7i.large": 0.107, "ml.c7i.xlarge": 0.214, "ml.c7i.2xlarge": 0.428, "ml.c7i.4xlarge": 0.857,
    "ml.c7i.8xlarge": 1.714, "ml.c7i.12xlarge": 2.57, "ml.c7i.16xlarge": 3.427, "ml.c7i.24xlarge": 5.141,
    "ml.c7i.48xlarge": 10.282,
    # r5 [pub: 2xlarge, 4xlarge, 8xlarge, 16xlarge; the rest est: EC2 x1.2]
    "ml.r5.large": 0.151, "ml.r5.xlarge": 0.302, "ml.r5.2xlarge": 0.605, "ml.r5.4xlarge": 1.21,
    "ml.r5.8xlarge": 2.419, "ml.r5.12xlarge": 3.629, "ml.r5.16xlarge": 4.838, "ml.r5.24xlarge": 7.258,
    # g4dn [pub]
    "ml.g4dn.xlarge": 0.7364, "ml.g4dn.2xlarge": 0.94, "ml.g4dn.4xlarge": 1.505, "ml.g4dn.8xlarge": 2.72,
    "ml.g4dn.12xlarge": 4.89, "ml.g4dn.16xlarge": 5.44,
    # g5 [pub, except 4xlarge, 8xlarge: est EC2 x1.25]
    "ml.g5.xlarge": 1.408, "ml.g5.2xlarge": 1.515, "ml.g5.4xlarge": 2.03, "ml.g5.8xlarge": 3.06,
    "ml.g5.12xlarge": 7.09, "ml.g5.16xlarge": 5.12, "ml.g5.24xlarge": 10.18, "ml.g5.48xlarge": 20.36,
    # g6 [pub: 2xlarge, 12xlarge, 16xlarge, 24xlarge; the rest est: EC2 x1.25]
    "ml.g6.xlarge": 1.006, "ml.g6.2xlarge": 1.222, "ml.g6.4xlarge": 1.654, "ml.g6.8xlarge": 2.518,
    "ml.g6.12xlarge": 5.752, "ml.g6.16xlarge": 4.246, "ml.g6.24xlarge": 8.344, "ml.g6.48xlarge": 16.688,
    # g6e [pub: 2xlarge (Price List offer file excerpt, 2.8026); the rest est: EC2 x1.25]
    "ml.g6e.xlarge": 2.326, "ml.g6e.2xlarge": 2.8026, "ml.g6e.4xlarge": 3.7553, "ml.g6e.8xlarge": 5.6607,
    "ml.g6e.12xlarge": 13.1158, "ml.g6e.16xlarge": 9.4715, "ml.g6e.24xlarge": 18.832, "ml.g6e.48xlarge": 37.664,
    # p3 [pub]
    "ml.p3.2xlarge": 3.825, "ml.p3.8xlarge": 14.688, "ml.p3.16xlarge": 28.152,
    # p4d, p5 [pub]
    "ml.p4d.24xlarge": 37.688,
    "ml.p5.48xlarge": 113.068,
    # inf1 [est: best knowledge; EC2 x1.3]
    "ml.inf1.xlarge": 0.297, "ml.inf1.2xlarge": 0.471, "ml.inf1.6xlarge": 1.534, "ml.inf1.24xlarge": 6.137,
    # inf2 [pub]
    "ml.inf2.xlarge": 0.99, "ml.inf2.8xlarge": 2.36, "ml.inf2.24xlarge": 7.79, "ml.inf2.48xlarge": 15.58,
    # trn1 [pub: 32xlarge; 2xlarge est: 1/16 of it, as on EC2]
    "ml.trn1.2xlarge": 1.781, "ml.trn1.32xlarge": 28.497,
}
# fmt: on

# Serverless provisioned concurrency, USD per GB-second of configured memory per unit of
# concurrency, us-east-1 [est: best knowledge of the pricing page's "Serverless Inference" tab;
# the page bills it on "the memory configured, duration provisioned, and the amount of
# concurrency enabled" (SageMaker developer guide, serverless-endpoints.html)].
PROVISIONED_CONCURRENCY_GB_SECOND_USD = 0.0000048
SERVERLESS_FAMILY = "ML Serverless"

_ACCELERATED = re.compile(r"^(?:g|p|inf|trn)\d")


def table_price(instance_type: str) -> float | None:
    """The embedded us-east-1 figure, or None when the type is not in the table."""
    return _TABLE.get(instance_type)


def is_accelerated(instance_type: str) -> bool:
    """True for GPU (g*, p*), Inferentia (inf*) and Trainium (trn*) types: idle ones cost the most."""
    family = instance_type.strip().lower().removeprefix("ml.").split(".", 1)[0]
    return bool(_ACCELERATED.match(family))


def monthly_cost(hourly: float | None, instances: int) -> float | None:
    """$/month of ``instances`` instances running all month, to the cent; None when the price is unknown."""
    if hourly is None:
        return None
    if instances < 0:
        raise ValueError(f"instance count must be 0 or more, got {instances}")
    return round(hourly * instances * HOURS_PER_MONTH, 2)


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
