"""Each kind of endpoint judged by the signal AWS really publishes for it, end to end in moto.

Every fixture follows an AWS page (named in a comment above it). CloudWatch matches the exact
dimension set, so the metrics put here carry exactly the dimensions AWS publishes with; where
moto cannot create what AWS returns (shadow variants, instance pools, fields we have never
seen), the parsed DescribeEndpoint(Config) answer is extended through botocore's after-call
event, as AWS would answer. Inference components are answered by botocore's Stubber.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from botocore.stub import Stubber
from reclaim_support import (
    NOW,
    Account,
    account_fixture,  # noqa: F401 - the `account` fixture
    by_name,
    exists,
    records_in,
    scan,
    settings,
    tags_of,
)

from cost_watcher import engine
from cost_watcher.judge import pricing
from cost_watcher.model import Action, Verdict
from cost_watcher.reclaim import apply as reclaim
from cost_watcher.scan.clients import Clients
from cost_watcher.settings import Settings
from cost_watcher.sim.moto_fidelity import make_moto_behave_like_aws
from cost_watcher.sim.specs import VariantSpec, busy, trickle
from tests.support.fleet import spec
from tests.support.names import FAST, MARK, RECLAIM, REGION

GUIDE = "https://docs.aws.amazon.com/sagemaker/latest/dg/"
API = "https://docs.aws.amazon.com/sagemaker/latest/APIReference/"
DUE = (NOW - timedelta(days=5)).date().isoformat()  # an idle-since mark older than the 3-day grace period
M5_LARGE_MONTH = round(0.115 * 730, 2)  # pricing table, us-east-1
ASYNC = {"asynchronous": True}


def dims(**pairs: str) -> list[dict[str, str]]:
    return [{"Name": name, "Value": value} for name, value in pairs.items()]


def put(account: Account, namespace: str, metric: str, dimensions: list[dict[str, str]], points: dict[Any, float],
        unit: str = "None") -> None:
    """Datapoints {timestamp: value} for one series, exactly as given."""
    items = [{"MetricName": metric, "Dimensions": dimensions, "Timestamp": stamp, "Value": value, "Unit": unit}
             for stamp, value in points.items()]
    for start in range(0, len(items), 1000):
        account.clients.cloudwatch(REGION).put_metric_data(Namespace=namespace, MetricData=items[start:start + 1000])


def record_requests(account: Account) -> list[tuple[str, dict[str, Any]]]:
    """Every request as the engine built it (before serialisation), in order."""
    seen: list[tuple[str, dict[str, Any]]] = []

    def keep(params: dict[str, Any], model: Any, **_: Any) -> None:
        seen.append((f"{model.service_model.service_name}:{model.name}", dict(params)))

    account.clients.register("before-parameter-build", keep)
    return seen


def metric_queries(requests: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, frozenset]]:
    """(metric, exact dimension set) of every GetMetricData query in `requests`."""
    return [(q["MetricStat"]["Metric"]["MetricName"],
             frozenset((d["Name"], d["Value"]) for d in q["MetricStat"]["Metric"]["Dimensions"]))
            for name, params in requests if name == "cloudwatch:GetMetricData"
            for q in params["MetricDataQueries"]]


def answer_with(account: Account, operation: str, key: str, value: str, change: Callable[[dict], None]) -> None:
    """Make SageMaker's parsed `operation` answer for the resource whose `key` is `value` what AWS
    would return where moto cannot (after-call: the engine sees exactly this dict)."""

    def edit(parsed: dict[str, Any], **_: Any) -> None:
        if parsed.get(key) == value:
            change(parsed)

    account.clients.register(f"after-call.sagemaker.{operation}", edit)


def _scan_then_act(account: Account, config: Settings, between: Callable[[], None]):
    """Scan (planning only), let `between` change the world, then act on that scan's findings."""
    report = engine.run(config.replace(dry_run=True), account.clients, NOW)
    between()
    reclaim.apply(report.findings, config, account.clients, NOW, report, wait=FAST)
    return report


# --- asynchronous endpoints -------------------------------------------------------------------
# AWS publishes for async endpoints InvocationsProcessed (EndpointName + VariantName) and
# ApproximateBacklogSize (EndpointName only), never Invocations:
# https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-monitor.html


