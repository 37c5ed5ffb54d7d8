"""boto3 clients for a run: one per service and region, adaptive retries, calls counted.

Resolution is boto3's own (profile, environment, AWS_ENDPOINT_URL ...); we only add
retry mode, a connection pool sized for our thread pool, and a counter of API calls so
tests and benchmarks can hold us to our call budget.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.utils import parse_timestamp

PRICING_REGION = "us-east-1"  # the Price List API answers in a few regions only


def utc_timestamp(value: Any) -> datetime:
    """Parse an AWS timestamp (epoch seconds or ISO 8601) into an aware UTC datetime."""
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC)
    return parse_timestamp(value).astimezone(UTC)


class Clients:
    def __init__(
        self,
        session: boto3.session.Session | None = None,
        *,
        max_workers: int = 8,
        connect_timeout: float = 5,
        read_timeout: float = 30,
    ) -> None:
        self.session = session or boto3.session.Session()
        # botocore's default makes a new tzlocal() per parsed timestamp: at thousands of
        # endpoints that was most of the scan's memory and half its time. UTC is what we use.
        self.session._session.get_component("response_parser_factory").set_parser_defaults(
            timestamp_parser=utc_timestamp
        )
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str | None], Any] = {}
        self._handlers: list[tuple[str, Any]] = []
        self._config = Config(
            retries={"mode": "adaptive", "max_attempts": 10},
            max_pool_connections=max(10, max_workers * 2),
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )

    @property
    def default_region(self) -> str | None:
        return self.session.region_name

    def client(self, service: str, region: str | None = None, config: Config | None = None) -> Any:
        key = (service, region)
        with self._lock:
            if key not in self._cache:
                merged = self._config.merge(config) if config else self._config
                client = self.session.client(service, region_name=region, config=merged)
                # first, so calls answered by a before-call handler (Stubber, simulations) count too
                client.meta.events.register_first("before-call.*.*", self._count)
                for event, handler in self._handlers:
                    client.meta.events.register(event, handler)
                self._cache[key] = client
            return self._cache[key]

    def register(self, event: str, handler: Any) -> None:
        """Register a botocore event handler on every client, made now or later (tests, demo)."""
        with self._lock:
            self._handlers.append((event, handler))
            for client in self._cache.values():
                client.meta.events.register(event, handler)

    def _count(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[f"{model.service_model.service_name}:{model.name}"] += 1

    def sagemaker(self, region: str) -> Any:
        return self.client("sagemaker", region)

    def cloudwatch(self, region: str) -> Any:
        return self.client("cloudwatch", region)

    def autoscaling(self, region: str) -> Any:
        return self.client("application-autoscaling", region)

    def sns(self, region: str | None = None) -> Any:
        return self.client("sns", region)

    def s3(self) -> Any:
        return self.client("s3")

    def pricing(self) -> Any:
        """Few retries and short timeouts: an unreachable Price List API must not stall a run."""
        quick = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=2, read_timeout=10)
        return self.client("pricing", PRICING_REGION, quick)

    def compute_optimizer(self, region: str) -> Any:
        """Few retries and short timeouts: AWS's second opinion (opinion.py) must never stall a run."""
        quick = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=2, read_timeout=10)
        return self.client("compute-optimizer", region, quick)
