"""SNS Publish fails: the reclaim is not undone or skipped for it, the stored report says the
digest failed and why, and the run ends incomplete so the failure alarm sees it."""

from __future__ import annotations

import pytest
from faultnet import Network, call
from faultworld import FLEET_CHANGES, FLEET_OUTCOME, World, fleet
from oracle import assert_only_reported_changes

PUBLISH = call("sns:Publish")


def _refused(net: Network) -> None:
    net.refuse(PUBLISH, "AuthorizationError", "not authorized to publish to the topic", 403)


def _throttled(net: Network) -> None:
    net.throttle(1.0, seed=3, match=PUBLISH)


def _unreachable(net: Network) -> None:
    net.unreachable(PUBLISH)


@pytest.mark.parametrize(("fault", "words"), [(_refused, "AuthorizationError"), (_throttled, "Throttling"),
                                              (_unreachable, "Could not connect")],
                         ids=["refused", "throttled", "unreachable"])
def test_digest_not_sent_is_recorded_and_nothing_else_changes(world: World, net: Network, fault, words: str):
    world.build(*fleet())
    before = world.state()
    fault(net)
    outcome = world.invoke()

    assert world.digests() == []
    assert outcome.status == "incomplete"
    notification = outcome.report["notification"]  # the stored copy, written after the attempt
    assert notification.startswith("failed: ") and words in notification
    assert any(e.startswith("global: sns:Publish: digest not sent to") and words in e
               for e in outcome.response["errors"])
    assert {name: result for (_, name), result in outcome.verdicts().items()} == FLEET_OUTCOME
    assert assert_only_reported_changes(world, before, outcome) == FLEET_CHANGES
    assert len(world.records()) == 2