def test_busy_async_endpoint_is_active_and_never_deleted_across_two_nights(account: Account, tmp_path):
    # async-inference-monitor.html: InvocationsProcessed every hour, the queue published, no Invocations
    account.build(spec("transcribe", tags={RECLAIM: "delete", MARK: DUE},
                       variants=(VariantSpec(traffic=busy(60), cpu_pct=40),), backlog=busy(5), **ASYNC))
    requests = record_requests(account)
    config = settings(str(tmp_path))

    first = by_name(scan(account, config))["transcribe"]
    assert first.kind == "asynchronous"
    assert first.verdict == Verdict.ACTIVE, first.reason
    assert first.invocations > 0 and first.reclaimable_usd == 0
    assert (first.action, first.action_result) == (Action.UNMARK, "done")  # work returned: the mark goes
    assert MARK not in tags_of(account, "transcribe")
    _assert_read_by_its_async_signal(requests, "transcribe")

    requests.clear()
    account.clock.move_to(NOW + timedelta(days=1))
    second = by_name(scan(account, config))["transcribe"]
    assert second.verdict == Verdict.ACTIVE and second.action == Action.NONE
    _assert_read_by_its_async_signal(requests, "transcribe")
    assert exists(account, "transcribe")
    assert "sagemaker:DeleteEndpoint" not in account.mutations()
    assert not records_in(tmp_path)


def _assert_read_by_its_async_signal(requests: list[tuple[str, dict[str, Any]]], name: str) -> None:
    """One night's queries: InvocationsProcessed by exactly EndpointName + VariantName, the queue by
    EndpointName alone, and once its configuration said async, nothing of it read as Invocations."""
    endpoint = frozenset({("EndpointName", name)})
    sent = metric_queries(requests)
    assert ("InvocationsProcessed", endpoint | {("VariantName", "AllTraffic")}) in sent
    assert ("ApproximateBacklogSize", endpoint) in sent
    described = [i for i, (call, params) in enumerate(requests)
                 if call == "sagemaker:DescribeEndpointConfig" and params["EndpointConfigName"] == f"{name}-config"]
    assert described, "its configuration was never read"
    later = metric_queries(requests[described[0]:])
    assert later and not [q for q in later if q[0] == "Invocations" and ("EndpointName", name) in q[1]]


def test_async_endpoint_with_requests_waiting_but_none_processed_is_not_idle(account: Account, tmp_path):
    # async-inference-monitor.html: ApproximateBacklogSize > 0 means requests wait in the queue
    waiting = lambda h: 7.0 if h % 12 == 0 else 0.0  # noqa: E731
    account.build(spec("stuck-queue", tags={RECLAIM: "delete", MARK: DUE}, backlog=waiting, **ASYNC))
    report = scan(account, settings(str(tmp_path)))
    finding = by_name(report)["stuck-queue"]
    assert finding.verdict not in (Verdict.IDLE, Verdict.NO_IDLE_COST, Verdict.UNKNOWN), finding.reason
    assert finding.action != Action.DELETE and exists(account, "stuck-queue")
    assert "sagemaker:DeleteEndpoint" not in account.mutations() and not records_in(tmp_path)
    # its only variant is the one it was created with: the reason must not say work went elsewhere
    assert "replaced by UpdateEndpoint" not in finding.reason, finding.reason
    assert "replacement" not in (finding.advice or ""), finding.advice


def test_async_endpoint_with_nothing_processed_or_queued_is_idle_marked_then_deleted(account: Account, tmp_path):
    # async-inference-monitor.html: the queue published as 0 every period, nothing processed
    account.build(spec("batch-embed", tags={RECLAIM: "delete"}, **ASYNC))
    config = settings(str(tmp_path))

    first = by_name(scan(account, config))["batch-embed"]
    assert first.verdict == Verdict.IDLE and first.kind == "asynchronous", first.reason
    assert first.monthly_cost_usd == M5_LARGE_MONTH and first.reclaimable_usd == M5_LARGE_MONTH
    assert "nothing processed and nothing queued" in first.reason.lower()
    assert (first.action, first.action_result) == (Action.MARK, "done")
    assert tags_of(account, "batch-embed")[MARK] == NOW.date().isoformat()

    account.clock.move_to(NOW + timedelta(days=3, hours=1))
    deleted = by_name(scan(account, config))["batch-embed"]
    assert (deleted.action, deleted.action_result) == (Action.DELETE, "done"), deleted.action_result
    assert not exists(account, "batch-embed")
    assert len(list((tmp_path / "ledger" / REGION / "batch-embed").glob("*-delete.json"))) == 1


