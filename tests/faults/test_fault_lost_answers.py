"""A change AWS carried out although every answer to it was lost (DESIGN rule 10): the run and
`restore` read the endpoint back before they report a failure, so the report never disagrees
with AWS and the next night (or the next restore) does not do it again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from faultnet import Network, call
from faultworld import FAST, LEDGER, MARK, NOW, REGION, World, fleet, sagemaker_backend, scheduled
from oracle import assert_only_reported_changes
from test_fault_races import named

from cost_watcher.reclaim.ledger import open_ledger
from cost_watcher.reclaim.restore import render_restore, restore


def _next_night(world: World):
    world.clock.move_to(NOW + timedelta(days=1))
    return world.invoke(scheduled("night-2", at=NOW + timedelta(days=1)))


@pytest.mark.parametrize(("operation", "victim", "change"), [
    ("DeleteEndpoint", "idle-due", "deleted"),
    ("UpdateEndpointWeightsAndCapacities", "idle-due-scale", "scaled"),
    ("AddTags", "idle-fresh", "marked"),
])
def test_every_answer_lost_yet_done_is_reported_done(world: World, net: Network, operation: str, victim: str,
                                                     change: str):
    world.build(*fleet())
    before = world.state()
    net.lose_response(call(f"sagemaker:{operation}", when=named(victim)), times=None)  # every attempt
    outcome = world.invoke()

    assert net.injected[f"lose sagemaker:{operation}"] > 1  # botocore retried, and lost every answer
    assert outcome.finding(victim)["action_result"] == "done"
    assert change in assert_only_reported_changes(world, before, outcome)[victim]
    assert outcome.status == "ok", outcome.response["errors"]
    records = world.records(victim)

    net.clear()
    _next_night(world)
    assert world.records(victim) == records  # no second restore record


def test_a_mark_read_back_with_another_value_is_still_failed(world: World, net: Network):
    world.build(*fleet())
    net.refuse(call("sagemaker:AddTags", when=named("idle-fresh")), "InternalFailure", "boom", status=500)
    outcome = world.invoke()

    assert outcome.finding("idle-fresh")["action_result"].startswith("failed: ")
    assert MARK not in world.state()["idle-fresh"]["tags"]


def _refuse_existing_endpoints(net: Network) -> None:
    """AWS refuses CreateEndpoint for a name in use; moto would replace the endpoint."""
    net.emulate(call("sagemaker:CreateEndpoint", REGION,
                     when=lambda r: r.params().get("EndpointName") in sagemaker_backend().endpoints),
                "ValidationException", "Cannot create already existing endpoint")


def _deleted_by_a_night(world: World, net: Network):
    _refuse_existing_endpoints(net)
    world.build(*fleet())
    assert world.invoke().finding("idle-due")["action_result"] == "done"
    world.clock.move_to(NOW + timedelta(hours=2))
    return open_ledger(LEDGER, world.clients)


def test_restore_whose_create_answer_was_lost_is_restored_and_twice_is_harmless(world: World, net: Network):
    ledger = _deleted_by_a_night(world, net)
    net.lose_response(call("sagemaker:CreateEndpoint", REGION))
    first = restore("idle-due", REGION, ledger, world.clients, wait=FAST)

    assert net.injected["lose sagemaker:CreateEndpoint"] == 1
    assert first.status == "restored", render_restore(first)
    assert "idle-due" in world.state()

    net.clear()
    second = restore("idle-due", REGION, ledger, world.clients, wait=FAST)
    assert second.status == "already restored" and second.ok
    assert any("nothing to do" in step for step in second.steps), second.steps
    assert net.delivered["sagemaker:CreateEndpoint"] == 1  # the lost one: botocore's repeat was refused, and
    assert net.attempts["sagemaker:CreateEndpoint"] == 2  # the second restore created nothing


def test_restore_does_not_claim_somebody_elses_endpoint_created_meanwhile(world: World, net: Network):
    def somebody_deploys(_):
        with net.paused():
            sagemaker = world.clients.sagemaker(REGION)
            sagemaker.create_endpoint_config(EndpointConfigName="theirs", ProductionVariants=[
                {"VariantName": "AllTraffic", "ModelName": "idle-due-model", "InstanceType": "ml.m5.large",
                 "InitialInstanceCount": 1}])
            sagemaker.create_endpoint(EndpointName="idle-due", EndpointConfigName="theirs")

    # just before our CreateEndpoint (so ahead of AWS's refusal of a name in use)
    net.before(call("sagemaker:CreateEndpoint", REGION), somebody_deploys, times=1)
    ledger = _deleted_by_a_night(world, net)
    result = restore("idle-due", REGION, ledger, world.clients, wait=FAST)

    assert result.status == "failed" and not result.ok, render_restore(result)
    assert "already existing" in (result.error or "")
    assert world.state()["idle-due"]["config"] == "theirs"  # left alone
