"""The run nears Lambda's time limit (a throttled night, a slow region): it starts no reclaim
it could not finish, so the digest still goes out and nothing is left half-done.

The world waits 0 s for a state change (faultworld.FAST), so one reclaim is taken to need
only the digest's reserve, reclaim.DIGEST_SECONDS (60 s); in Lambda it is 2 x 60 s more."""

from __future__ import annotations

from datetime import timedelta

from faultnet import Network, call
from faultworld import FLEET_CHANGES, World, fleet
from oracle import assert_only_reported_changes


class LambdaContext:
    """The part of Lambda's context the handler reads: the time left, frozen at `seconds`."""

    aws_request_id = "req-time-limit"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def get_remaining_time_in_millis(self) -> int:
        return int(self.seconds * 1000)


def _deferred_for_time(outcome, name: str) -> bool:
    result = outcome.finding(name)["action_result"] or ""
    return result.startswith("skipped: deferred: ") and "before the function's time limit" in result


def test_too_little_time_left_after_the_scan_starts_no_reclaim(world: World, net: Network):
    world.build(*fleet())
    before = world.state()
    net.before(call("sagemaker:AddTags"), lambda _: world.clock.shift(timedelta(seconds=50)), times=1)
    outcome = world.invoke(context=LambdaContext(100))  # scanned in time; then 50 s left

    assert assert_only_reported_changes(world, before, outcome) == {"busy-marked": {"unmarked"},
                                                                    "idle-fresh": {"marked"}}
    assert _deferred_for_time(outcome, "idle-due") and _deferred_for_time(outcome, "idle-due-scale")
    assert world.records() == []
    assert outcome.status == "ok" and len(world.digests()) == 1


def test_enough_time_left_reclaims_as_usual(world: World, net: Network):
    world.build(*fleet())
    before = world.state()
    outcome = world.invoke(context=LambdaContext(900))

    assert assert_only_reported_changes(world, before, outcome) == FLEET_CHANGES


def test_time_running_out_during_the_run_stops_before_the_next_reclaim(world: World, net: Network):
    world.build(*fleet())
    before = world.state()
    first = call("sagemaker:DeleteEndpoint")
    net.before(first, lambda _: world.clock.shift(timedelta(seconds=50)), times=1)  # a slow first reclaim
    net.before(call("sagemaker:UpdateEndpointWeightsAndCapacities"),
               lambda _: world.clock.shift(timedelta(seconds=50)), times=1)
    outcome = world.invoke(context=LambdaContext(100))

    happened = assert_only_reported_changes(world, before, outcome)
    reclaimed = {name for name, kinds in happened.items() if kinds & {"deleted", "scaled"}}
    assert len(reclaimed) == 1  # the first one, then 50 s were left: too few for another
    [waiting] = {"idle-due", "idle-due-scale"} - reclaimed
    assert _deferred_for_time(outcome, waiting)
    assert outcome.status == "ok" and len(world.digests()) == 1


def test_a_scan_that_runs_into_the_time_limit_gives_up_the_region_and_still_reports(world: World, net: Network):
    """A night so throttled that the scan itself nears the limit: the region is not seen, nothing
    there is touched, and the report and digest go out before Lambda stops the function."""
    world.build(*fleet())
    before = world.state()
    net.before(call("cloudwatch:GetMetricData"), lambda _: world.clock.shift(timedelta(seconds=60)), times=1)
    outcome = world.invoke(context=LambdaContext(100))  # the scan must stop 60 s before the limit

    assert world.state() == before and world.records() == []
    assert outcome.report["endpoints"] == []
    [error] = outcome.response["errors"]
    assert error.startswith("us-east-1: time limit: scan stopped before describing 7 low-traffic endpoints")
    assert outcome.status == "incomplete"
    [(_, _, attributes)] = world.digests()
    assert attributes["severity"]["Value"] == "error"