@pytest.mark.parametrize("metric, dimensions, value", [
    ("InvocationsProcessed", dims(EndpointName="woke-up", VariantName="AllTraffic"), 3.0),
    ("ApproximateBacklogSize", dims(EndpointName="woke-up"), 4.0),
], ids=["processed", "queued"])
def test_recheck_reads_the_async_signal_and_skips_work_after_the_scan(account: Account, tmp_path, metric, dimensions,
                                                                     value):
    # async-inference-monitor.html: the re-check must read what AWS publishes for async work
    account.build(spec("woke-up", tags={RECLAIM: "delete", MARK: DUE}, **ASYNC),
                  spec("still-idle", tags={RECLAIM: "delete", MARK: DUE}, **ASYNC))
    requests = record_requests(account)

    def work_arrives():
        put(account, "AWS/SageMaker", metric, dimensions, {NOW + timedelta(minutes=4): value})
        account.clock.move_to(NOW + timedelta(minutes=10))
        requests.clear()

    report = _scan_then_act(account, settings(str(tmp_path)), work_arrives)
    woke, idle = by_name(report)["woke-up"], by_name(report)["still-idle"]
    assert woke.verdict == idle.verdict == Verdict.IDLE
    assert woke.action == Action.DELETE and woke.action_result.startswith("skipped:"), woke.action_result
    assert "not idle any more" in woke.action_result
    assert exists(account, "woke-up") and MARK not in tags_of(account, "woke-up")
    assert idle.action_result == "done" and not exists(account, "still-idle")
    recheck = metric_queries(requests)
    assert ("InvocationsProcessed", frozenset({("EndpointName", "woke-up"), ("VariantName", "AllTraffic")})) in recheck
    assert ("ApproximateBacklogSize", frozenset({("EndpointName", "woke-up")})) in recheck
    assert not [q for q in recheck if q[0] == "Invocations"]



def test_underused_async_gpu_endpoint_is_not_advised_to_become_asynchronous(account: Account):
    # async-inference-monitor.html (its signal) and async-inference-autoscale.html: an async endpoint
    # already scales to zero with MinCapacity 0 - https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-autoscale.html
    account.build(spec("gpu-async", variants=(VariantSpec(instance_type="ml.g4dn.xlarge", traffic=trickle(8),
                                                          cpu_pct=30, gpu_pct=30),), **ASYNC))
    finding = by_name(scan(account, settings(dry_run=True)))["gpu-async"]
    assert finding.verdict == Verdict.UNDERUSED and finding.kind == "asynchronous", finding.reason
    assert "consider asynchronous inference" not in (finding.advice or "").lower(), finding.advice

# --- serverless -------------------------------------------------------------------------------
# Provisioned concurrency bills while idle (memory x concurrency x time); without it, nothing:
# https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html and
# https://aws.amazon.com/sagemaker/pricing/ ; metrics: .../dg/serverless-endpoints-monitoring.html


def test_serverless_is_free_at_rest_unless_it_has_provisioned_concurrency(account: Account):
    serverless = dict(instance_type=None, count=0, serverless=True)
    account.build(spec("faq-pc", variants=(VariantSpec(**serverless, provisioned_concurrency=4),)),
                  spec("faq-plain", variants=(VariantSpec(**serverless),)))
    findings = by_name(scan(account, settings(dry_run=True)))

    pc = findings["faq-pc"]
    expected = pricing.PROVISIONED_CONCURRENCY_GB_SECOND_USD * 2 * 3600 * 4 * 730  # 2048 MB x 4 x 730 h
    assert pc.verdict == Verdict.IDLE, pc.reason
    assert pc.monthly_cost_usd == pytest.approx(expected, abs=0.01) and pc.monthly_cost_usd > 0
    assert pc.reclaimable_usd == pc.monthly_cost_usd and pc.price_source == "table"

    plain = findings["faq-plain"]
    assert plain.verdict == Verdict.NO_IDLE_COST and plain.monthly_cost_usd == 0.0 and plain.reclaimable_usd == 0


