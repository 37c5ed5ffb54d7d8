"""pricing: the embedded table, the monthly formula, and the Price List path (botocore Stubber)."""

from __future__ import annotations

import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.stub import Stubber

from cost_watcher.judge import pricing
from cost_watcher.judge.pricing import HOURS_PER_MONTH, is_accelerated, monthly_cost
from cost_watcher.scan.clients import Clients
from cost_watcher.scan.prices import PriceBook, WarmPrices, hosting_price_from_products

FAMILIES = ("t2", "t3", "m5", "m6i", "m7i", "c5", "c6i", "c7i", "r5", "g4dn", "g5", "g6", "g6e",
            "p3", "p4d", "p5", "inf1", "inf2", "trn1")
SIZE_ORDER = ("medium", "large", "xlarge", "2xlarge", "4xlarge", "6xlarge", "8xlarge", "9xlarge", "12xlarge",
              "16xlarge", "18xlarge", "24xlarge", "32xlarge", "48xlarge")


# --- a realistic Price List answer ----------------------------------------------------------------

def product(instance_type: str, usd: str, *, region: str = "us-east-1", prefix: str = "USE1",
            component: str = "Hosting", usage: str = "Host", unit: str = "Hrs") -> str:
    """One PriceList entry as GetProducts returns it: a JSON *string*, shaped like the aws_v1 offer."""
    sku = f"SKU{abs(hash((instance_type, usd, usage, unit))) % 10**8:08d}"
    return json.dumps({
        "product": {
            "productFamily": "ML Instance",
            "attributes": {
                "regionCode": region,
                "servicecode": "AmazonSageMaker",
                "usagetype": f"{prefix}-{usage}:{instance_type}",
                "locationType": "AWS Region",
                "location": "US East (N. Virginia)",
                "servicename": "Amazon SageMaker",
                "operation": "RunInstance",
                "instanceName": instance_type,
                "component": component,
                "vCpu": "4",
                "memory": "16 GiB",
            },
            "sku": sku,
        },
        "serviceCode": "AmazonSageMaker",
        "terms": {
            "OnDemand": {
                f"{sku}.JRTCKXETXF": {
                    "priceDimensions": {
                        f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
                            "unit": unit,
                            "endRange": "Inf",
                            "description": f"${usd} per On Demand {usage} {instance_type} instance hour",
                            "appliesTo": [],
                            "rateCode": f"{sku}.JRTCKXETXF.6YS6EN2CT7",
                            "beginRange": "0",
                            "pricePerUnit": {"USD": usd},
                        }
                    },
                    "sku": sku,
                    "effectiveDate": "2026-11-01T00:00:00Z",
                    "offerTermCode": "JRTCKXETXF",
                    "termAttributes": {},
                }
            }
        },
        "version": "20261101000000",
        "publicationDate": "2026-11-01T00:00:00Z",
    })


def request(instance_type: str, region: str, **extra: str) -> dict:
    return {
        "ServiceCode": "AmazonSageMaker",
        "Filters": [
            {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
            {"Type": "TERM_MATCH", "Field": "instanceName", "Value": instance_type},
            {"Type": "TERM_MATCH", "Field": "component", "Value": "Hosting"},
        ],
        "FormatVersion": "aws_v1",
        **extra,
    }


@pytest.fixture
def clients():
    return Clients()


@pytest.fixture
def calls(clients):
    """Every GetProducts the run's pricing client makes, stubbed or not."""
    made: list[dict] = []

    def count(model, params, **_):
        if model.name == "GetProducts":
            made.append(params)

    # register_first on the wildcard: Stubber answers from a "before-call.*.*" handler and
    # nothing registered after it (or on a narrower name) runs once it has answered.
    clients.pricing().meta.events.register_first("before-call.*.*", count)
    return made


@pytest.fixture
def stub(clients, calls):
    """The real pricing client of a run (what the engine's factory returns), stubbed."""
    with Stubber(clients.pricing()) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


# --- table ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("instance_type", "published"), [
    ("ml.t3.medium", 0.05),
    ("ml.m5.xlarge", 0.23),
    ("ml.c5.xlarge", 0.204),
    ("ml.r5.2xlarge", 0.605),
    ("ml.g4dn.xlarge", 0.7364),
    ("ml.g5.xlarge", 1.408),
    ("ml.g6e.2xlarge", 2.8026),
    ("ml.p3.2xlarge", 3.825),
    ("ml.p4d.24xlarge", 37.688),
    ("ml.inf2.xlarge", 0.99),
    ("ml.trn1.32xlarge", 28.497),
])
def test_table_gives_the_published_us_east_1_rate(instance_type, published):
    book = PriceBook(None, source="table")
    assert book.hourly(instance_type, "us-east-1") == (published, "table")


