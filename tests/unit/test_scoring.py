"""Scoring is pure: verdicts, the score formula, right-sizing and reasons, without AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cost_watcher.judge.scoring import judge
from cost_watcher.judge.underused import right_size
from cost_watcher.judge.window import Window, last_used_text, score
from cost_watcher.model import Component, Endpoint, EndpointUsage, ScalingTarget, Usage, Variant, Verdict
from cost_watcher.settings import Settings

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
SETTINGS = Settings(regions=("us-east-1",))


def prices(instance_type: str, region: str):
    table = {"ml.m5.large": 0.115, "ml.g4dn.xlarge": 0.736}
    return table.get(instance_type), "table"


def endpoint(*variants: Variant, age_days: int = 60, status: str = "InService", described: bool = True, **extra):
    return Endpoint(
        name="ep",
        region="us-east-1",
        status=status,
        created=NOW - timedelta(days=age_days),
        variants=list(variants) or [Variant("AllTraffic", "ml.m5.large", 1)],
        described=described,
        **extra,
    )


def usage(**variants: Usage) -> EndpointUsage:
    return EndpointUsage(variants=dict(variants))


def busy(invocations: float = 10_000, hours: int = 168, last_hours_ago: int = 1) -> Usage:
    return Usage(
        invocations=invocations,
        active_hours=hours,
        peak_hourly=invocations / max(hours, 1) * 2,
        last_invocation=NOW - timedelta(hours=last_hours_ago),
    )


WINDOW = Window(NOW, 7, 30)
AT_NOW = Window.of(SETTINGS, NOW)


def test_never_invoked_scores_100_and_always_busy_scores_0():
    assert score(Usage(), WINDOW) == 100
    assert score(Usage(invocations=5, active_hours=168, last_invocation=NOW), WINDOW) == 0


def test_score_is_70_for_quiet_window_plus_30_for_staleness():
    last_used_15_days_ago = Usage(last_invocation=NOW - timedelta(days=15))
    assert score(last_used_15_days_ago, WINDOW) == 70 + 15
    half_the_hours = Usage(invocations=1, active_hours=84, last_invocation=NOW)
    assert score(half_the_hours, WINDOW) == 35


def test_last_used_text():
    assert last_used_text(None, WINDOW) == "no invocations in 30+ days"
    assert last_used_text(NOW - timedelta(days=23, hours=2), WINDOW) == "last used 23 days ago"
    assert last_used_text(NOW - timedelta(days=1), WINDOW) == "last used 1 day ago"
    assert last_used_text(NOW - timedelta(hours=3), WINDOW) == "last used today"


def test_idle_endpoint_reclaims_its_whole_monthly_cost():
    two = endpoint(Variant("AllTraffic", "ml.m5.large", 2))
    finding = judge(two, usage(AllTraffic=Usage()), SETTINGS, AT_NOW, prices)
    assert finding.verdict == Verdict.IDLE
    assert finding.monthly_cost_usd == pytest.approx(0.115 * 2 * 730)
    assert finding.reclaimable_usd == finding.monthly_cost_usd
    assert finding.reason.startswith("No invocations in the last 7 days (no invocations in 30+ days)")


def test_any_invocation_means_not_idle():
    one_call = Usage(invocations=1, active_hours=1, peak_hourly=1, last_invocation=NOW - timedelta(days=2))
    finding = judge(endpoint(), usage(AllTraffic=one_call), SETTINGS, AT_NOW, prices)
    assert finding.verdict != Verdict.IDLE


@pytest.mark.parametrize("status", ["Creating", "Failed", "Deleting", "OutOfService"])
def test_a_status_that_serves_nothing_is_not_judged_and_costs_nothing(status):
    finding = judge(endpoint(status=status), usage(AllTraffic=Usage()), SETTINGS, AT_NOW, prices)
    assert finding.verdict == Verdict.NOT_IN_SERVICE and finding.score == 0 and finding.reclaimable_usd == 0
    assert finding.monthly_cost_usd == 0


@pytest.mark.parametrize("status", ["UpdateRollbackFailed", "SystemUpdating", "Updating", "RollingBack"])
def test_a_status_in_which_aws_serves_and_bills_is_priced_and_judged_by_traffic(status):
    # API_DescribeEndpoint: UpdateRollbackFailed is "in service with a mix of the old and new configurations"
    finding = judge(endpoint(status=status), usage(AllTraffic=Usage()), SETTINGS, AT_NOW, prices)
    assert finding.verdict == Verdict.IDLE and finding.monthly_cost_usd == pytest.approx(0.115 * 730)
    busy_one = judge(endpoint(status=status), usage(AllTraffic=busy()), SETTINGS, AT_NOW, prices)
    assert busy_one.verdict == Verdict.ACTIVE


def test_younger_than_the_window_is_too_new():
    finding = judge(endpoint(age_days=6), usage(AllTraffic=Usage()), SETTINGS, AT_NOW, prices)
    assert finding.verdict == Verdict.TOO_NEW
    assert judge(endpoint(age_days=7), usage(AllTraffic=Usage()), SETTINGS, AT_NOW, prices).verdict == Verdict.IDLE


@pytest.mark.parametrize("unread", [None, EndpointUsage(error="GetMetricData failed: Throttling")])
def test_unreadable_metrics_are_unknown_never_idle(unread):
    finding = judge(endpoint(), unread, SETTINGS, AT_NOW, prices)
    assert finding.verdict == Verdict.UNKNOWN
    assert finding.reclaimable_usd == 0
    assert "never treated as idle" in finding.reason


def test_serverless_or_zero_instances_is_idle_but_free():
    serverless = endpoint(Variant("AllTraffic", None, None, serverless=True))
    finding = judge(serverless, usage(AllTraffic=Usage()), SETTINGS, AT_NOW, prices)
    assert finding.verdict == Verdict.NO_IDLE_COST and finding.monthly_cost_usd == 0
    at_zero = endpoint(Variant("AllTraffic", "ml.g4dn.xlarge", 0))
    assert judge(at_zero, usage(AllTraffic=Usage()), SETTINGS, AT_NOW, prices).verdict == Verdict.NO_IDLE_COST


def test_endpoint_idle_only_when_all_inference_components_are_idle():
    ep = endpoint(
        Variant("AllTraffic", "ml.g4dn.xlarge", 1),
        components=[Component("ic-a", "ep", "AllTraffic"), Component("ic-b", "ep", "AllTraffic")],
    )
    quiet = EndpointUsage(variants={"AllTraffic": Usage()}, components={"ic-a": Usage(), "ic-b": Usage()})
    assert judge(ep, quiet, SETTINGS, AT_NOW, prices).verdict == Verdict.IDLE
    one_busy = EndpointUsage(variants={"AllTraffic": Usage()}, components={"ic-a": Usage(), "ic-b": busy()})
    finding = judge(ep, one_busy, SETTINGS, AT_NOW, prices)
    assert finding.verdict == Verdict.ACTIVE
    assert finding.variants[0].verdict == Verdict.ACTIVE, "a variant is as busy as the components it hosts"


def test_unpriced_instance_type_is_reported_not_guessed():
    odd = endpoint(Variant("AllTraffic", "ml.x99.mega", 1))
    finding = judge(odd, usage(AllTraffic=Usage()), SETTINGS, AT_NOW, prices)
    assert finding.verdict == Verdict.IDLE
    assert finding.monthly_cost_usd is None and finding.reclaimable_usd == 0
    assert any("no price known" in w for w in finding.warnings)


def test_capacity_formula_from_target_tracking():
    variant = Variant("AllTraffic", "ml.m5.large", 6)
    target = ScalingTarget("r", "d", 2, 10, invocations_per_instance_per_minute=120)
    ep = endpoint(variant, scaling={"AllTraffic": target})
    # peak 14,400 invocations an hour = 4 TPS; 120 a minute per instance = 2 TPS -> 2 instances
    needed, why = right_size(variant, Usage(peak_hourly=14_400), ep, low_util=False)
    assert needed == 2
    assert "4 TPS / 2 TPS per instance" in why


def test_capacity_formula_never_goes_below_one_or_the_managed_minimum():
    variant = Variant("AllTraffic", "ml.m5.large", 4, min_instance_count=2)
    target = ScalingTarget("r", "d", 1, 4, invocations_per_instance_per_minute=600)
    ep = endpoint(variant, scaling={"AllTraffic": target})
    assert right_size(variant, Usage(peak_hourly=1), ep, low_util=False)[0] == 2


def test_low_utilisation_on_several_instances_is_underused_with_right_size_advice():
    many = Variant("AllTraffic", "ml.m5.large", 4)
    light = Usage(invocations=7 * 60, active_hours=100, peak_hourly=20, last_invocation=NOW, max_utilization_pct=6.0)
    finding = judge(endpoint(many), usage(AllTraffic=light), SETTINGS, AT_NOW, prices)
    assert finding.verdict == Verdict.UNDERUSED
    assert "from 4 to 1 instance" in finding.advice
    assert finding.reclaimable_usd == pytest.approx(0.115 * 3 * 730, abs=0.05)


def test_cheap_single_instance_with_little_traffic_is_just_active():
    trickle = Usage(invocations=70, active_hours=20, peak_hourly=5, last_invocation=NOW)
    assert judge(endpoint(), usage(AllTraffic=trickle), SETTINGS, AT_NOW, prices).verdict == Verdict.ACTIVE


def test_threshold_is_a_setting():
    trickle = Usage(invocations=7 * 30, active_hours=20, peak_hourly=5, last_invocation=NOW)
    gpu = endpoint(Variant("AllTraffic", "ml.g4dn.xlarge", 1))
    assert judge(gpu, usage(AllTraffic=trickle), SETTINGS, AT_NOW, prices).verdict == Verdict.UNDERUSED
    stricter = SETTINGS.replace(underused_max_daily_invocations=10)
    assert judge(gpu, usage(AllTraffic=trickle), stricter, Window.of(stricter, NOW), prices).verdict == Verdict.ACTIVE


def test_an_async_endpoint_with_requests_waiting_but_none_processed_is_active_never_underused():
    # async-inference-monitor.html: ApproximateBacklogSize (EndpointName only) counts requests waiting
    gpu = endpoint(Variant("AllTraffic", "ml.g4dn.xlarge", 2), asynchronous=True)
    waiting = EndpointUsage(variants={"AllTraffic": Usage()},
                            queue=Usage(active_hours=3, last_invocation=NOW - timedelta(hours=2)))
    finding = judge(gpu, waiting, SETTINGS, AT_NOW, prices)
    assert finding.verdict == Verdict.ACTIVE and finding.reclaimable_usd == 0
    assert "waited in its queue in 3 hour(s)" in finding.reason