# --- statuses ---------------------------------------------------------------------------------
# EndpointStatus: UpdateRollbackFailed is "in service with a mix of the old and new endpoint
# configurations", SystemUpdating is maintenance; Failed cannot serve (DeleteEndpoint only):
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html


@pytest.mark.parametrize("status", ["UpdateRollbackFailed", "SystemUpdating"])
def test_serving_status_other_than_in_service_is_judged_and_priced_but_never_acted_on(account: Account, tmp_path,
                                                                                      status):
    account.build(spec("ranker", count=2, instance_type="ml.c5.xlarge", tags={RECLAIM: "delete"}, status=status),
                  spec("broken", tags={RECLAIM: "delete"}, status="Failed"))
    findings = by_name(scan(account, settings(str(tmp_path))))

    ranker = findings["ranker"]
    assert ranker.verdict == Verdict.IDLE, ranker.reason
    assert ranker.monthly_cost_usd == round(0.204 * 2 * 730, 2) > 0
    assert ranker.action_result and ranker.action_result.startswith(f"skipped: status is {status}")
    assert MARK not in tags_of(account, "ranker")

    broken = findings["broken"]
    assert broken.verdict == Verdict.NOT_IN_SERVICE and broken.monthly_cost_usd == 0.0
    assert account.mutations() == [] and not records_in(tmp_path)


# --- a variant replaced by UpdateEndpoint -----------------------------------------------------
# UpdateEndpoint deploys a new config; the old variant's series keep the window's traffic:
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html and
# Invocations by EndpointName + VariantName: https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html


def test_traffic_of_a_replaced_variant_counts_and_is_not_advice_to_shift_weight(account: Account):
    account.build(spec("ranker", variants=(VariantSpec("Blue"),)))
    green = dims(EndpointName="ranker", VariantName="Green")
    hours = [NOW - timedelta(hours=h) for h in range(30, 6 * 24)]
    put(account, "AWS/SageMaker", "Invocations", green, dict.fromkeys(hours, 20.0))
    put(account, "/aws/sagemaker/Endpoints", "CPUUtilization", green, dict.fromkeys(hours, 30.0), "Percent")

    finding = by_name(scan(account, settings(dry_run=True)))["ranker"]
    assert finding.verdict == Verdict.ACTIVE, finding.reason
    assert finding.invocations == pytest.approx(20.0 * len(hours))
    roles = {v.name: (v.role, v.invocations) for v in finding.variants}
    assert roles["Green"] == ("retired", pytest.approx(20.0 * len(hours)))
    assert roles["Blue"][0] == "production"
    assert finding.monthly_cost_usd == M5_LARGE_MONTH and finding.reclaimable_usd == 0 < finding.monthly_cost_usd
    assert "shift" not in (finding.advice or "")


# --- configuration we do not read -------------------------------------------------------------
# DescribeEndpointConfig grows fields over time (e.g. a variant's CapacityReservationConfig):
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpointConfig.html and
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantCapacityReservationConfig.html


def _add_future_field(config: dict) -> None:
    config["FutureFeature"] = {"Mode": "Enabled"}


def _add_capacity_reservation(config: dict) -> None:
    config["ProductionVariants"][0]["CapacityReservationConfig"] = {
        "CapacityReservationPreference": "capacity-reservations-only",
        "MlReservationArn": f"arn:aws:sagemaker:{REGION}:123456789012:ml-reservation/r-1"}


def _add_future_variant_field(config: dict) -> None:
    config["ProductionVariants"][0]["FutureVariantSetting"] = {"On": True}


@pytest.mark.parametrize("change, named", [
    (_add_future_field, "FutureFeature"),
    (_add_capacity_reservation, "CapacityReservationConfig"),
    (_add_future_variant_field, "FutureVariantSetting"),
], ids=["endpoint-config-field", "capacity-reservation", "variant-field"])
def test_unknown_configuration_makes_the_endpoint_unknown_and_untouched(account: Account, tmp_path, change, named):
    account.build(spec("novel", tags={RECLAIM: "delete", MARK: DUE}), spec("plain", tags={RECLAIM: "delete"}))
    answer_with(account, "DescribeEndpointConfig", "EndpointConfigName", "novel-config", change)
    report = scan(account, settings(str(tmp_path)))
    findings = by_name(report)

    novel = findings["novel"]
    assert novel.verdict == Verdict.UNKNOWN and named in novel.reason, novel.reason
    assert novel.action == Action.NONE and novel.action_result is None
    assert exists(account, "novel") and tags_of(account, "novel")[MARK] == DUE
    assert findings["plain"].verdict == Verdict.IDLE  # the scan went on
    assert account.mutations() == ["sagemaker:AddTags"]  # only the other endpoint's mark
    assert not records_in(tmp_path)