def test_other_regions_get_the_us_east_1_rate_and_say_so():
    book = PriceBook(None, source="table")
    assert book.hourly("ml.g5.2xlarge", "eu-west-1") == (1.515, "table (us-east-1 rate)")
    assert book.hourly("ml.g5.2xlarge", "us-east-1") == (1.515, "table")


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_of_the_issue_is_in_the_table_and_bigger_sizes_cost_more(family):
    rows = {t: p for t, p in pricing._TABLE.items() if t.startswith(f"ml.{family}.")}
    assert len(rows) >= 1, f"no ml.{family}.* in the table"
    sizes = sorted(rows, key=lambda t: SIZE_ORDER.index(t.rsplit(".", 1)[1]))
    prices = [rows[t] for t in sizes]
    # Within a family, price grows with size except the odd GPU shape (g5/g6/g6e.16xlarge has one
    # GPU, 12xlarge has four): a typo usually breaks this, so check it for every non-GPU family.
    if not is_accelerated(f"ml.{family}.x"):
        table = dict(zip(sizes, prices, strict=True))
        assert prices == sorted(prices), f"ml.{family}.* prices do not grow with size: {table}"
    # And "large" -> "xlarge" is a doubling in every family that has both.
    if f"ml.{family}.large" in rows and f"ml.{family}.xlarge" in rows:
        assert rows[f"ml.{family}.xlarge"] == pytest.approx(2 * rows[f"ml.{family}.large"], rel=0.02)


def test_table_keys_are_sagemaker_instance_type_names():
    bad = [t for t in pricing._TABLE if not re.fullmatch(r"ml\.[a-z0-9]+\.(medium|large|\d*xlarge)", t)]
    assert bad == []
    assert all(price > 0 for price in pricing._TABLE.values())


@pytest.mark.parametrize("instance_type", ["ml.m99.superlarge", "m5.xlarge", "", "ml.serverless"])
def test_unknown_type_is_none_and_unknown(instance_type):
    book = PriceBook(None, source="table")
    assert book.hourly(instance_type, "us-east-1") == (None, "unknown")


def test_bad_source_is_a_clear_error():
    with pytest.raises(ValueError, match=r"one of auto, table, got 'live'"):
        PriceBook(None, source="live")


# --- monthly, accelerated -------------------------------------------------------------------------

def test_monthly_cost_is_hourly_times_instances_times_730_to_the_cent():
    assert HOURS_PER_MONTH == 730
    assert monthly_cost(0.23, 2) == 335.8
    assert monthly_cost(1.4084, 3) == 3084.4  # 3084.396 rounds to the cent
    assert monthly_cost(0.056, 1) == 40.88
    assert monthly_cost(37.688, 0) == 0.0
    assert monthly_cost(None, 4) is None


def test_monthly_cost_rejects_a_negative_count():
    with pytest.raises(ValueError, match="0 or more, got -1"):
        monthly_cost(0.23, -1)


@pytest.mark.parametrize(("instance_type", "accelerated"), [
    ("ml.g4dn.xlarge", True), ("ml.g5.48xlarge", True), ("ml.g6e.xlarge", True), ("ml.p3.2xlarge", True),
    ("ml.p4d.24xlarge", True), ("ml.p5.48xlarge", True), ("ml.inf1.xlarge", True), ("ml.inf2.48xlarge", True),
    ("ml.trn1.32xlarge", True),
    ("ml.m5.xlarge", False), ("ml.c7i.large", False), ("ml.t3.medium", False), ("ml.r5.large", False),
    ("ml.c7g.large", False), ("ml.m6g.large", False), ("", False),
])
def test_is_accelerated(instance_type, accelerated):
    assert is_accelerated(instance_type) is accelerated


