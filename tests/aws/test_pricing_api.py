"""pricing against real botocore transports: moto (which has no Price List API) and a dead endpoint.

These are the two ways the API is unreachable in practice (the demo account, and a Lambda in
a VPC without a route out): the run must carry on with table prices after one failed call.
"""

from __future__ import annotations

import time

import boto3
from botocore.config import Config

from cost_watcher.scan.clients import Clients
from cost_watcher.scan.prices import PriceBook


def test_under_moto_one_failed_call_then_table_prices(aws):
    clients = Clients()
    book = PriceBook(clients.pricing)

    assert book.hourly("ml.g5.xlarge", "us-east-1") == (1.408, "table")
    assert book.hourly("ml.m5.large", "eu-west-1") == (0.115, "table (us-east-1 rate)")
    assert book.hourly("ml.nope.xlarge", "us-east-1") == (None, "unknown")

    assert clients.calls["pricing:GetProducts"] == 1
    assert book.api_error is not None and not book.api_enabled


def test_an_unreachable_endpoint_falls_back_without_raising():
    def factory():
        # Port 9 (discard) on loopback: refused at once; no retries so the test stays fast.
        return boto3.client("pricing", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                            config=Config(retries={"total_max_attempts": 1}, connect_timeout=1))

    book = PriceBook(factory)
    started = time.monotonic()
    assert book.hourly("ml.inf2.xlarge", "us-east-1") == (0.99, "table")
    assert book.hourly("ml.p5.48xlarge", "us-west-2") == (113.068, "table (us-east-1 rate)")
    assert time.monotonic() - started < 10

    assert book.api_error.startswith("EndpointConnectionError")