# --- shadow variants and instance pools -------------------------------------------------------
# Shadow variants bill their own instances and get a copy of the traffic:
# https://docs.aws.amazon.com/sagemaker/latest/dg/shadow-tests.html
# Instance pools: InstanceType replaced by InstancePools; live counts per type in DescribeEndpoint:
# https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-heterogeneous.html and
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InstancePoolSummary.html


def _shadow_config(config: dict) -> None:
    config["ShadowProductionVariants"] = [{"VariantName": "Shadow", "ModelName": "twins-model",
                                           "InstanceType": "ml.m5.large", "InitialInstanceCount": 1,
                                           "InitialVariantWeight": 1.0}]


def _shadow_live(endpoint: dict) -> None:
    endpoint["ShadowProductionVariants"] = [{"VariantName": "Shadow", "CurrentInstanceCount": 1,
                                             "DesiredInstanceCount": 1, "CurrentWeight": 1.0, "DesiredWeight": 1.0}]


def test_idle_endpoint_with_a_shadow_variant_costs_both_fleets(account: Account):
    account.build(spec("twins"))
    answer_with(account, "DescribeEndpointConfig", "EndpointConfigName", "twins-config", _shadow_config)
    answer_with(account, "DescribeEndpoint", "EndpointName", "twins", _shadow_live)
    requests = record_requests(account)

    finding = by_name(scan(account, settings(dry_run=True)))["twins"]
    assert finding.verdict == Verdict.IDLE, finding.reason
    assert finding.monthly_cost_usd == pytest.approx(2 * M5_LARGE_MONTH)
    assert finding.reclaimable_usd == pytest.approx(2 * M5_LARGE_MONTH)
    assert {v.name: v.role for v in finding.variants} == {"AllTraffic": "production", "Shadow": "shadow"}
    shadow_series = frozenset({("EndpointName", "twins"), ("VariantName", "Shadow")})
    assert ("Invocations", shadow_series) in metric_queries(requests)  # its traffic would count


def _pooled_config(config: dict) -> None:
    variant = config["ProductionVariants"][0]
    variant.pop("InstanceType")
    variant.update(InitialInstanceCount=3, InstancePools=[{"InstanceType": "ml.g5.xlarge", "Priority": 1},
                                                          {"InstanceType": "ml.g4dn.xlarge", "Priority": 2}])


def _pooled_live(endpoint: dict) -> None:
    endpoint["ProductionVariants"][0].update(CurrentInstanceCount=3, DesiredInstanceCount=3, InstancePools=[
        {"InstanceType": "ml.g5.xlarge", "CurrentInstanceCount": 1},
        {"InstanceType": "ml.g4dn.xlarge", "CurrentInstanceCount": 2}])


@pytest.mark.parametrize("live_counts", [True, False], ids=["live-counts", "no-live-counts"])
def test_instance_pools_are_priced_per_type_from_live_counts(account: Account, live_counts):
    account.build(spec("pooled"))
    answer_with(account, "DescribeEndpointConfig", "EndpointConfigName", "pooled-config", _pooled_config)
    if live_counts:
        answer_with(account, "DescribeEndpoint", "EndpointName", "pooled", _pooled_live)

    finding = by_name(scan(account, settings(dry_run=True)))["pooled"]
    assert finding.verdict == Verdict.IDLE, finding.reason
    if live_counts:
        assert finding.monthly_cost_usd == pytest.approx(round((1.408 * 1 + 0.7364 * 2) * 730, 2))
        assert not [w for w in finding.warnings if "pool" in w]
    else:
        assert finding.monthly_cost_usd is None
        assert any("instance pools" in w for w in finding.warnings), finding.warnings