# --- Price List API -------------------------------------------------------------------------------

def test_api_price_is_used_and_the_request_filters_hosting_in_the_region(clients, calls, stub):
    stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": [product("ml.g5.xlarge", "1.4500000000",
                      region="eu-west-1", prefix="EU")]}, request("ml.g5.xlarge", "eu-west-1"))
    book = PriceBook(clients.pricing)

    assert book.hourly("ml.g5.xlarge", "eu-west-1") == (1.45, "price-list-api")
    assert len(calls) == 1


def test_api_pages_are_followed(clients, calls, stub):
    stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": [], "NextToken": "page-2"},
                      request("ml.m5.large", "us-east-1"))
    stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": [product("ml.m5.large", "0.1210")]},
                      request("ml.m5.large", "us-east-1", NextToken="page-2"))
    book = PriceBook(clients.pricing)

    assert book.hourly("ml.m5.large", "us-east-1") == (0.121, "price-list-api")
    assert len(calls) == 2


def test_second_lookup_is_cached_and_makes_no_call(clients, calls, stub):
    stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": [product("ml.m5.xlarge", "0.2400")]},
                      request("ml.m5.xlarge", "us-east-1"))
    book = PriceBook(clients.pricing)

    first = book.hourly("ml.m5.xlarge", "us-east-1")
    second = book.hourly("ml.m5.xlarge", "us-east-1")

    assert first == second == (0.24, "price-list-api")
    assert len(calls) == 1


def test_each_distinct_type_and_region_is_asked_once(clients, calls, stub):
    for instance_type, region, usd in [("ml.m5.xlarge", "us-east-1", "0.23"), ("ml.m5.xlarge", "us-west-2", "0.231"),
                                       ("ml.g5.xlarge", "us-east-1", "1.408")]:
        stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": [
            product(instance_type, usd, region=region)]}, request(instance_type, region))
    book = PriceBook(clients.pricing)

    for _ in range(3):
        assert book.hourly("ml.m5.xlarge", "us-east-1") == (0.23, "price-list-api")
        assert book.hourly("ml.m5.xlarge", "us-west-2") == (0.231, "price-list-api")
        assert book.hourly("ml.g5.xlarge", "us-east-1") == (1.408, "price-list-api")
    assert len(calls) == 3


def test_api_failure_falls_back_to_the_table_and_stops_asking(clients, calls, stub):
    stub.add_client_error("get_products", service_error_code="AccessDeniedException",
                          service_message="User is not authorized to perform: pricing:GetProducts",
                          http_status_code=400, expected_params=request("ml.g5.xlarge", "us-east-1"))
    book = PriceBook(clients.pricing)

    assert book.hourly("ml.g5.xlarge", "us-east-1") == (1.408, "table")
    assert book.hourly("ml.m5.large", "eu-west-1") == (0.115, "table (us-east-1 rate)")
    assert book.hourly("ml.p4d.24xlarge", "us-east-1") == (37.688, "table")
    assert book.hourly("ml.nope.xlarge", "us-east-1") == (None, "unknown")

    assert len(calls) == 1
    assert not book.api_enabled
    assert "AccessDenied" in book.api_error


def test_a_factory_that_fails_counts_as_an_api_failure():
    made = []

    def factory():
        made.append(1)
        raise RuntimeError("no credentials")

    book = PriceBook(factory)
    assert book.hourly("ml.m5.xlarge", "us-east-1") == (0.23, "table")
    assert book.hourly("ml.c5.large", "us-east-1") == (0.102, "table")
    assert made == [1]
    assert book.api_error == "RuntimeError: no credentials"


def test_a_type_the_api_does_not_list_uses_the_table_and_keeps_the_api_on(clients, calls, stub):
    nothing = {"FormatVersion": "aws_v1", "PriceList": []}
    stub.add_response("get_products", nothing, request("ml.t2.medium", "us-east-1"))
    stub.add_response("get_products", nothing, request("ml.x9.xlarge", "us-east-1"))
    stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": [product("ml.c5.large", "0.1020")]},
                      request("ml.c5.large", "us-east-1"))
    book = PriceBook(clients.pricing)

    assert book.hourly("ml.t2.medium", "us-east-1") == (0.056, "table")
    assert book.hourly("ml.x9.xlarge", "us-east-1") == (None, "unknown")
    assert book.hourly("ml.c5.large", "us-east-1") == (0.102, "price-list-api")
    assert book.api_enabled and book.api_error is None


