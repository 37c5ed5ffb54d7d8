"""`restore` in moto: what it recreates, what it refuses, and its dry run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from reclaim_support import (
    NOW,
    Account,
    account_fixture,  # noqa: F401 - the `account` fixture
    account_state,
    autoscaling_of,
    by_name,
    exists,
    scan,
    settings,
    tags_of,
)

from cost_watcher.errors import RestoreError
from cost_watcher.reclaim.ledger import open_ledger
from cost_watcher.reclaim.restore import render_restore, restore
from tests.support.fleet import spec
from tests.support.names import MARK, RECLAIM, REGION

DUE = (NOW - timedelta(days=5)).date().isoformat()


def _deleted(account: Account, tmp_path, name: str = "gone", **kwargs):
    """An endpoint reclaimed by a scan (delete), its ledger, and its originals."""
    account.build(spec(name, count=2, autoscaling=(1, 3, 60), tags={RECLAIM: "delete", MARK: DUE, "team": "x"},
                       **kwargs))
    originals = {
        "endpoint": account.sagemaker.describe_endpoint(EndpointName=name),
        "config": account.sagemaker.describe_endpoint_config(EndpointConfigName=f"{name}-config"),
        "model": account.sagemaker.describe_model(ModelName=f"{name}-model"),
        "tags": tags_of(account, name),
        "scaling": autoscaling_of(account, name),
    }
    finding = by_name(scan(account, settings(str(tmp_path))))[name]
    assert finding.action_result == "done" and not exists(account, name)
    account.clock.move_to(NOW + timedelta(hours=2))
    return open_ledger(str(tmp_path), account.clients), originals


def _without(response: dict, *keys: str) -> dict:
    return {k: v for k, v in response.items() if k not in {"ResponseMetadata", *keys}}


def test_no_record_is_a_clear_error(account: Account, tmp_path):
    with pytest.raises(RestoreError) as raised:
        restore("never-reclaimed", REGION, open_ledger(str(tmp_path), account.clients), account.clients)
    message = str(raised.value)
    assert "never-reclaimed" in message and REGION in message and str(tmp_path) in message


def test_bad_region_is_a_clear_error(account: Account, tmp_path):
    with pytest.raises(RestoreError, match="region"):
        restore("x", "mars-1", open_ledger(str(tmp_path), account.clients), account.clients)


def test_restore_recreates_a_model_and_config_deleted_since(account: Account, tmp_path):
    ledger, originals = _deleted(account, tmp_path)
    account.sagemaker.delete_endpoint_config(EndpointConfigName="gone-config")
    account.sagemaker.delete_model(ModelName="gone-model")

    result = restore("gone", REGION, ledger, account.clients)

    assert result.status == "restored", render_restore(result)
    assert "created model gone-model" in result.steps and "created endpoint config gone-config" in result.steps
    model = account.sagemaker.describe_model(ModelName="gone-model")
    assert _without(model, "CreationTime") == _without(originals["model"], "CreationTime")
    config = account.sagemaker.describe_endpoint_config(EndpointConfigName="gone-config")
    assert _without(config, "CreationTime") == _without(originals["config"], "CreationTime")
    endpoint = account.sagemaker.describe_endpoint(EndpointName="gone")
    assert endpoint["ProductionVariants"] == originals["endpoint"]["ProductionVariants"]
    expected_tags = {k: v for k, v in originals["tags"].items() if k != MARK}
    assert tags_of(account, "gone") == expected_tags
    assert autoscaling_of(account, "gone") == originals["scaling"]


def test_dry_run_restore_changes_nothing(account: Account, tmp_path):
    ledger, _ = _deleted(account, tmp_path)
    before = account_state(account)
    records = sorted(tmp_path.rglob("*.json"))

    result = restore("gone", REGION, ledger, account.clients, dry_run=True)

    assert result.status == "planned" and result.ok
    assert account_state(account) == before and sorted(tmp_path.rglob("*.json")) == records
    assert any(step.startswith("would create endpoint gone") for step in result.steps)
    assert any(step.startswith("would register scalable target endpoint/gone/") for step in result.steps)
    assert render_restore(result).startswith("Dry run: nothing was changed.")


def test_restore_refuses_to_touch_another_endpoint_of_the_same_name(account: Account, tmp_path):
    ledger, _ = _deleted(account, tmp_path)
    account.sagemaker.create_endpoint_config(EndpointConfigName="someone-else", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "gone-model", "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large"}])
    account.sagemaker.create_endpoint(EndpointName="gone", EndpointConfigName="someone-else")
    before = account_state(account)

    with pytest.raises(RestoreError, match="exists already"):
        restore("gone", REGION, ledger, account.clients)
    assert account_state(account) == before


def test_restore_again_after_the_restored_endpoint_was_deleted_by_hand(account: Account, tmp_path):
    ledger, originals = _deleted(account, tmp_path)
    assert restore("gone", REGION, ledger, account.clients).status == "restored"
    account.sagemaker.delete_endpoint(EndpointName="gone")

    again = restore("gone", REGION, ledger, account.clients)

    assert again.status == "restored", render_restore(again)
    assert "-delete.json" in again.record
    assert account.sagemaker.describe_endpoint(EndpointName="gone")["EndpointConfigName"] == "gone-config"
    assert autoscaling_of(account, "gone") == originals["scaling"]


def test_failure_mid_restore_is_reported_with_the_steps_done(account: Account, tmp_path):
    ledger, _ = _deleted(account, tmp_path)

    def refuse(**_):
        raise account.sagemaker.exceptions.ResourceLimitExceeded(
            {"Error": {"Code": "ResourceLimitExceeded", "Message": "ml.m5.large for endpoint usage: 0 left"}},
            "CreateEndpoint")

    account.clients.register("before-call.sagemaker.CreateEndpoint", refuse)
    result = restore("gone", REGION, ledger, account.clients)

    assert result.status == "failed" and not result.ok
    assert "ResourceLimitExceeded" in result.error
    assert "model gone-model exists: kept" in result.steps
    assert "FAILED" in render_restore(result) and "ResourceLimitExceeded" in render_restore(result)
    assert len(list(tmp_path.rglob("*-restore.json"))) == 0
