"""The whole reclaim cycle through engine.run, in moto: mark -> grace -> delete/scale-down ->
restore, with retries and partial runs along the way."""

from __future__ import annotations

import json
from datetime import timedelta

from reclaim_support import (
    NOW,
    Account,
    account_fixture,  # noqa: F401 - the `account` fixture
    autoscaling_of,
    by_name,
    exists,
    scan,
    settings,
    tags_of,
)

from cost_watcher.model import Action
from cost_watcher.reclaim.ledger import open_ledger
from cost_watcher.reclaim.restore import render_restore, restore
from cost_watcher.sim.specs import VariantSpec, trickle
from tests.support.fleet import spec
from tests.support.names import MARK, RECLAIM, REGION


def _ledger_keys(account: Account, bucket: str) -> list[str]:
    """Restore records in the bucket (each run's report, under reports/, is not one)."""
    listed = account.clients.s3().list_objects_v2(Bucket=bucket).get("Contents", [])
    return sorted(item["Key"] for item in listed if "/reports/" not in item["Key"])


def _add_scheduled_action(account: Account, endpoint: str) -> None:
    account.autoscaling.put_scheduled_action(
        ServiceNamespace="sagemaker", ScheduledActionName="nightly-floor",
        ResourceId=f"endpoint/{endpoint}/variant/AllTraffic",
        ScalableDimension="sagemaker:variant:DesiredInstanceCount", Schedule="cron(0 22 * * ? *)",
        ScalableTargetAction={"MinCapacity": 1, "MaxCapacity": 4})


def test_mark_grace_delete_restore_round_trip(account: Account):
    account.clients.s3().create_bucket(Bucket="cw-ledger")
    account.build(spec("churn", count=2, autoscaling=(2, 4, 100), tags={RECLAIM: "delete", "team": "growth"}))
    _add_scheduled_action(account, "churn")
    original_endpoint = account.sagemaker.describe_endpoint(EndpointName="churn")
    original_tags = tags_of(account, "churn")
    original_scaling = autoscaling_of(account, "churn")
    assert original_scaling["targets"] and original_scaling["policies"] and original_scaling["scheduled"]
    config = settings("s3://cw-ledger/prod")

    # Day 0: idle and opted in -> marked, with the date it will be reclaimed.
    first = by_name(scan(account, config))["churn"]
    assert (first.action, first.action_result) == (Action.MARK, "done")
    assert first.reclaim_on == NOW.date() + timedelta(days=3)
    assert tags_of(account, "churn")[MARK] == "2025-03-10"

    # A retried run the same day marks nothing again.
    account.calls.clear()
    again = by_name(scan(account, config))["churn"]
    assert again.action == Action.NONE and "grace period" in again.action_reason
    assert account.mutations() == []

    # Day 2: still in the grace period.
    account.clock.move_to(NOW + timedelta(days=2))
    assert by_name(scan(account, config))["churn"].action == Action.NONE
    assert exists(account, "churn")

    # Day 3: grace over, still idle -> record first, then delete; config and model kept.
    account.clock.move_to(NOW + timedelta(days=3, hours=1))
    account.calls.clear()
    deleted = by_name(scan(account, config))["churn"]
    assert (deleted.action, deleted.action_result) == (Action.DELETE, "done")
    assert not exists(account, "churn")
    assert account.sagemaker.describe_endpoint_config(EndpointConfigName="churn-config")
    assert account.sagemaker.describe_model(ModelName="churn-model")
    assert autoscaling_of(account, "churn") == {"targets": [], "policies": [], "scheduled": []}
    names = [name for name, _ in account.calls]
    assert names.index("s3:PutObject") < names.index("application-autoscaling:DeregisterScalableTarget")
    assert names.index("application-autoscaling:DeregisterScalableTarget") < names.index("sagemaker:DeleteEndpoint")
    keys = _ledger_keys(account, "cw-ledger")
    assert len(keys) == 1 and keys[0].startswith("prod/ledger/us-east-1/churn/") and keys[0].endswith("-delete.json")
    assert keys[0].split("/")[-1] in deleted.action_reason

    record = json.loads(account.clients.s3().get_object(Bucket="cw-ledger", Key=keys[0])["Body"].read())
    assert record["endpoint_config"]["EndpointConfigName"] == "churn-config"
    assert [m["ModelName"] for m in record["models"]] == ["churn-model"]
    assert len(record["scalable_targets"]) == 1 and len(record["scaling_policies"]) == 1

    # A retry after the delete: the endpoint is gone, nothing else happens, no second record.
    report = scan(account, config)
    assert "churn" not in by_name(report) and report.errors == []
    assert _ledger_keys(account, "cw-ledger") == keys

    # Restore: the endpoint comes back as it was, minus our mark.
    result = restore("churn", REGION, open_ledger("s3://cw-ledger/prod", account.clients), account.clients)
    assert result.status == "restored", render_restore(result)
    back = account.sagemaker.describe_endpoint(EndpointName="churn")
    assert back["EndpointConfigName"] == original_endpoint["EndpointConfigName"]
    assert back["ProductionVariants"] == original_endpoint["ProductionVariants"]
    assert tags_of(account, "churn") == original_tags
    assert autoscaling_of(account, "churn") == original_scaling
    assert any("still set" in warning for warning in result.warnings)
    text = render_restore(result)
    assert "Restored endpoint churn" in text and keys[0] in text

    # Restoring twice does nothing the second time.
    twice = restore("churn", REGION, open_ledger("s3://cw-ledger/prod", account.clients), account.clients)
    assert twice.status == "already restored"
    assert len(_ledger_keys(account, "cw-ledger")) == 2  # the delete and the restore record