def test_what_is_not_an_ml_instance_type_is_unknown_without_asking_the_api(clients, calls, stub):
    book = PriceBook(clients.pricing)
    assert book.hourly("", "us-east-1") == (None, "unknown")  # a variant without an instance type
    assert book.hourly("m5.xlarge", "us-east-1") == (None, "unknown")
    assert calls == []
    assert book.api_enabled


def test_table_source_never_calls_the_api():
    def factory():
        raise AssertionError("source='table' must not build a pricing client")

    book = PriceBook(factory, source="table")
    assert book.hourly("ml.g6.xlarge", "us-east-1") == (1.006, "table")
    assert book.hourly("ml.g6.xlarge", "ap-south-1") == (1.006, "table (us-east-1 rate)")
    assert not book.api_enabled


def test_concurrent_lookups_of_one_type_make_one_call(clients, calls, stub):
    stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": [product("ml.g5.2xlarge", "1.6000")]},
                      request("ml.g5.2xlarge", "us-east-1"))
    # Make the call slow so the other threads arrive while it is in flight.
    clients.pricing().meta.events.register_first("before-call.*.*", lambda **_: time.sleep(0.2))
    book = PriceBook(clients.pricing)
    start = threading.Barrier(8)

    def ask(_):
        start.wait()
        return book.hourly("ml.g5.2xlarge", "us-east-1")

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(ask, range(8)))

    assert results == [(1.6, "price-list-api")] * 8
    assert len(calls) == 1


# --- parsing --------------------------------------------------------------------------------------

def test_the_host_usage_type_wins_over_other_products_and_zero_or_non_hourly_lines_are_ignored():
    products = [json.loads(p) for p in (
        product("ml.g5.xlarge", "0.9000", usage="AsyncInf"),  # same type, other usage: not preferred
        product("ml.g5.xlarge", "0.0000000000"),  # a free-tier line
        product("ml.g5.xlarge", "0.0100", unit="GB-Mo"),  # not an hourly rate
        product("ml.g5.xlarge", "1.4080"),
    )]
    assert hosting_price_from_products(products, "ml.g5.xlarge") == 1.408


def test_without_a_host_usage_type_the_lowest_hourly_price_is_taken():
    products = [json.loads(p) for p in (product("ml.g5.xlarge", "1.50", usage="Other"),
                                        product("ml.g5.xlarge", "1.40", usage="Other"))]
    assert hosting_price_from_products(products, "ml.g5.xlarge") == 1.4
    assert hosting_price_from_products([], "ml.g5.xlarge") is None


# --- all types at once, and across warm invocations -------------------------------------------------

def many(region: str, *types: str, **extra: object) -> dict:
    return {
        "ServiceCode": "AmazonSageMaker",
        "Filters": [
            {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
            {"Type": "ANY_OF", "Field": "instanceName", "Value": ",".join(types)},
            {"Type": "TERM_MATCH", "Field": "component", "Value": "Hosting"},
        ],
        "FormatVersion": "aws_v1",
        "MaxResults": 100,
        **extra,
    }


def _settled(book: PriceBook, *keys: tuple[str, str]) -> None:
    """Wait for a prefetch running in the background (hourly() would wait the same way)."""
    for key in keys:
        assert book._entries[key].done.wait(5)


def test_prefetch_prices_every_type_of_a_region_in_one_call_and_later_lookups_make_none(clients, calls, stub):
    stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": [
        product("ml.g5.xlarge", "1.4500", region="eu-west-1", prefix="EU"),
        product("ml.m5.large", "0.1240", region="eu-west-1", prefix="EU"),
    ]}, many("eu-west-1", "ml.g5.xlarge", "ml.m5.large", "ml.t2.medium"))
    book = PriceBook(clients.pricing)

    book.prefetch({"ml.m5.large", "ml.g5.xlarge", "ml.t2.medium", "not-an-ml-type"}, "eu-west-1")
    _settled(book, ("ml.m5.large", "eu-west-1"))
    assert book.hourly("ml.g5.xlarge", "eu-west-1") == (1.45, "price-list-api")
    assert book.hourly("ml.m5.large", "eu-west-1") == (0.124, "price-list-api")
    assert book.hourly("ml.t2.medium", "eu-west-1") == (0.056, "table (us-east-1 rate)")  # not listed: the table
    assert len(calls) == 1
    book.prefetch({"ml.m5.large"}, "eu-west-1")  # already priced: no second call
    assert len(calls) == 1


