"""Fewer calls, a shorter path: tags for every endpoint from the tagging API, each endpoint config
described once, the listings started together, an empty region for one call, the steps timed."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID

from cost_watcher.model import Verdict
from cost_watcher.scan.tags import RESOURCES_PER_PAGE
from cost_watcher.sim.account import build_account
from cost_watcher.sim.specs import busy
from tests.support.fleet import spec

REGION = "us-east-1"
PREFIX = "cost-watcher:"


def _refuse(operation: str):
    def refuse(**_):
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}, operation)

    return refuse


def test_every_endpoint_has_its_tags_without_one_list_tags_call(clients, scan, now):
    build_account(clients, [
        spec("busy-ignored", traffic=busy(120), tags={PREFIX + "ignore": "true"}),
        spec("busy-opted-in", traffic=busy(120), tags={PREFIX + "reclaim": "delete", "team": "ads"}),
        spec("idle-opted-in", tags={PREFIX + "reclaim": "delete"}),
        spec("idle-untagged"),
    ], now, history_days=8)
    report = scan(regions=(REGION,))
    found = {f.name: f for f in report.findings}

    assert "sagemaker:ListTags" not in report.api_calls
    assert report.ignored == 1 and "busy-ignored" not in found  # ignore=true holds for busy endpoints too
    busy_one = found["busy-opted-in"]
    assert busy_one.verdict == Verdict.ACTIVE and not busy_one.endpoint.described
    assert busy_one.endpoint.tags == {PREFIX + "reclaim": "delete", "team": "ads"} and busy_one.reclaim_tag == "delete"
    assert found["idle-opted-in"].verdict == Verdict.IDLE and found["idle-opted-in"].reclaim_tag == "delete"
    assert found["idle-untagged"].endpoint.tags == {} and found["idle-untagged"].endpoint.tags_read
    assert report.errors == []


def test_tags_are_listed_a_hundred_a_page(clients, scan, now):
    count = RESOURCES_PER_PAGE + 30
    build_account(clients, [spec(f"ep-{i:03d}", traffic=busy(60), tags={"team": f"t{i}"}) for i in range(count)],
                  now, history_days=2)
    sent = []
    clients.client("resourcegroupstaggingapi", REGION).meta.events.register(
        "provide-client-params.resource-groups-tagging-api.GetResources", lambda params, **_: sent.append(params))
    report = scan(regions=(REGION,))
    listing = [params for params in sent if not params.get("TagFilters")]  # reclaim asks for its mark by key
    assert [p["ResourcesPerPage"] for p in listing] == [100, 100]
    assert listing[0]["ResourceTypeFilters"] == ["sagemaker:endpoint"]
    assert {f.name: f.endpoint.tags["team"] for f in report.findings} == {f"ep-{i:03d}": f"t{i}" for i in range(count)}


def test_without_the_tagging_api_candidates_read_their_tags_and_verdicts_stand(clients, scan, now):
    build_account(clients, [
        spec("busy", traffic=busy(120), tags={PREFIX + "reclaim": "delete"}),
        spec("idle-opted-in", tags={PREFIX + "reclaim": "delete"}),
    ], now, history_days=8)
    clients.client("resourcegroupstaggingapi", REGION).meta.events.register(
        "before-call.resource-groups-tagging-api.GetResources", _refuse("GetResources"))
    report = scan(regions=(REGION,))
    found = {f.name: f for f in report.findings}

    assert report.api_calls["sagemaker:ListTags"] == 1  # the one candidate, as before the tagging API
    assert found["idle-opted-in"].verdict == Verdict.IDLE and found["idle-opted-in"].reclaim_tag == "delete"
    assert found["busy"].verdict == Verdict.ACTIVE and not found["busy"].endpoint.tags_read
    assert (REGION, "tag:GetResources") in [(e.region, e.operation) for e in report.errors]


def test_an_endpoint_config_shared_by_endpoints_is_described_once(clients, scan, now):
    build_account(clients, [spec("first")], now, history_days=8)
    sagemaker = clients.sagemaker(REGION)
    for twin in ("second", "third"):
        sagemaker.create_endpoint(EndpointName=twin, EndpointConfigName="first-config")
        _backdate(twin, now - timedelta(days=60))
    clients.calls.clear()
    report = scan(regions=(REGION,))

    assert {f.name: f.verdict for f in report.findings} == dict.fromkeys(("first", "second", "third"), Verdict.IDLE)
    assert report.api_calls["sagemaker:DescribeEndpoint"] == 3
    assert report.api_calls["sagemaker:DescribeEndpointConfig"] == 1
    assert {f.endpoint.variants[0].instance_type for f in report.findings} == {"ml.m5.large"}


def test_a_config_that_cannot_be_read_fails_each_endpoint_that_uses_it_and_only_those(clients, scan, now):
    build_account(clients, [spec("first"), spec("other")], now, history_days=8)
    clients.sagemaker(REGION).create_endpoint(EndpointName="second", EndpointConfigName="first-config")
    _backdate("second", now - timedelta(days=60))

    def refuse_first(params, **_):
        if params["EndpointConfigName"] == "first-config":
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}},
                              "DescribeEndpointConfig")

    clients.sagemaker(REGION).meta.events.register("provide-client-params.sagemaker.DescribeEndpointConfig",
                                                   refuse_first)
    report = scan(regions=(REGION,))
    verdicts = {f.name: f.verdict for f in report.findings}
    assert verdicts == {"first": Verdict.UNKNOWN, "second": Verdict.UNKNOWN, "other": Verdict.IDLE}
    assert sorted(e.message.split(":")[0] for e in report.errors) == ["first", "second"]


def test_a_region_without_endpoints_costs_one_call(clients, scan, now):
    build_account(clients, [spec("elsewhere", region="eu-west-1")], now, history_days=2)
    report = scan(regions=(REGION,))
    assert report.findings == [] and report.errors == []
    assert report.api_calls == {"sagemaker:ListEndpoints": 1}


def test_the_steps_are_timed_and_the_listings_start_with_the_second_page(clients, scan, now):
    build_account(clients, [spec(f"ep-{i:03d}", traffic=busy(60) if i % 5 else None) for i in range(230)],
                  now, history_days=2)
    report = scan(regions=(REGION,))
    phases = {p.name: p for p in report.scan_phases if p.region == REGION}

    for name in ("endpoints", "components", "series: instances", "series: invocations", "tags", "opinion",
                 "hourly invocations", "describes", "detail: daily", "autoscaling", "judge"):
        assert phases[name].start_s <= phases[name].end_s, name
    # the first page of endpoints starts the other listings, so they run while the second is read
    for listing in ("components", "series: instances", "series: invocations", "tags", "opinion"):
        assert phases[listing].start_s < phases["endpoints"].end_s, listing
    # the hourly pass needs only the series and component listings, not the endpoints;
    # what needs the listings waits for them
    assert phases["hourly invocations"].start_s >= max(phases[n].end_s for n in ("components", "series: invocations"))
    assert phases["hourly invocations"].after == ("series: invocations", "components")
    assert phases["describes"].start_s >= max(phases[n].end_s for n in ("endpoints", "hourly invocations"))
    assert phases["judge"].start_s >= max(phases[n].end_s for n in ("describes", "detail: daily", "tags"))


def test_moto_pages_tags_as_aws_does(clients, now):
    build_account(clients, [spec(f"ep-{i:03d}", tags={f"k{j}": "v" for j in range(5)}) for i in range(120)],
                  now, history_days=1)
    tagging = boto3.client("resourcegroupstaggingapi", region_name=REGION)
    pages = list(tagging.get_paginator("get_resources").paginate(ResourceTypeFilters=["sagemaker:endpoint"],
                                                                  ResourcesPerPage=100))
    assert [len(page["ResourceTagMappingList"]) for page in pages] == [100, 20]  # not cut at 100 tags
    with pytest.raises(ClientError, match="ResourcesPerPage"):
        tagging.get_resources(ResourceTypeFilters=["sagemaker:endpoint"], ResourcesPerPage=101)


def _backdate(name: str, when) -> None:
    from moto.sagemaker.models import sagemaker_backends

    endpoint = sagemaker_backends[DEFAULT_ACCOUNT_ID][REGION].endpoints[name]
    endpoint.creation_time = endpoint.last_modified_time = when.replace(tzinfo=None)


def test_a_variant_without_invocations_in_two_weeks_is_a_candidate_before_the_hourly_pass(now):
    from cost_watcher.model import Endpoint
    from cost_watcher.scan import usage
    from cost_watcher.settings import Settings

    endpoint = Endpoint("two-variants", REGION, "InService", now - timedelta(days=60))
    known, settings = {"two-variants": {"A", "B"}}, Settings()
    assert usage.surely_candidate(endpoint, known, {"two-variants": {"A"}})  # B: CPU listed, never invoked
    assert usage.surely_candidate(endpoint, {}, {})  # nothing listed at all
    assert not usage.surely_candidate(endpoint, known, {"two-variants": {"A", "B"}})
    # the early decision is the one the hourly pass would reach: B's query could only be empty
    queries = usage.hourly_queries(endpoint, {"A", "B"})
    busy_a = {queries[0]: [(now, 1e6)]}
    assert usage.needs_describe(endpoint, queries, busy_a, {}, settings, known, {"two-variants": {"A"}})
    assert usage.needs_describe(endpoint, queries, busy_a, {}, settings, known, known)  # B's total is 0
