"""The Lambda dies mid-run (timeout, out of memory) and Lambda retries the same event.

The retry carries the same run id (the event id). Whatever point the first attempt died at,
the two attempts together must do what one clean run does: one mark, one delete, one
scale-down, one restore record each, one digest. The one exception is death during the
Publish call itself: whether SNS took the message cannot be known, so the digest is sent
at most once and the retry says it may not have arrived."""

from __future__ import annotations

from datetime import timedelta

import pytest
from faultnet import Crash, Network, call
from faultworld import FLEET_CHANGES, NOW, World, fleet, scheduled
from oracle import changes

CRASH_POINTS = {
    # name: (the call it dies at, dies after moto carried it out?)
    "while-describing": (call("sagemaker:DescribeEndpointConfig"), False),
    "after-marking": (call("sagemaker:AddTags"), True),
    "after-the-record": (call("s3:PutObject", when=lambda r: "/prod/ledger/" in r.url), True),
    "before-deleting": (call("sagemaker:DeleteEndpoint"), False),
    "after-deleting": (call("sagemaker:DeleteEndpoint"), True),
    "after-scaling-down": (call("sagemaker:UpdateEndpointWeightsAndCapacities"), True),
}


def _crash_then_retry(world: World, net: Network, where: str):
    world.build(*fleet())
    before = world.state()
    match, after = CRASH_POINTS[where]
    net.crash(match, after=after)
    with pytest.raises(Crash):
        world.invoke(scheduled("night-1"))
    assert net.injected, "the crash point was never reached"
    net.clear()
    world.restart()
    retry = world.invoke(scheduled("night-1"))
    return before, retry


@pytest.mark.parametrize("where", list(CRASH_POINTS))
def test_retry_after_a_crash_finishes_the_job_once(world: World, net: Network, where: str):
    before, retry = _crash_then_retry(world, net, where)

    assert changes(before, world.state()) == FLEET_CHANGES  # the account ends as after one clean run
    for operation in ("AddTags", "DeleteTags", "DeleteEndpoint", "UpdateEndpointWeightsAndCapacities"):
        assert net.delivered[f"sagemaker:{operation}"] == 1, f"{operation} carried out twice"
    assert sorted(key.split("/")[3] for key in world.records()) == ["idle-due", "idle-due-scale"]  # one record each
    assert len(world.digests()) == 1
    assert retry.status == "ok", retry.response["errors"]
    assert retry.report["notification"].startswith("sent: ")
    for name in ("idle-due", "idle-due-scale"):  # the retry's report says each reclaim was done, once
        assert retry.finding(name)["action_result"].startswith("done"), (name, retry.finding(name))


@pytest.mark.parametrize("reached_sns", [False, True], ids=["before-sns-got-it", "after-sns-got-it"])
def test_a_crash_during_publish_never_sends_a_second_digest(world: World, net: Network, reached_sns: bool):
    """Death in the Publish call: SNS may or may not have the message, and nothing can ask it.
    The retry does not publish again; its report and errors say the digest may not have arrived."""
    world.build(*fleet())
    before = world.state()
    net.crash(call("sns:Publish"), after=reached_sns)
    with pytest.raises(Crash):
        world.invoke(scheduled("night-1"))
    net.clear()
    world.restart()
    retry = world.invoke(scheduled("night-1"))

    assert len(world.digests()) == int(reached_sns)  # never two
    assert changes(before, world.state()) == FLEET_CHANGES  # the reclaim itself was finished once
    assert retry.report["notification"].startswith("unconfirmed: an earlier attempt of run night-1")
    assert retry.status == "incomplete"
    [error] = retry.response["errors"]
    assert error.startswith("global: sns:Publish: the digest may not have arrived")
    assert retry.response["report_location"] in error
    again = world.invoke(scheduled("night-1"))  # and a third attempt stays silent too
    assert len(world.digests()) == int(reached_sns) and again.report["notification"].startswith("unconfirmed:")


def test_a_retry_after_midnight_finds_the_earlier_attempt_and_sends_no_second_digest(world: World, net: Network):
    """Scheduled at 23:50 UTC (midnight in Berlin is 23:00 UTC in winter), retried after 00:00:
    the report is filed under the day the run was due, so the retry finds the first copy."""
    due = NOW.replace(hour=23, minute=50)
    world.clock.move_to(due)
    world.build(*fleet())
    net.crash(call("sns:Publish"), after=True)
    with pytest.raises(Crash):
        world.invoke(scheduled("night-1", due))
    net.clear()
    world.restart()
    world.clock.move_to(due + timedelta(minutes=25))  # the next day, in UTC
    retry = world.invoke(scheduled("night-1", due))

    assert len(world.digests()) == 1
    assert retry.response["report_location"].endswith(f"/reports/{due:%Y/%m/%d}/night-1.json")
    assert retry.report["notification"].startswith("unconfirmed: an earlier attempt of run night-1")


def test_retry_reports_what_the_crashed_attempt_did(world: World, net: Network):
    _, retry = _crash_then_retry(world, net, "after-deleting")

    assert ("us-east-1", "idle-due") in retry.verdicts()
    assert retry.finding("idle-due")["action"] == "delete"
    assert retry.finding("idle-due")["action_result"] == "done: by an earlier attempt of run night-1"
    assert retry.report["summary"]["actions"]["delete:done"] == 1
    [text] = world.digest_texts()  # the one digest, sent by the retry, tells of the deletion
    assert "idle-due" in text and "deleted" in text


def test_a_crashed_attempt_and_its_retry_stay_within_one_cap(world: World, net: Network):
    world.build(*fleet())
    net.crash(call("sagemaker:UpdateEndpointWeightsAndCapacities"), after=True)  # the first reclaim of the run
    with pytest.raises(Crash):
        world.invoke(scheduled("night-1"), max_actions_per_run=1)
    net.clear()
    world.restart()
    retry = world.invoke(scheduled("night-1"), max_actions_per_run=1)

    reclaims = net.delivered["sagemaker:DeleteEndpoint"] + net.delivered["sagemaker:UpdateEndpointWeightsAndCapacities"]
    assert reclaims <= 1, "run night-1 reclaimed more endpoints than max_actions_per_run=1"
    assert "idle-due" in world.state() and world.records("idle-due") == []
    assert retry.finding("idle-due")["action_result"].startswith("skipped: deferred")
    assert retry.finding("idle-due-scale")["action_result"].startswith("done")