# --- inference components ---------------------------------------------------------------------
# Copies per component in DescribeInferenceComponent RuntimeConfig.CurrentCopyCount; Invocations
# by InferenceComponentName; instances bill whether or not they host a copy:
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeInferenceComponent.html and
# https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html


@pytest.fixture
def stubbed(aws):
    make_moto_behave_like_aws()
    return Clients(max_workers=1)


def test_instances_hosting_no_component_copy_are_reclaimable_on_an_active_endpoint(stubbed: Clients, now):
    account, created, host = "123456789012", now - timedelta(days=40), "llm-host"
    arn = lambda kind, name: f"arn:aws:sagemaker:{REGION}:{account}:{kind}/{name}"  # noqa: E731
    cloudwatch = stubbed.cloudwatch(REGION)
    hours = [now - timedelta(hours=h) for h in range(1, 101)]
    cloudwatch.put_metric_data(Namespace="AWS/SageMaker", MetricData=[
        {"MetricName": "Invocations", "Dimensions": dims(InferenceComponentName="ic-a"), "Timestamp": t, "Value": 30.0}
        for t in hours])
    cloudwatch.put_metric_data(Namespace="/aws/sagemaker/Endpoints", MetricData=[
        {"MetricName": "CPUUtilization", "Dimensions": dims(EndpointName=host, VariantName="AllTraffic"),
         "Timestamp": t, "Value": 45.0} for t in hours[:48]])

    def component(name: str) -> dict[str, Any]:
        return {"InferenceComponentName": name, "InferenceComponentArn": arn("inference-component", name),
                "EndpointName": host, "EndpointArn": arn("endpoint", host), "VariantName": "AllTraffic",
                "CreationTime": created, "LastModifiedTime": created, "InferenceComponentStatus": "InService"}

    def described_component(name: str, copies: int) -> dict[str, Any]:
        return {**component(name), "RuntimeConfig": {"DesiredCopyCount": copies, "CurrentCopyCount": copies}}

    sagemaker = stubbed.sagemaker(REGION)
    with Stubber(sagemaker) as stub:
        stub.add_response("list_endpoints", {"Endpoints": [{
            "EndpointName": host, "EndpointArn": arn("endpoint", host), "CreationTime": created,
            "LastModifiedTime": created, "EndpointStatus": "InService"}]}, None)
        stub.add_response("list_inference_components",
                          {"InferenceComponents": [component("ic-a"), component("ic-b")]}, None)
        stub.add_response("describe_endpoint", {
            "EndpointName": host, "EndpointArn": arn("endpoint", host), "EndpointConfigName": f"{host}-config",
            "ProductionVariants": [{"VariantName": "AllTraffic", "CurrentInstanceCount": 4,
                                    "DesiredInstanceCount": 4}],
            "EndpointStatus": "InService", "CreationTime": created, "LastModifiedTime": created,
        }, {"EndpointName": host})
        stub.add_response("describe_endpoint_config", {
            "EndpointConfigName": f"{host}-config", "EndpointConfigArn": arn("endpoint-config", f"{host}-config"),
            "ProductionVariants": [{"VariantName": "AllTraffic", "InstanceType": "ml.g5.xlarge",
                                    "InitialInstanceCount": 4}],
            "CreationTime": created,
        }, {"EndpointConfigName": f"{host}-config"})
        # its tags come from the region's tag listing (GetResources), not ListTags
        stub.add_response("describe_inference_component", described_component("ic-a", 1),
                          {"InferenceComponentName": "ic-a"})
        stub.add_response("describe_inference_component", described_component("ic-b", 0),
                          {"InferenceComponentName": "ic-b"})
        report = engine.run(Settings(regions=(REGION,), pricing="table", max_workers=1), stubbed, now)
        stub.assert_no_pending_responses()

    finding = by_name(report)[host]
    assert finding.verdict == Verdict.ACTIVE, finding.reason
    assert finding.invocations == pytest.approx(30.0 * 100)
    assert finding.monthly_cost_usd == pytest.approx(round(1.408 * 4 * 730, 2))
    assert finding.reclaimable_usd == pytest.approx(round(1.408 * 3 * 730, 2))
    assert finding.advice and "host no inference component copy" in finding.advice
    assert report.errors == []
