"""The engine against the demo account: every verdict, the report's numbers and its errors."""

from __future__ import annotations

import pytest

from cost_watcher.model import Verdict
from cost_watcher.record import finding_from_dict, finding_to_dict, report_to_dict

EXPECTED = {
    "fraud-scoring-prod": Verdict.ACTIVE,
    "pricing-api": Verdict.ACTIVE,
    "churn-model-v1": Verdict.IDLE,
    "churn-model-v2-shadow": Verdict.IDLE,
    "image-embed-gpu": Verdict.IDLE,
    "weekly-report-scorer": Verdict.UNDERUSED,
    "recsys-ab-test": Verdict.ACTIVE,
    "support-bot-serverless": Verdict.NO_IDLE_COST,
    "search-rerank": Verdict.ACTIVE,
    "forecast-staging": Verdict.TOO_NEW,
    "nlp-ner-canary": Verdict.NOT_IN_SERVICE,
    "legacy-xgb-batch": Verdict.IDLE,
    "llm-summarizer": Verdict.UNDERUSED,
    "ocr-invoices-eu": Verdict.ACTIVE,
    "kyc-face-match-eu": Verdict.IDLE,
    "translation-eu": Verdict.UNDERUSED,
    "doc-classifier-eu": Verdict.UNKNOWN,
    "churn-eu-updating": Verdict.IDLE,  # Updating serves and bills: judged, never acted on
    "video-transcribe-async": Verdict.ACTIVE,
    "batch-embed-async": Verdict.IDLE,
    "faq-serverless-pc": Verdict.IDLE,
    "ranker-rollback-failed": Verdict.IDLE,
    "claims-assistant": Verdict.ACTIVE,  # office hours: a schedule, not waste
}


@pytest.fixture
def report(demo_report):
    return demo_report[0]


@pytest.fixture
def now(demo_report):
    return demo_report[1]


@pytest.fixture
def by_name(report):
    return {finding.name: finding for finding in report.findings}


def test_every_endpoint_gets_its_verdict(by_name):
    assert {name: f.verdict for name, f in by_name.items()} == EXPECTED
    assert set(EXPECTED.values()) == set(Verdict), "the demo must cover every verdict"


def test_ignored_endpoint_is_counted_not_reported(report, by_name):
    assert "team-sandbox" not in by_name
    assert report.ignored == 1


def test_never_invoked_endpoint_scores_100_and_says_so(by_name, now):
    finding = by_name["churn-model-v2-shadow"]
    assert finding.score == 100
    assert finding.last_invocation is None
    assert "no invocations in 30+ days" in finding.reason
    assert finding.reclaimable_usd == finding.monthly_cost_usd > 0


def test_last_use_beyond_the_window_is_found_at_daily_resolution(by_name, now):
    finding = by_name["churn-model-v1"]
    assert (now - finding.last_invocation).days in (22, 23)
    assert "last used 23 days ago" in finding.reason or "last used 22 days ago" in finding.reason
    assert 90 <= finding.score < 100


def test_multi_variant_endpoint_with_one_idle_variant_is_active_with_variant_advice(by_name):
    finding = by_name["recsys-ab-test"]
    variants = {v.name: v for v in finding.variants}
    assert variants["ModelA"].verdict == Verdict.ACTIVE and variants["ModelA"].invocations > 0
    assert variants["ModelB"].verdict == Verdict.IDLE and variants["ModelB"].invocations == 0
    assert finding.reclaimable_usd == variants["ModelB"].monthly_cost_usd > 0
    assert "ModelB" in finding.advice and "shift" in finding.advice


def test_serverless_idle_endpoint_costs_nothing(by_name):
    finding = by_name["support-bot-serverless"]
    assert finding.monthly_cost_usd == 0 and finding.reclaimable_usd == 0
    assert "serverless" in finding.reason


def test_weekly_traffic_is_not_idle(by_name):
    finding = by_name["weekly-report-scorer"]
    assert finding.invocations > 0
    assert finding.reclaimable_usd > 0
    assert "asynchronous inference" in finding.advice


