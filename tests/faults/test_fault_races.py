"""The world changes between the scan and the action, or a call takes effect but its answer
is lost: the run must not touch what it did not judge, and must report what really happened."""

from __future__ import annotations

import pytest
from faultnet import Network, call
from faultworld import World, after_scan, fleet, sagemaker_backend
from oracle import assert_only_reported_changes

from tests.support.names import MARK, RECLAIM, REGION


def named(name: str):
    return lambda request: request.params().get("EndpointName") == name or name in str(
        request.params().get("ResourceArn", ""))


def _sagemaker(world: World):
    return world.clients.sagemaker(REGION)


@pytest.mark.parametrize("victim", ["idle-due", "idle-due-scale", "idle-fresh"])
def test_endpoint_deleted_between_scan_and_action(world: World, net: Network, victim: str):
    world.build(*fleet())
    before = world.state()

    def someone_deletes_it():
        with net.paused():
            _sagemaker(world).delete_endpoint(EndpointName=victim)

    after_scan(net, someone_deletes_it)
    outcome = world.invoke()

    finding = outcome.finding(victim)
    assert finding["action_result"] == "skipped: endpoint no longer exists"
    assert world.records(victim) == []
    before.pop(victim)  # gone by someone else's hand, not ours
    assert set(assert_only_reported_changes(world, before, outcome)) == {
        "busy-marked", "idle-due", "idle-due-scale", "idle-fresh"} - {victim}
    assert outcome.status == "ok", outcome.response["errors"]  # someone else's delete is not our error
    assert len(world.digests()) == 1


@pytest.mark.parametrize("victim", ["idle-due", "idle-due-scale"])
def test_endpoint_moved_to_updating_between_scan_and_action(world: World, net: Network, victim: str):
    world.build(*fleet())
    before = world.state()
    after_scan(net, lambda: setattr(sagemaker_backend().endpoints[victim], "endpoint_status", "Updating"))
    outcome = world.invoke()

    result = outcome.finding(victim)["action_result"]
    assert result.startswith("skipped: endpoint is Updating after waiting") and "later run" in result
    assert world.records(victim) == []
    before[victim]["status"] = "Updating"
    happened = assert_only_reported_changes(world, before, outcome)
    assert victim not in happened
    assert outcome.status == "ok"


def test_endpoint_replaced_under_the_same_name_is_not_deleted(world: World, net: Network):
    world.build(*fleet())

    def redeployed():
        with net.paused():
            sagemaker = _sagemaker(world)
            sagemaker.delete_endpoint(EndpointName="idle-due")
            sagemaker.create_endpoint_config(EndpointConfigName="idle-due-v2", ProductionVariants=[
                {"VariantName": "AllTraffic", "ModelName": "idle-due-model", "InstanceType": "ml.m5.large",
                 "InitialInstanceCount": 1}])
            sagemaker.create_endpoint(EndpointName="idle-due", EndpointConfigName="idle-due-v2")

    after_scan(net, redeployed)
    outcome = world.invoke()

    with net.paused():
        live = _sagemaker(world).describe_endpoint(EndpointName="idle-due")  # the new one must survive
    assert live["EndpointConfigName"] == "idle-due-v2"
    assert outcome.finding("idle-due")["action_result"].startswith("skipped")


@pytest.mark.parametrize("removed", [RECLAIM, MARK])
def test_opt_out_between_scan_and_action_is_respected(world: World, net: Network, removed: str):
    world.build(*fleet())

    def owner_opts_out():
        with net.paused():
            arn = _sagemaker(world).describe_endpoint(EndpointName="idle-due")["EndpointArn"]
            _sagemaker(world).delete_tags(ResourceArn=arn, TagKeys=[removed])

    after_scan(net, owner_opts_out)
    outcome = world.invoke()

    assert "idle-due" in world.state()
    assert world.records("idle-due") == []
    assert outcome.finding("idle-due")["action_result"].startswith("skipped")


@pytest.mark.parametrize("operation", ["AddTags", "DeleteTags"])
def test_lost_answer_to_a_mark_or_unmark_is_retried_harmlessly(world: World, net: Network, operation: str):
    world.build(*fleet())
    before = world.state()
    net.lose_response(call(f"sagemaker:{operation}"))
    outcome = world.invoke()

    assert net.injected[f"lose sagemaker:{operation}"] == 1 and net.delivered[f"sagemaker:{operation}"] == 2
    happened = assert_only_reported_changes(world, before, outcome)
    assert happened == {"busy-marked": {"unmarked"}, "idle-due": {"deleted"}, "idle-due-scale": {"scaled"},
                        "idle-fresh": {"marked"}}
    assert outcome.status == "ok"


def test_lost_answer_to_delete_endpoint_is_reported_as_done(world: World, net: Network):
    world.build(*fleet())
    before = world.state()
    net.lose_response(call("sagemaker:DeleteEndpoint", when=named("idle-due")))
    outcome = world.invoke()

    assert "idle-due" not in world.state() and len(world.records("idle-due")) == 1  # deleted, record kept
    assert outcome.finding("idle-due")["action_result"] == "done"
    assert_only_reported_changes(world, before, outcome)
    assert outcome.status == "ok"


def test_lost_answer_to_a_scale_down_is_reported_as_done(world: World, net: Network):
    world.build(*fleet())
    before = world.state()
    update = call("sagemaker:UpdateEndpointWeightsAndCapacities")
    net.lose_response(update)
    # AWS refuses an update while the endpoint is Updating; moto has no such state
    net.refuse(call("sagemaker:UpdateEndpointWeightsAndCapacities",
                    when=lambda _: net.delivered["sagemaker:UpdateEndpointWeightsAndCapacities"] > 0),
               "ValidationException", "Cannot update in-progress endpoint", times=1)
    outcome = world.invoke()

    assert world.state()["idle-due-scale"]["instances"] == {"AllTraffic": (1, 1)}  # scaled down
    assert outcome.finding("idle-due-scale")["action_result"] == "done"
    assert_only_reported_changes(world, before, outcome)
    assert outcome.status == "ok"


def test_a_refused_scale_down_that_did_not_take_effect_is_reported_as_failed(world: World, net: Network):
    world.build(*fleet())
    before = world.state()
    net.refuse(call("sagemaker:UpdateEndpointWeightsAndCapacities"),
               "ValidationException", "Cannot update in-progress endpoint", times=1)
    outcome = world.invoke()

    assert world.state()["idle-due-scale"]["instances"] == before["idle-due-scale"]["instances"]  # not scaled
    result = outcome.finding("idle-due-scale")["action_result"]
    assert result.startswith("failed: ") and "Cannot update in-progress endpoint" in result
    assert outcome.status != "ok"
