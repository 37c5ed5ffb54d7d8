"""The AWS seam: what every floor may ask of the clients it is given, typed.

scan/clients.py is the real one (boto3, adaptive retries, calls counted); tests pass fakes
that answer the same methods. boto3's clients themselves are untyped, hence `Any` below.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Protocol


class AwsClients(Protocol):
    """One client per service and region, made on first use and kept for the run."""

    calls: Counter[str]

    @property
    def default_region(self) -> str | None: ...

    def client(self, service: str, region: str | None = None) -> Any: ...

    def sagemaker(self, region: str) -> Any: ...

    def cloudwatch(self, region: str) -> Any: ...

    def autoscaling(self, region: str) -> Any: ...

    def sns(self, region: str | None = None) -> Any: ...

    def s3(self) -> Any: ...

    def pricing(self) -> Any: ...

    def compute_optimizer(self, region: str) -> Any: ...