def test_prefetch_pages_are_followed_and_a_failure_means_table_prices_for_the_run(clients, calls, stub):
    stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": [product("ml.c5.xlarge", "0.2040")],
                                       "NextToken": "2"}, many("us-east-1", "ml.c5.xlarge", "ml.p3.2xlarge"))
    stub.add_client_error("get_products", service_error_code="ThrottlingException", http_status_code=400,
                          expected_params=many("us-east-1", "ml.c5.xlarge", "ml.p3.2xlarge", NextToken="2"))
    book = PriceBook(clients.pricing)

    book.prefetch(["ml.c5.xlarge", "ml.p3.2xlarge"], "us-east-1")
    assert book.hourly("ml.p3.2xlarge", "us-east-1") == (3.825, "table")
    assert book.hourly("ml.c5.xlarge", "us-east-1") == (0.204, "table")
    assert not book.api_enabled and "Throttling" in book.api_error
    assert len(calls) == 2


def test_a_long_list_of_types_is_split_to_fit_a_filter_value():
    from cost_watcher.scan.price_list import _comma_groups

    names = [f"ml.type{i:03d}.48xlarge" for i in range(100)]
    groups = _comma_groups(names, 1024)
    assert [name for group in groups for name in group] == names
    assert all(len(",".join(group)) <= 1024 for group in groups) and len(groups) == 2  # 20 characters a name


def test_warm_prices_outlive_the_run_until_their_time_is_up(clients, calls, stub):
    now = [0.0]
    warm = WarmPrices(ttl=3600, clock=lambda: now[0])
    answer = {"FormatVersion": "aws_v1", "PriceList": [product("ml.m5.xlarge", "0.2400")]}
    stub.add_response("get_products", answer, request("ml.m5.xlarge", "us-east-1"))
    stub.add_response("get_products", answer, request("ml.m5.xlarge", "us-east-1"))

    assert PriceBook(clients.pricing, warm=warm).hourly("ml.m5.xlarge", "us-east-1") == (0.24, "price-list-api")
    now[0] = 3599  # the next invocation of a warm Lambda: asks nothing
    assert PriceBook(clients.pricing, warm=warm).hourly("ml.m5.xlarge", "us-east-1") == (0.24, "price-list-api")
    assert len(calls) == 1
    now[0] = 3601  # too old: asked again
    assert PriceBook(clients.pricing, warm=warm).hourly("ml.m5.xlarge", "us-east-1") == (0.24, "price-list-api")
    assert len(calls) == 2


def test_failures_and_table_figures_are_never_kept_warm(clients, calls, stub):
    warm = WarmPrices(ttl=3600)
    stub.add_client_error("get_products", service_error_code="AccessDeniedException", http_status_code=400,
                          expected_params=request("ml.g5.xlarge", "us-east-1"))
    stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": [product("ml.g5.xlarge", "1.5000")]},
                      request("ml.g5.xlarge", "us-east-1"))

    assert PriceBook(clients.pricing, warm=warm).hourly("ml.g5.xlarge", "us-east-1") == (1.408, "table")
    assert PriceBook(clients.pricing, warm=warm).hourly("ml.g5.xlarge", "us-east-1") == (1.5, "price-list-api")
    assert len(calls) == 2


def test_a_book_without_a_warm_cache_keeps_nothing_for_the_next_run(clients, calls, stub):
    answer = {"FormatVersion": "aws_v1", "PriceList": [product("ml.m5.xlarge", "0.2400")]}
    stub.add_response("get_products", answer, request("ml.m5.xlarge", "us-east-1"))
    stub.add_response("get_products", answer, request("ml.m5.xlarge", "us-east-1"))
    for _ in range(2):
        assert PriceBook(clients.pricing).hourly("ml.m5.xlarge", "us-east-1") == (0.24, "price-list-api")
    assert len(calls) == 2
