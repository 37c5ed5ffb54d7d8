"""One region unreachable: the other region is reported and acted on as usual; the lost
region's errors are listed and nothing there is touched, not even a mark."""

from __future__ import annotations

import pytest
from faultnet import Network, call
from faultworld import World, fleet, reclaim_starts
from oracle import assert_only_reported_changes

from tests.support.names import OTHER_REGION, REGION


def _two_regions(world: World) -> None:
    world.regions = (REGION, OTHER_REGION)
    world.build(*fleet(REGION), *fleet(OTHER_REGION, suffix="-eu"))


@pytest.mark.parametrize("lost", ["sagemaker:*", "cloudwatch:*", "*"], ids=["sagemaker", "cloudwatch", "every-service"])
def test_unreachable_region_is_reported_and_left_alone(world: World, net: Network, lost: str):
    _two_regions(world)
    before = {region: world.state(region) for region in world.regions}
    service = lost.split(":")[0]
    net.unreachable(lambda r: r.region == OTHER_REGION and service in ("*", r.service))
    outcome = world.invoke()

    # the reachable region: every path of a nightly run, as without the fault
    east = assert_only_reported_changes(world, before[REGION], outcome, REGION)
    assert east == {"busy-marked": {"unmarked"}, "idle-due": {"deleted"}, "idle-due-scale": {"scaled"},
                    "idle-fresh": {"marked"}}
    # the lost region: nothing changed, nothing recorded, what could not be seen is listed
    with net.paused():
        assert world.state(OTHER_REGION) == before[OTHER_REGION]
    assert world.records(region=OTHER_REGION) == []
    assert outcome.status == "incomplete"
    lost_errors = [op for region, op in outcome.errors() if region == OTHER_REGION]
    assert lost_errors, outcome.response["errors"]
    assert all("Could not connect" in e for e in outcome.response["errors"] if e.startswith(OTHER_REGION))
    findings = [f for f in outcome.report["endpoints"] if f["region"] == OTHER_REGION]
    if service == "cloudwatch":  # listed and described, but without metrics: unknown, never idle
        assert findings and {f["verdict"] for f in findings} <= {"unknown", "too-new"}
    else:  # not even listed
        assert findings == []
    assert all(f["action"] in ("none",) for f in findings)
    # one digest, flagged as an error, naming the region
    [(_, _subject, attributes)] = world.digests()
    assert attributes["severity"]["Value"] == "error"
    assert (REGION, "sagemaker:ListEndpoints") not in outcome.errors()


def test_region_lost_between_scan_and_action_acts_on_nothing_there(world: World, net: Network):
    """The region answers the scan, then stops answering: marks and reclaims there fail
    cleanly (reported), nothing half-done, and the other region is unaffected."""
    _two_regions(world)
    before = {region: world.state(region) for region in world.regions}
    scanned = {"done": False}

    def scan_over(_):  # reclaim's first call: looking for marks on busy endpoints (tagging API)
        scanned["done"] = True

    net.before(call("resourcegroupstaggingapi:GetResources", when=reclaim_starts), scan_over)
    net.unreachable(lambda r: r.region == OTHER_REGION and scanned["done"])
    outcome = world.invoke()

    assert_only_reported_changes(world, before[REGION], outcome, REGION)
    with net.paused():
        assert world.state(OTHER_REGION) == before[OTHER_REGION]
    assert world.records(region=OTHER_REGION) == []
    eu = {name: (verdict, action, result) for (region, name), (verdict, action, result)
          in outcome.verdicts().items() if region == OTHER_REGION}
    assert eu["idle-fresh-eu"][1:] == ("mark", eu["idle-fresh-eu"][2]) and eu["idle-fresh-eu"][2].startswith("failed")
    # the scan read its mark with the region's tags, so the unmark is tried, and fails cleanly: said so
    assert eu["busy-marked-eu"][1] == "unmark" and eu["busy-marked-eu"][2].startswith("failed")
    assert (OTHER_REGION, "tag:GetResources") in outcome.errors()
    for action in ("delete", "scale-down"):
        name = "idle-due-eu" if action == "delete" else "idle-due-scale-eu"
        assert eu[name][1] == action and eu[name][2].startswith("skipped: re-check could not read its traffic")
    assert outcome.status == "incomplete"
