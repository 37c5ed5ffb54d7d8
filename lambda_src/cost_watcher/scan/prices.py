"""Prices for one run, asked of the AWS Price List API (``pricing:GetProducts``) with the
embedded table of judge/pricing.py as the fall-back: the AWS reads of pricing.

A region's scan asks for all the instance types its candidates run on at once, in the
background (`PriceBook.prefetch`: one GetProducts with an ``ANY_OF`` filter); each (type,
region) is asked at most once a run, and at the API's first failure it is abandoned for the
rest of the run. What the API answered is also kept for later runs in the same process
(`WARM_PRICES`: a warm Lambda, e.g. the accounts of an organization run one after another)
for `WARM_TTL_SECONDS`; on-demand list prices change a few times a year, so six hours old is
current. A price is an estimate for a report, never a reason to fail: nothing here raises.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from cost_watcher.judge.pricing import (
    PROVISIONED_CONCURRENCY_GB_SECOND_USD,
    SOURCE_API,
    SOURCE_TABLE,
    SOURCE_TABLE_OTHER_REGION,
    SOURCE_UNKNOWN,
    SOURCES,
    TABLE_REGION,
    Price,
    table_price,
)
from cost_watcher.scan.price_list import (
    fetch_concurrency_price,
    fetch_hosting_price,
    fetch_hosting_prices,
    hosting_filters,
    hosting_price_from_products,
)

__all__ = ["WARM_PRICES", "PriceBook", "WarmPrices", "fetch_concurrency_price", "fetch_hosting_price",
           "fetch_hosting_prices", "hosting_filters", "hosting_price_from_products"]

log = logging.getLogger(__name__)
WARM_TTL_SECONDS = 6 * 3600


# --- the book -----------------------------------------------------------------------------------

class WarmPrices:
    """What the Price List API answered, kept across runs of one process for `ttl` seconds. Only
    answers are kept (a price, or "not listed"); failures and table figures never are."""

    def __init__(self, ttl: float = WARM_TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._answers: dict[tuple[str, str], tuple[float | None, float]] = {}

    def get(self, key: tuple[str, str]) -> tuple[bool, float | None]:
        """(known, $/hour or None when the API lists no such product)."""
        with self._lock:
            entry = self._answers.get(key)
            if entry is None or self._clock() - entry[1] > self.ttl:
                self._answers.pop(key, None)
                return False, None
            return True, entry[0]

    def put(self, key: tuple[str, str], price: float | None) -> None:
        with self._lock:
            self._answers[key] = (price, self._clock())

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()


WARM_PRICES = WarmPrices()  # the process's: a warm Lambda keeps it from one invocation to the next


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

    def __init__(self, pricing_client_factory: Callable[[], Any] | None, source: str = "auto",
                 warm: WarmPrices | None = None) -> None:
        if source not in SOURCES:
            raise ValueError(f"pricing source must be one of {', '.join(SOURCES)}, got {source!r}")
        self._factory = pricing_client_factory if source == "auto" else None
        self._warm = warm or WarmPrices(ttl=0)  # none given: nothing outlives the run
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

    def prefetch(self, instance_types: Iterable[str], region: str) -> None:
        """Price these types in `region` in the background, all in one API call, so that `hourly`
        finds them ready; types already priced or being priced are left alone. Returns at once."""
        if self._factory is None:
            return  # table prices cost nothing to look up when asked
        region = region.strip()
        mine: dict[tuple[str, str], _Pending] = {}
        with self._lock:
            for name in {t.strip() for t in instance_types if t and t.strip().startswith("ml.")}:
                key = (name, region)
                if key not in self._entries:
                    mine[key] = self._entries[key] = _Pending()
        if mine:
            threading.Thread(target=self._settle, args=(mine, region), name=f"prices-{region}", daemon=True).start()

    def _settle(self, mine: dict[tuple[str, str], _Pending], region: str) -> None:
        try:
            cold = [key for key in mine if not self._warm.get(key)[0]]
            answered = self._from_api_many([name for name, _ in cold], region) if cold else {}
            for key, entry in mine.items():
                known, price = self._warm.get(key)
                entry.result = self._priced(key[0], region, price if known else answered.get(key[0]))
        except Exception:  # a price is an estimate; never let it break a run
            log.exception("pricing %d types in %s failed", len(mine), region)
        finally:
            for entry in mine.values():
                entry.done.set()

    def _from_api_many(self, names: list[str], region: str) -> dict[str, float | None]:
        client = self._api_client()
        if client is None:
            return {}
        try:
            answered = fetch_hosting_prices(client, names, region)
        except Exception as error:  # noqa: BLE001 - as for one type: the API is off for the run
            self._disable(error)
            return {}
        for name, price in answered.items():
            self._warm.put((name, region), price)
        return answered

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
        known, api_price = self._warm.get((instance_type, region))
        if not known:
            api_price = self._from_api(instance_type, region)
        return self._priced(instance_type, region, api_price)

    def _priced(self, instance_type: str, region: str, api_price: float | None) -> tuple[float | None, str]:
        """The API's price, else the table's (saying whose rate it is)."""
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
            price = fetch_hosting_price(client, instance_type, region)
        except Exception as error:  # noqa: BLE001 - any failure (botocore, endpoint, permission, bad JSON) ends API use
            self._disable(error)
            return None
        self._warm.put((instance_type, region), price)
        return price

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
