"""The listings of one region that need only the region, started together, and what is read from them.

Started on the first page of endpoints (a region without endpoints costs one call): the
inference components, the two CloudWatch series listings, every endpoint's tags, Compute
Optimizer's opinion, and the hourly pass over every series with invocations in 14 days
(it needs the series and components, not the endpoints). Each is a future; a failed
listing is reported by the region when it is read, never raised.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from datetime import datetime
from typing import Any

from cost_watcher.aws import AwsClients
from cost_watcher.errors import TimeLimit, describe_error
from cost_watcher.judge.signals import INSTANCE_NAMESPACE, INVOCATIONS, INVOCATIONS_NAMESPACE
from cost_watcher.model import Endpoint, RegionError
from cost_watcher.scan import inventory, metrics, opinion, tags
from cost_watcher.scan.timeline import Timeline
from cost_watcher.scan.usage import HOUR

Variants = dict[str, set[str]]


class Listings:
    def __init__(self, clients: AwsClients, region: str, pool: Executor, reads: Executor, timeline: Timeline) -> None:
        self.region = region
        self._clients, self._pool, self._reads, self._timeline = clients, pool, reads, timeline
        self.futures: dict[str, Future[Any]] = {}
        self._lock = threading.Lock()
        self._variants: tuple[Variants, Variants] | None = None

    @property
    def started(self) -> bool:
        return bool(self.futures)

    def start(self, window: tuple[datetime, datetime], before_hourly: Callable[[], None]) -> None:
        sagemaker = self._clients.sagemaker(self.region)
        cloudwatch = self._clients.cloudwatch(self.region)
        work: dict[str, Callable[[], Any]] = {
            "components": lambda: inventory.list_components(sagemaker),
            "series: instances": lambda: metrics.list_series(cloudwatch, INSTANCE_NAMESPACE, "CPUUtilization"),
            "series: invocations": lambda: metrics.list_series(cloudwatch, INVOCATIONS_NAMESPACE, INVOCATIONS),
            "tags": lambda: tags.endpoint_tags(self._clients.client("resourcegroupstaggingapi", self.region)),
            "opinion": lambda: opinion.read_idle_recommendations(self._clients.compute_optimizer(self.region)),
        }
        for name, step in work.items():
            self.futures[name] = self._pool.submit(self._timeline.timed(name, step, ("clients",)))

        def hourly() -> tuple[dict, dict]:
            invoked, components = self.futures["series: invocations"].result(), self.futures["components"].result()
            with self._timeline.phase("hourly invocations", ("series: invocations", "components")):
                before_hourly()
                queries = [metrics.variant_query(INVOCATIONS, dict(d)["EndpointName"], dict(d)["VariantName"],
                                                 "Sum", HOUR) for d in sorted(invoked)
                           if {name for name, _ in d} == {"EndpointName", "VariantName"}]
                queries += [metrics.component_query(c.name, "Sum", HOUR) for cs in components.values() for c in cs]
                return metrics.fetch(cloudwatch, queries, *window, self._reads)

        self.futures["hourly invocations"] = self._pool.submit(hourly)

    def inventory_ready(self) -> bool:
        return all(self.futures[name].done() for name in ("components", "series: instances", "series: invocations"))

    def variants(self) -> tuple[Variants, Variants]:
        """(variants per endpoint CloudWatch lists, those with invocations in 14 days); raises if a listing failed.
        Instance metrics name every instance-backed variant (busy or not), invocation metrics every variant
        with traffic (serverless ones included)."""
        with self._lock:
            if self._variants is None:
                invoked = self.futures["series: invocations"].result()
                series = self.futures["series: instances"].result() | invoked
                self._variants = metrics.variants_by_endpoint(series), metrics.variants_by_endpoint(invoked)
            return self._variants

    def read_variants(self, errors: list[RegionError]) -> tuple[Variants, Variants]:
        """As `variants`, but a failed listing is reported and leaves nothing known (then every
        endpoint is described instead: two listings of N/500 calls are far cheaper)."""
        try:
            return self.variants()
        except Exception as error:  # noqa: BLE001
            errors.append(RegionError(self.region, "cloudwatch:ListMetrics", describe_error(error)))
            return {}, {}

    def attach_components(self, endpoints: list[Endpoint], errors: list[RegionError]) -> None:
        try:
            components = self.futures["components"].result()
        except Exception as error:  # noqa: BLE001 - unseen components make the region incomplete, not failed
            errors.append(RegionError(self.region, "sagemaker:ListInferenceComponents", describe_error(error)))
            return
        for endpoint in endpoints:
            endpoint.components = components.get(endpoint.name, [])

    def hourly(self) -> tuple[dict, dict]:
        """The hourly pass's answer; nothing when it could not run (a listing it needed failed, reported
        there): every endpoint is then a candidate, and its detail pass reads what this one did not."""
        try:
            return self.futures["hourly invocations"].result()
        except TimeLimit:
            raise
        except Exception:  # noqa: BLE001
            return {}, {}

    def tags(self, errors: list[RegionError]) -> dict[str, dict[str, str]] | None:
        """The region's tags, or None when the listing failed (then only described endpoints have tags,
        read with ListTags, and the others are judged without theirs)."""
        try:
            return self.futures["tags"].result()
        except Exception as error:  # noqa: BLE001 - the candidates fell back to ListTags; say what was not seen
            errors.append(RegionError(self.region, "tag:GetResources",
                                      f"tags of busy endpoints not read: {describe_error(error)}"))
            return None
