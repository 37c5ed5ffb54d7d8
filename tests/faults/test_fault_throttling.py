"""Throttling: 30% of all calls answered ThrottlingException (SlowDown for S3), retried by
botocore in adaptive mode. The run must come out exactly as without faults; throttling that
never clears must leave endpoints unknown and untouched."""

from __future__ import annotations

import time
from typing import Any

import pytest
from faultnet import Network, call
from faultworld import Outcome, World, fleet, new_account
from oracle import assert_only_reported_changes

from tests.support.names import REGION


def _run(world: World, net: Network) -> tuple[Outcome, dict, list[tuple[str, dict]], list[str], float]:
    """Build the fleet, invoke once: (outcome, state after, records, digest subjects, wall seconds)."""
    world.build(*fleet())
    before = world.state()
    net.reset_counts()
    began = time.perf_counter()
    outcome = world.invoke()
    wall = time.perf_counter() - began
    assert_only_reported_changes(world, before, outcome)
    records = [(key, _comparable(world.record(key))) for key in world.records()]
    return outcome, world.state(), records, [subject for _, subject, _ in world.digests()], wall


def _comparable(value: Any) -> Any:
    """A record without the ARNs moto makes up at random for autoscaling objects."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if k not in ("PolicyARN", "ScalableTargetARN")}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


# Seeds whose storm hits every service the assertion below names (the scan makes few CloudWatch calls:
# the listings, the reads, the re-check; a seed that happens to spare them all proves nothing).
@pytest.mark.parametrize("seed", [7, 42])
def test_thirty_percent_throttling_changes_nothing_in_the_outcome(world: World, net: Network, seed: int):
    calm, calm_state, calm_records, calm_digests, calm_wall = _run(world, net)

    net.throttle(0.3, seed=seed)
    stormy, stormy_state, stormy_records, stormy_digests, stormy_wall = _run(new_account(world), net)

    attempts, throttled = sum(net.attempts.values()), sum(net.injected.values())
    assert 0.2 < throttled / attempts < 0.4, (throttled, attempts)  # the storm really happened
    assert {name.split(" ")[1].split(":")[0] for name in net.injected} >= {"sagemaker", "cloudwatch", "s3"}
    # the same run: verdicts, actions and results, account, restore records, digest
    assert stormy.verdicts() == calm.verdicts()
    assert stormy.status == calm.status == "ok" and stormy.response["errors"] == []
    assert stormy_state == calm_state
    assert stormy_records == calm_records and len(stormy_records) == 2  # one delete, one scale-down
    assert stormy_digests == calm_digests and len(stormy_digests) == 1
    assert stormy.report["notification"].startswith("sent: ")
    print(f"\nthrottled run (seed {seed}): {stormy_wall:.2f} s wall, fault-free {calm_wall:.2f} s; "
          f"{attempts} attempts, {throttled} throttled, botocore back-off requested {sum(net.slept):.1f} s "
          f"in {len(net.slept)} sleeps (max {max(net.slept):.1f} s)")


def test_throttling_that_never_clears_leaves_endpoints_unknown_and_untouched(world: World, net: Network):
    world.build(*fleet())
    before = world.state()
    net.throttle(1.0, seed=1, match=call("cloudwatch:GetMetricData", REGION))
    outcome = world.invoke()

    assert_only_reported_changes(world, before, outcome)
    assert world.state() == before and world.records() == []
    assert {verdict for verdict, _, _ in outcome.verdicts().values()} <= {"unknown", "too-new"}
    assert all(action == "none" for _, action, _ in outcome.verdicts().values())
    assert outcome.status == "incomplete"
    assert (REGION, "cloudwatch:GetMetricData") in outcome.errors()
    assert any("ThrottlingException" in e for e in outcome.response["errors"])
    assert net.injected["throttle cloudwatch:GetMetricData"] >= 10  # botocore retried before giving up
    [(_, _subject, attributes)] = world.digests()
    assert attributes["severity"]["Value"] == "error"
