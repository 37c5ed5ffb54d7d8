"""The guards around every destructive action: re-check, cap, ledger, opt-in, dry run, state."""

from __future__ import annotations

from datetime import timedelta

from moto.core import DEFAULT_ACCOUNT_ID
from moto.sagemaker.models import sagemaker_backends
from reclaim_support import (
    NOW,
    Account,
    account_fixture,  # noqa: F401 - the `account` fixture
    account_state,
    autoscaling_of,
    by_name,
    exists,
    records_in,
    scan,
    settings,
)

from cost_watcher import engine
from cost_watcher.model import Action
from cost_watcher.reclaim import apply as reclaim
from cost_watcher.reclaim.ledger import Ledger
from cost_watcher.sim.account import build_demo_account
from cost_watcher.sim.specs import DEMO_REGIONS, VariantSpec, busy, trickle
from cost_watcher.store import DirectoryStore
from tests.support.fleet import spec
from tests.support.names import FAST, IGNORE, MARK, RECLAIM, REGION

DUE = (NOW - timedelta(days=5)).date().isoformat()  # marked long enough ago: reclaimed this run


def _scan_then_act(account: Account, config, *, between=None):
    """Scan (planning only), let `between` change the world, then act on that scan's findings."""
    report = engine.run(config.replace(dry_run=True), account.clients, NOW)
    if between:
        between()
    reclaim.apply(report.findings, config, account.clients, NOW, report, wait=FAST)
    return report


def test_recheck_skips_an_endpoint_that_got_traffic_after_the_scan(account: Account, tmp_path):
    account.build(spec("woke-up", tags={RECLAIM: "delete", MARK: DUE}),
                  spec("still-idle", tags={RECLAIM: "delete", MARK: DUE}))
    queries = []
    account.clients.register("before-parameter-build.cloudwatch.GetMetricData",
                             lambda params, **_: queries.append(params))

    def traffic_arrives():
        account.clients.cloudwatch(REGION).put_metric_data(Namespace="AWS/SageMaker", MetricData=[{
            "MetricName": "Invocations", "Value": 3.0, "Timestamp": NOW + timedelta(minutes=4),
            "Dimensions": [{"Name": "EndpointName", "Value": "woke-up"},
                           {"Name": "VariantName", "Value": "AllTraffic"}],
        }])
        account.clock.move_to(NOW + timedelta(minutes=10))
        queries.clear()

    report = _scan_then_act(account, settings(str(tmp_path)), between=traffic_arrives)
    woke, idle = by_name(report)["woke-up"], by_name(report)["still-idle"]
    assert woke.action == Action.DELETE and woke.action_result.startswith("skipped: 3 invocations")
    assert "mark removed" in woke.action_result
    assert exists(account, "woke-up") and MARK not in {
        t["Key"] for t in account.sagemaker.list_tags(
            ResourceArn=account.sagemaker.describe_endpoint(EndpointName="woke-up")["EndpointArn"])["Tags"]}
    assert idle.action_result == "done" and not exists(account, "still-idle")
    # one batched call for both candidates, exact dimensions, covering the last 24 h up to now
    assert len(queries) == 1
    dimension_sets = [{d["Name"] for d in q["MetricStat"]["Metric"]["Dimensions"]}
                      for q in queries[0]["MetricDataQueries"]]
    assert dimension_sets == [{"EndpointName", "VariantName"}] * 2
    assert queries[0]["StartTime"] <= NOW - timedelta(hours=24)
    assert queries[0]["EndTime"] >= NOW + timedelta(minutes=10)


def test_cap_defers_the_rest_most_expensive_first(account: Account, tmp_path):
    account.build(*(spec(name, instance_type=kind, tags={RECLAIM: "delete", MARK: DUE})
                    for name, kind in [("small", "ml.m5.large"), ("large", "ml.m5.4xlarge"),
                                       ("medium", "ml.m5.xlarge"), ("tiny", "ml.t2.medium")]))
    config = settings(str(tmp_path), max_actions_per_run=2)
    report = scan(account, config)
    results = {f.name: f.action_result for f in report.findings}
    assert results["large"] == results["medium"] == "done"
    assert results["small"].startswith("skipped: deferred") and results["tiny"].startswith("skipped: deferred")
    assert "max_actions_per_run" in results["small"]
    assert exists(account, "small") and exists(account, "tiny")
    assert account.mutations().count("sagemaker:DeleteEndpoint") == 2

    # The next night takes the deferred ones.
    account.clock.move_to(NOW + timedelta(days=1))
    later = scan(account, config)
    assert {f.name: f.action_result for f in later.findings} == {"small": "done", "tiny": "done"}


def test_ledger_write_failure_means_no_delete(account: Account):
    account.build(spec("keep-me", autoscaling=(1, 2, 10), tags={RECLAIM: "delete", MARK: DUE}))
    scaling = autoscaling_of(account, "keep-me")
    report = scan(account, settings("s3://no-such-ledger-bucket"))
    finding = by_name(report)["keep-me"]
    assert finding.action_result.startswith("failed:") and "NoSuchBucket" in finding.action_result
    # the broken ledger bucket also refuses the run's report: said, not hidden
    assert [e.operation for e in report.errors] == ["ledger", "s3:PutObject"]
    assert exists(account, "keep-me") and autoscaling_of(account, "keep-me") == scaling
    assert not [m for m in account.mutations() if not m.startswith("s3:")]


