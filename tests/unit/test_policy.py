"""The reclaim policy, case by case: opt-in, grace period, guards, cap, scale-down plan."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from cost_watcher.judge import policy
from cost_watcher.model import Action, Component, Endpoint, Finding, ScalingTarget, Variant, Verdict
from cost_watcher.settings import Settings

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
SETTINGS = Settings(regions=("us-east-1",), dry_run=False, ledger="s3://ledger-bucket")


def finding(verdict: Verdict = Verdict.IDLE, reclaim: str | None = "delete", idle_since: date | None = None, *,
            status: str = "InService", age_days: int = 60, count: int = 2, described: bool = True,
            reclaimable: float = 100.0, name: str = "ep", invocations: float = 0.0, **endpoint: object) -> Finding:
    created = NOW - timedelta(days=age_days)
    inventory = Endpoint(name=name, region="us-east-1", status=status, created=created, arn=f"arn:{name}",
                         variants=[Variant("AllTraffic", "ml.m5.large", count)], described=described, **endpoint)
    return Finding(name=name, region="us-east-1", status=status, created=created, verdict=verdict, score=90,
                   reason="", reclaim_tag=reclaim, idle_since=idle_since, reclaimable_usd=reclaimable,
                   invocations=invocations, endpoint=inventory)


def test_first_idle_run_marks_and_dates_the_reclaim():
    decision = policy.decide(finding(), SETTINGS, NOW)
    assert decision.action == Action.MARK
    assert decision.reclaim_on == TODAY + timedelta(days=SETTINGS.grace_days)
    assert decision.blocked is None
    assert "cost-watcher:idle-since=2025-03-10" in decision.reason


def test_marked_endpoint_waits_out_the_grace_period_then_is_reclaimed():
    marked = TODAY - timedelta(days=SETTINGS.grace_days - 1)
    waiting = policy.decide(finding(idle_since=marked), SETTINGS, NOW)
    assert waiting.action == Action.NONE
    assert waiting.reclaim_on == marked + timedelta(days=SETTINGS.grace_days)
    due = policy.decide(finding(idle_since=TODAY - timedelta(days=SETTINGS.grace_days)), SETTINGS, NOW)
    assert due.action == Action.DELETE and due.blocked is None


def test_grace_days_setting_moves_the_reclaim_date():
    settings = SETTINGS.replace(grace_days=10)
    marked = TODAY - timedelta(days=5)
    assert policy.decide(finding(idle_since=marked), settings, NOW).action == Action.NONE
    assert policy.decide(finding(idle_since=marked), SETTINGS, NOW).action == Action.DELETE


def test_scale_down_opt_in_gives_scale_down_never_delete():
    decision = policy.decide(finding(reclaim="scale-down", idle_since=date(2025, 1, 1)), SETTINGS, NOW)
    assert decision.action == Action.SCALE_DOWN


def test_scale_down_at_its_minimum_is_no_action():
    decision = policy.decide(finding(reclaim="scale-down", idle_since=date(2025, 1, 1), count=1), SETTINGS, NOW)
    assert decision.action == Action.NONE
    assert "minimum" in decision.reason


@pytest.mark.parametrize(
    ("case", "kwargs"),
    [
        ("untagged", {"reclaim": None}),
        ("busy but tagged", {"verdict": Verdict.ACTIVE, "invocations": 5000}),
        ("too new (verdict)", {"verdict": Verdict.TOO_NEW}),
        ("too new (age)", {"age_days": 2}),
        ("not in service", {"verdict": Verdict.NOT_IN_SERVICE, "status": "Updating"}),
        ("status not in service", {"status": "Updating"}),
        ("unknown", {"verdict": Verdict.UNKNOWN}),
        ("free while idle", {"verdict": Verdict.NO_IDLE_COST}),
        ("not described", {"described": False}),
        ("underused and delete", {"verdict": Verdict.UNDERUSED, "invocations": 30}),
    ],
)
def test_never_touched(case, kwargs):
    for idle_since in (None, date(2025, 1, 1)):
        decision = policy.decide(finding(**{"idle_since": idle_since, **kwargs}), SETTINGS, NOW)
        if idle_since and kwargs.get("verdict") in (Verdict.ACTIVE, Verdict.UNDERUSED):
            assert decision.action == Action.UNMARK, case  # the only change: our own mark goes
        else:
            assert decision.action == Action.NONE, case


def test_underused_is_scaled_down_only_when_the_setting_allows():
    underused = finding(Verdict.UNDERUSED, "scale-down", date(2025, 1, 1), invocations=30)
    off = policy.decide(underused, SETTINGS, NOW)
    assert off.action == Action.UNMARK  # it has traffic and is not eligible: the mark goes
    on = policy.decide(underused, SETTINGS.replace(underused_scale_down=True), NOW)
    assert on.action == Action.SCALE_DOWN
    fresh = finding(Verdict.UNDERUSED, "scale-down", None, invocations=30)
    assert policy.decide(fresh, SETTINGS, NOW).action == Action.NONE
    assert "underused_scale_down" in policy.decide(fresh, SETTINGS, NOW).reason


def test_returning_traffic_unmarks_even_without_opt_in():
    decision = policy.decide(finding(Verdict.ACTIVE, None, date(2025, 3, 1), invocations=10), SETTINGS, NOW)
    assert decision.action == Action.UNMARK and decision.blocked is None


def test_region_with_errors_blocks_marks_and_reclaims_but_not_unmarks():
    mark = policy.decide(finding(), SETTINGS, NOW, region_has_errors=True)
    reclaim = policy.decide(finding(idle_since=date(2025, 1, 1)), SETTINGS, NOW, region_has_errors=True)
    unmark = policy.decide(finding(Verdict.ACTIVE, "delete", date(2025, 1, 1), invocations=9), SETTINGS, NOW,
                           region_has_errors=True)
    assert mark.action == Action.MARK and "errors" in mark.blocked
    assert reclaim.action == Action.DELETE and "errors" in reclaim.blocked
    assert unmark.action == Action.UNMARK and unmark.blocked is None


def test_no_ledger_blocks_destructive_actions_only():
    settings = SETTINGS.replace(ledger=None)
    assert policy.decide(finding(), settings, NOW).blocked is None
    blocked = policy.decide(finding(idle_since=date(2025, 1, 1)), settings, NOW).blocked
    assert blocked and "ledger" in blocked


def test_cap_keeps_the_most_money_then_the_longest_idle():
    findings = [
        finding(name="cheap", reclaimable=10, idle_since=date(2025, 1, 1)),
        finding(name="dear", reclaimable=900, idle_since=date(2025, 3, 1)),
        finding(name="old", reclaimable=50, idle_since=date(2024, 12, 1)),
        finding(name="new", reclaimable=50, idle_since=date(2025, 2, 1)),
    ]
    chosen, deferred = policy.apply_cap(findings, 2)
    assert [f.name for f in chosen] == ["dear", "old"]
    assert [f.name for f in deferred] == ["new", "cheap"]
    assert policy.apply_cap(findings, 0) == ([], sorted(findings, key=policy.cap_order))


def test_recheck_window_covers_the_last_day_and_everything_since_the_scan():
    start, end, period = policy.recheck_window(NOW, NOW + timedelta(minutes=7, seconds=30))
    assert start == NOW - timedelta(hours=24)
    assert end == NOW + timedelta(minutes=7, seconds=30)
    assert period % 60 == 0 and start + timedelta(seconds=period) >= end


def test_has_scale_down_room():
    base = dict(name="e", region="r", status="InService", created=NOW, described=True)
    assert policy.has_scale_down_room(Endpoint(**base, variants=[Variant("v", "ml.m5.large", 3)]))
    assert not policy.has_scale_down_room(Endpoint(**base, variants=[Variant("v", "ml.m5.large", 1)]))
    assert not policy.has_scale_down_room(Endpoint(**base, variants=[Variant("v", None, None, serverless=True)]))
    floor = ScalingTarget("endpoint/e/variant/v", "sagemaker:variant:DesiredInstanceCount", 2, 4)
    assert policy.has_scale_down_room(Endpoint(**base, variants=[Variant("v", "ml.m5.large", 1)],
                                               scaling={"v": floor}))
    async_target = ScalingTarget("endpoint/e/variant/v", "sagemaker:variant:DesiredInstanceCount", 1, 4)
    assert policy.has_scale_down_room(Endpoint(**base, variants=[Variant("v", "ml.m5.large", 1)],
                                               scaling={"v": async_target}, asynchronous=True))
    assert policy.has_scale_down_room(Endpoint(**base, components=[Component("ic", "e")]))
    assert not policy.has_scale_down_room(Endpoint(**base, components=[Component("ic", "e", copy_count=0)]))


def record(variants, config_variants, targets=(), components=(), asynchronous=False):
    config = {"EndpointConfigName": "c", "ProductionVariants": list(config_variants)}
    if asynchronous:
        config["AsyncInferenceConfig"] = {"OutputConfig": {"S3OutputPath": "s3://b/out"}}
    return {"endpoint": {"EndpointName": "e", "ProductionVariants": list(variants)}, "endpoint_config": config,
            "scalable_targets": list(targets), "inference_components": list(components)}


def target(resource, low, high=4, dimension="sagemaker:variant:DesiredInstanceCount"):
    return {"ResourceId": resource, "ScalableDimension": dimension, "MinCapacity": low, "MaxCapacity": high}


def test_scale_down_plan_lowers_autoscaling_floor_then_count():
    plan = policy.scale_down_plan(record(
        [{"VariantName": "A", "DesiredInstanceCount": 3, "DesiredWeight": 0.5},
         {"VariantName": "B", "DesiredInstanceCount": 1, "DesiredWeight": 0.5}],
        [{"VariantName": "A", "InitialInstanceCount": 3}, {"VariantName": "B", "InitialInstanceCount": 1}],
        [target("endpoint/e/variant/A", 2)]))
    assert plan.targets == [{**target("endpoint/e/variant/A", 2), "To": 1}]
    assert plan.variants == [{"VariantName": "A", "DesiredInstanceCount": 3, "DesiredWeight": 0.5, "To": 1}]
    assert policy.ScaleDownPlan.from_dict(plan.to_dict()) == plan


def test_scale_down_plan_async_goes_to_min_capacity_zero_and_leaves_the_count():
    plan = policy.scale_down_plan(record(
        [{"VariantName": "A", "DesiredInstanceCount": 2}], [{"VariantName": "A", "InitialInstanceCount": 2}],
        [target("endpoint/e/variant/A", 1)], asynchronous=True))
    assert [t["To"] for t in plan.targets] == [0]
    assert plan.variants == []


def test_scale_down_plan_components_to_zero_only_where_managed_scaling_allows():
    managed = {"Status": "ENABLED", "MinInstanceCount": 0, "MaxInstanceCount": 4}
    components = [
        {"InferenceComponentName": "zero", "VariantName": "A", "RuntimeConfig": {"DesiredCopyCount": 3}},
        {"InferenceComponentName": "one", "VariantName": "B", "RuntimeConfig": {"DesiredCopyCount": 2}},
    ]
    plan = policy.scale_down_plan(record(
        [{"VariantName": "A"}, {"VariantName": "B"}],
        [{"VariantName": "A", "ManagedInstanceScaling": managed}, {"VariantName": "B"}],
        [target("inference-component/zero", 1, 6, "sagemaker:inference-component:DesiredCopyCount")],
        components))
    assert {c["InferenceComponentName"]: c["To"] for c in plan.components} == {"zero": 0, "one": 1}
    assert [t["To"] for t in plan.targets] == [0]
    assert plan.variants == []  # IC endpoints scale through their components


def test_scale_down_plan_is_empty_at_the_minimum():
    plan = policy.scale_down_plan(record([{"VariantName": "A", "DesiredInstanceCount": 1}],
                                         [{"VariantName": "A", "InitialInstanceCount": 1}]))
    assert plan.empty


def test_restored_tags_drop_our_mark_and_aws_keys_only():
    tags = [{"Key": "team", "Value": "a"}, {"Key": "cost-watcher:reclaim", "Value": "delete"},
            {"Key": "cost-watcher:idle-since", "Value": "2025-03-01"}, {"Key": "aws:cloudformation:stack-name",
                                                                         "Value": "s"}]
    assert policy.tags_to_restore(tags, "cost-watcher:") == tags[:2]
    assert policy.tags_to_restore(tags, "other:") == tags[:3]


def test_same_state_tells_a_retry_from_a_new_incarnation():
    live = {"EndpointArn": "arn:e", "CreationTime": NOW, "EndpointConfigName": "c"}
    doc = {"state": policy.endpoint_state(live)}
    assert policy.same_state(doc, dict(live))
    assert not policy.same_state(doc, {**live, "CreationTime": NOW + timedelta(days=1)})
    assert not policy.same_state(doc, {**live, "EndpointConfigName": "c2"})


def test_recheck_objects_to_any_traffic_on_an_idle_endpoint():
    start, end = NOW - timedelta(hours=24), NOW + timedelta(minutes=5)
    assert policy.recheck_objection(finding(), 0, start, end, SETTINGS) is None
    assert "1 invocations" in policy.recheck_objection(finding(), 1, start, end, SETTINGS)


def test_recheck_of_an_underused_endpoint_objects_only_to_a_surge():
    start, end = NOW - timedelta(hours=24), NOW
    underused = finding(Verdict.UNDERUSED, "scale-down", invocations=7 * 40)  # 40 a day in the scan window
    assert policy.recheck_objection(underused, 60, start, end, SETTINGS) is None  # within 2x the average
    assert "rose" in policy.recheck_objection(underused, 500, start, end, SETTINGS)
    quiet = finding(Verdict.UNDERUSED, "scale-down", invocations=7)  # the threshold (50 a day) is the floor
    assert policy.recheck_objection(quiet, 49, start, end, SETTINGS) is None
