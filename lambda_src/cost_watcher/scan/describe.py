"""Describing the candidates of one region, started as soon as each is known.

Per candidate: DescribeEndpoint, its endpoint config (DescribeEndpointConfig once per config
name, however many endpoints share it), one DescribeInferenceComponent a component, and its
tags from the region's tag listing (scan/tags.py) — or ListTags when that listing failed. The
work runs in a bounded pool; the results are read when every candidate is done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

from cost_watcher.errors import TimeLimit, describe_error, is_not_found
from cost_watcher.model import Endpoint, RegionError
from cost_watcher.scan import inventory
from cost_watcher.scan.tags import tags_of

K = TypeVar("K")
V = TypeVar("V")


class Once(Generic[K, V]):
    """Each key computed once; concurrent askers for a key wait for the first (and share its error)."""

    def __init__(self, compute: Callable[[K], V]) -> None:
        self._compute = compute
        self._lock = threading.Lock()
        self._futures: dict[K, Future[V]] = {}

    def __call__(self, key: K) -> V:
        with self._lock:
            future = self._futures.get(key)
            owner = future is None
            if future is None:
                future = self._futures[key] = Future()
        if owner:
            try:
                future.set_result(self._compute(key))
            except BaseException as error:  # handed to every asker of this key; a dying process dies here too
                future.set_exception(error)
                if not isinstance(error, Exception):
                    raise
        return future.result()


class Describer:
    """Describes candidates in `pool` as they are submitted; `tags()` waits for the region's tag
    listing (when it raises, the listing failed: then ListTags per candidate)."""

    def __init__(self, sagemaker: Any, pool: ThreadPoolExecutor, tags: Callable[[], dict[str, dict[str, str]]],
                 before_each: Callable[[], None] = lambda: None) -> None:
        self._sagemaker = sagemaker
        self._pool = pool
        self._tags = tags
        self._before_each = before_each
        self._configs: Once[str, dict[str, Any]] = Once(
            lambda name: sagemaker.describe_endpoint_config(EndpointConfigName=name))
        self.submitted: dict[str, tuple[Endpoint, Future[Endpoint]]] = {}

    def submit(self, endpoint: Endpoint) -> None:
        if endpoint.name not in self.submitted:
            self.submitted[endpoint.name] = (endpoint, self._pool.submit(self._describe, endpoint))

    def _describe(self, endpoint: Endpoint) -> Endpoint:
        self._before_each()
        return inventory.describe(self._sagemaker, endpoint, self._configs, self._tags_of)

    def _tags_of(self, endpoint: Endpoint) -> dict[str, str]:
        try:
            listed = self._tags()
        except Exception:  # noqa: BLE001 - the listing failed (reported once by the region): ask the endpoint
            return inventory.list_tags(self._sagemaker, endpoint.arn)
        return tags_of(endpoint, listed)

    def results(self) -> list[tuple[Endpoint, BaseException | None]]:
        """Every submitted candidate with its error (None: described), in submission order."""
        return [(endpoint, future.exception()) for endpoint, future in self.submitted.values()]

    def settle(self, region: str) -> tuple[dict[str, str], list[RegionError]]:
        """Wait for every describe: (endpoint -> why it could not be described, the errors to report).
        An endpoint deleted since it was listed is marked Deleted (nothing left to judge). Raises
        TimeLimit when the time limit came first, and whatever takes the process down."""
        results = self.results()
        stopped = next((error for _, error in results if isinstance(error, TimeLimit)
                        or (error is not None and not isinstance(error, Exception))), None)
        if stopped is not None:
            raise stopped  # the time limit, or the process itself going down: never one endpoint's failure
        failures: dict[str, str] = {}
        errors: list[RegionError] = []
        for endpoint, error in results:
            if error is None:
                continue
            if getattr(error, "operation_name", None) == "DescribeEndpoint" and is_not_found(error):
                endpoint.status = "Deleted"
                continue
            failures[endpoint.name] = f"{operation_of(error)} failed: {describe_error(error)}"
            errors.append(RegionError(region, f"sagemaker:{operation_of(error)}",
                                      f"{endpoint.name}: {describe_error(error)}"))
        return failures, errors


def operation_of(error: BaseException) -> str:
    """The AWS operation an error came from, else the error's type."""
    return getattr(error, "operation_name", None) or type(error).__name__