def test_scale_down_with_autoscaling_target_then_restore(account: Account, tmp_path):
    marked = (NOW - timedelta(days=5)).date().isoformat()
    account.build(spec("embed", count=3, autoscaling=(2, 6, 300), tags={RECLAIM: "scale-down", MARK: marked}))
    before = autoscaling_of(account, "embed")
    config = settings(str(tmp_path))

    finding = by_name(scan(account, config))["embed"]
    assert (finding.action, finding.action_result) == (Action.SCALE_DOWN, "done")
    variant = account.sagemaker.describe_endpoint(EndpointName="embed")["ProductionVariants"][0]
    assert variant["DesiredInstanceCount"] == 1
    target = autoscaling_of(account, "embed")["targets"][0]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 6)
    names = [name for name, _ in account.calls]
    assert names.index("application-autoscaling:RegisterScalableTarget") < names.index(
        "sagemaker:UpdateEndpointWeightsAndCapacities")
    records = list((tmp_path / "ledger" / REGION / "embed").glob("*-scale-down.json"))
    assert len(records) == 1
    plan = json.loads(records[0].read_text())["scale_down"]
    assert plan["variants"][0]["DesiredInstanceCount"] == 3 and plan["targets"][0]["MinCapacity"] == 2

    # The next run finds it at its minimum: no second record, no change.
    account.calls.clear()
    assert by_name(scan(account, config))["embed"].action == Action.NONE
    assert account.mutations() == []
    assert len(list((tmp_path / "ledger" / REGION / "embed").glob("*.json"))) == 1

    result = restore("embed", REGION, open_ledger(str(tmp_path), account.clients), account.clients)
    assert result.status == "restored", render_restore(result)
    variant = account.sagemaker.describe_endpoint(EndpointName="embed")["ProductionVariants"][0]
    assert variant["DesiredInstanceCount"] == 3
    assert autoscaling_of(account, "embed") == before
    assert MARK not in tags_of(account, "embed")


def test_retry_after_a_partial_delete_reuses_the_first_record(account: Account, tmp_path):
    """A run that recorded and removed autoscaling, then failed on DeleteEndpoint, is retried:
    the retry must restore from the first record (taken while autoscaling still existed)."""
    marked = (NOW - timedelta(days=4)).date().isoformat()
    account.build(spec("flaky", autoscaling=(1, 3, 50), tags={RECLAIM: "delete", MARK: marked}))
    before = autoscaling_of(account, "flaky")
    config = settings(str(tmp_path))
    failing = {"on": True}

    def refuse(model, **_):
        if model.name == "DeleteEndpoint" and failing["on"]:
            raise ConnectionError("connection reset while deleting")

    account.clients.register("before-call.sagemaker.DeleteEndpoint", refuse)
    report = scan(account, config)
    first = by_name(report)["flaky"]
    assert first.action_result.startswith("failed:") and "DeleteEndpoint" in first.action_result
    assert any(e.operation == "sagemaker:DeleteEndpoint" for e in report.errors)
    assert exists(account, "flaky") and autoscaling_of(account, "flaky")["targets"] == []

    failing["on"] = False
    account.clock.move_to(NOW + timedelta(hours=1))
    retried = by_name(scan(account, config))["flaky"]
    assert retried.action_result == "done" and not exists(account, "flaky")
    assert len(list((tmp_path / "ledger" / REGION / "flaky").glob("*.json"))) == 1

    result = restore("flaky", REGION, open_ledger(str(tmp_path), account.clients), account.clients)
    assert result.status == "restored"
    assert autoscaling_of(account, "flaky") == before


def test_underused_endpoint_is_scaled_down_only_when_the_setting_allows(account: Account, tmp_path):
    marked = (NOW - timedelta(days=5)).date().isoformat()
    account.build(spec("translate", tags={RECLAIM: "scale-down", MARK: marked},
                       variants=(VariantSpec(count=3, traffic=trickle(12), cpu_pct=4),)))
    off = by_name(scan(account, settings(str(tmp_path))))["translate"]
    assert off.verdict == "underused" and off.action == Action.UNMARK  # serving traffic, not eligible: unmarked
    account.sagemaker.add_tags(ResourceArn=account.sagemaker.describe_endpoint(EndpointName="translate")["EndpointArn"],
                               Tags=[{"Key": MARK, "Value": marked}])

    on = by_name(scan(account, settings(str(tmp_path), underused_scale_down=True)))["translate"]
    assert (on.action, on.action_result) == (Action.SCALE_DOWN, "done"), on.action_result
    variant = account.sagemaker.describe_endpoint(EndpointName="translate")["ProductionVariants"][0]
    assert variant["DesiredInstanceCount"] == 1