def test_right_size_uses_the_capacity_formula_when_a_target_tracking_policy_gives_capacity(by_name):
    finding = by_name["llm-summarizer"]
    assert "from 4 to 1 instance" in finding.advice
    assert "TPS per instance" in finding.advice
    assert finding.reclaimable_usd == pytest.approx(finding.monthly_cost_usd * 3 / 4, abs=0.05)


def test_trickle_on_cpu_instances_suggests_serverless(by_name):
    finding = by_name["translation-eu"]
    assert "serverless" in finding.advice
    assert 0 < finding.reclaimable_usd < finding.monthly_cost_usd  # it serves traffic: never its whole cost


def test_odd_case_opt_in_is_no_opt_in_and_warns(by_name):
    finding = by_name["legacy-xgb-batch"]
    assert finding.reclaim_tag is None
    assert any("not an opt-in" in w for w in finding.warnings)
    assert by_name["churn-model-v1"].reclaim_tag == "delete"


def test_undescribable_endpoint_is_unknown_and_its_region_reports_the_error(report, by_name):
    finding = by_name["doc-classifier-eu"]
    assert finding.verdict == Verdict.UNKNOWN and finding.score == 0 and finding.reclaimable_usd == 0
    assert [(e.region, e.operation) for e in report.errors] == [("eu-west-1", "sagemaker:DescribeEndpointConfig")]


def test_busy_endpoints_are_not_described(report, by_name):
    busy = [by_name[name] for name in ("fraud-scoring-prod", "pricing-api", "ocr-invoices-eu")]
    assert all(not f.endpoint.described for f in busy)
    described = sum(1 for f in report.findings if f.endpoint.described)
    # + the ignored one (described to read its tags) + the one whose config is gone
    assert report.api_calls["sagemaker:DescribeEndpoint"] == described + report.ignored + 1


def test_summary_adds_up(report):
    summary = report_to_dict(report)["summary"]
    assert sum(summary["by_verdict"].values()) == summary["endpoints"] == len(report.findings)
    assert summary["reclaimable_usd"] == pytest.approx(sum(f.reclaimable_usd for f in report.findings))
    assert summary["reclaimable_usd"] <= summary["monthly_cost_usd"]


def test_findings_are_sorted_by_reclaimable_dollars(report):
    amounts = [f.reclaimable_usd for f in report.findings]
    assert amounts == sorted(amounts, reverse=True)


def test_a_finding_read_back_from_its_json_is_the_same_finding(report):
    """A retry reports what an earlier attempt did from the finding it journalled as JSON."""
    for finding in report.findings:
        data = finding_to_dict(finding)
        assert finding_to_dict(finding_from_dict(data)) == data, finding.name


def test_the_office_hours_endpoint_gets_a_schedule_counted_apart_from_idle_waste(report, by_name):
    claims = by_name["claims-assistant"]
    assert claims.reclaimable_usd == 0 and claims.schedule is not None
    assert claims.schedule.scale_to == {"AllTraffic": 1}
    assert claims.schedule.quiet_hours_per_week >= 100  # nights and weekends of an 08:00-19:00 weekday
    assert claims.schedule.sentence[1:] in claims.advice  # the advice says it as a sentence
    document = report_to_dict(report)
    # counted beyond each endpoint's reclaimable $: an underused one's scale-down already holds its nights
    assert document["summary"]["schedule_savings_usd"] == round(
        sum(max(0, (f.schedule.monthly_savings_usd or 0) - f.reclaimable_usd) for f in report.findings if f.schedule),
        2) >= claims.schedule.monthly_savings_usd > 0
    listed = [f for f in document["endpoints"] if f["schedule"]]
    assert {f["name"] for f in listed} >= {"claims-assistant"}
    assert set(listed[0]["schedule"]) >= {"windows", "timezone", "scale_to", "monthly_savings_usd"}