class _CorruptingStore(DirectoryStore):
    def get(self, key: str) -> bytes:
        body = super().get(key)
        return body.replace(b"keep-me", b"kept-me", 1)


def test_ledger_read_back_mismatch_means_no_delete(account: Account, tmp_path, monkeypatch):
    account.build(spec("keep-me", tags={RECLAIM: "delete", MARK: DUE}))
    monkeypatch.setattr(reclaim, "open_ledger", lambda location, clients: Ledger(_CorruptingStore(tmp_path)))
    report = scan(account, settings(str(tmp_path)))
    finding = by_name(report)["keep-me"]
    assert finding.action_result.startswith("failed:") and "read back differs" in finding.action_result
    assert exists(account, "keep-me")
    assert "sagemaker:DeleteEndpoint" not in account.mutations()


def test_untagged_ignored_busy_young_typo_and_failed_endpoints_are_never_touched(account: Account, tmp_path):
    account.build(
        spec("untagged"),
        spec("ignored", tags={IGNORE: "true", RECLAIM: "delete", MARK: DUE}),
        spec("busy-tagged", tags={RECLAIM: "delete"}, variants=(VariantSpec(traffic=busy(200)),)),
        spec("young", tags={RECLAIM: "delete"}, age_days=2),
        spec("typo", tags={RECLAIM: "Delete"}),
        spec("failed", tags={RECLAIM: "delete", MARK: DUE}, status="Failed"),
        spec("underused", tags={RECLAIM: "scale-down"},
             variants=(VariantSpec(count=3, traffic=trickle(8), cpu_pct=3),)),
    )
    before = account_state(account)
    config = settings(str(tmp_path))
    for day in (0, 1):
        account.clock.move_to(NOW + timedelta(days=day))
        report = scan(account, config)
        assert account.mutations() == [], report.findings
    assert account_state(account) == before
    assert not records_in(tmp_path)
    findings = by_name(report)
    assert "ignored" not in findings and report.ignored == 1
    assert any("not an opt-in" in w for w in findings["typo"].warnings)
    assert "underused_scale_down" in findings["underused"].action_reason


def test_dry_run_leaves_the_account_byte_for_byte_unchanged(account: Account, tmp_path):
    build_demo_account(account.clients, NOW)
    account.calls.clear()
    before = {region: account_state(account, region) for region in DEMO_REGIONS}
    config = settings(str(tmp_path), dry_run=True).replace(regions=DEMO_REGIONS)
    plans = []
    for day in (0, 5):
        account.clock.move_to(NOW + timedelta(days=day))
        plans.append(by_name(scan(account, config)))
    assert account.mutations() == []
    assert {region: account_state(account, region) for region in DEMO_REGIONS} == before
    assert not records_in(tmp_path)
    today = plans[0]
    assert (today["churn-model-v1"].action, today["churn-model-v1"].action_result) == (Action.MARK, "planned")
    assert (today["image-embed-gpu"].action, today["image-embed-gpu"].action_result) == (Action.SCALE_DOWN, "planned")
    assert (today["search-rerank"].action, today["search-rerank"].action_result) == (Action.UNMARK, "planned")
    assert today["kyc-face-match-eu"].action == Action.NONE  # in its grace period
    assert today["forecast-staging"].action == Action.NONE  # too new


def test_endpoint_gone_between_scan_and_act_is_reported_not_an_error(account: Account, tmp_path):
    account.build(spec("vanishing", tags={RECLAIM: "delete", MARK: DUE}))
    report = _scan_then_act(account, settings(str(tmp_path)),
                            between=lambda: account.sagemaker.delete_endpoint(EndpointName="vanishing"))
    assert by_name(report)["vanishing"].action_result == "skipped: endpoint no longer exists"
    assert report.errors == []
    assert not records_in(tmp_path)


def test_updating_endpoint_is_deferred_not_failed(account: Account, tmp_path):
    account.build(spec("busy-updating", count=2, tags={RECLAIM: "scale-down", MARK: DUE}))

    def start_update():
        sagemaker_backends[DEFAULT_ACCOUNT_ID][REGION].endpoints["busy-updating"].endpoint_status = "Updating"

    report = _scan_then_act(account, settings(str(tmp_path)), between=start_update)
    result = by_name(report)["busy-updating"].action_result
    assert result.startswith("skipped: endpoint is Updating after waiting") and "later run" in result
    assert report.errors == [] and account.mutations() == []
    assert not records_in(tmp_path)


def test_endpoint_whose_model_is_gone_is_not_deleted(account: Account, tmp_path):
    account.build(spec("orphan", tags={RECLAIM: "delete", MARK: DUE}))
    account.sagemaker.delete_model(ModelName="orphan-model")
    account.calls.clear()
    finding = by_name(scan(account, settings(str(tmp_path))))["orphan"]
    assert finding.action_result.startswith("skipped: its model orphan-model no longer exists")
    assert exists(account, "orphan") and account.mutations() == []
    assert not records_in(tmp_path)
