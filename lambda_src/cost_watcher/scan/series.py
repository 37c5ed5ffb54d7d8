"""The CloudWatch series of each kind's signal (judge/signals.py), with exactly AWS's dimensions.

The verdict (scan/region.py) and the re-check right before acting (reclaim) both build their
queries here, so they can never read different metrics for the same endpoint.
"""

from __future__ import annotations

from collections.abc import Iterable

from cost_watcher.judge.signals import BACKLOG, INSTANCE_NAMESPACE, UTILIZATION_METRICS, signal_of
from cost_watcher.model import Endpoint
from cost_watcher.scan.metrics import Query, component_query, endpoint_query, variant_query


def work_queries(endpoint: Endpoint, period: int, extra_variants: Iterable[str] = ()) -> list[Query]:
    """The series that say whether this endpoint worked, with exactly AWS's dimensions.

    `extra_variants` are variants CloudWatch still has series for but the config no longer
    lists (replaced by UpdateEndpoint): their work in the window is this endpoint's work.
    Work metrics are read as Sum; the async queue as Maximum (any waiting request is work).
    """
    signal = signal_of(endpoint)
    names = list(dict.fromkeys([v.name for v in endpoint.variants] + list(extra_variants)))
    queries = [variant_query(signal.work_metric, endpoint.name, name, "Sum", period) for name in names]
    queries += [component_query(c.name, "Sum", period) for c in endpoint.components]
    if signal.queue_metric:
        queries.append(endpoint_query(signal.queue_metric, endpoint.name, "Maximum", period))
    return queries


def utilization_query(metric: str, endpoint: str, variant: str, period: int) -> Query:
    return variant_query(metric, endpoint, variant, "Maximum", period, namespace=INSTANCE_NAMESPACE)


def role_of(query: Query) -> tuple[str, str]:
    """(what the series measures, whose it is): ('work'|'queue'|'utilization', 'variant:X'|'component:X'|'endpoint')."""
    dims = dict(query.dimensions)
    if "InferenceComponentName" in dims:
        owner = f"component:{dims['InferenceComponentName']}"
    elif "VariantName" in dims:
        owner = f"variant:{dims['VariantName']}"
    else:
        owner = "endpoint"
    if query.metric in UTILIZATION_METRICS:
        return "utilization", owner
    if query.metric == BACKLOG:
        return "queue", owner
    return "work", owner
