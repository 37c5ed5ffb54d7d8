"""Thirty nights of the scheduled function in act mode on one account, with time travel.

The story (grace 3 nights, at most 2 destructive actions a night, digest on nights with actions):

  night 1   six idle opted-in endpoints are marked
  night 3   echo-returns got traffic again during its grace period: unmarked, never deleted
  night 4   grace over for five: the two most expensive are deleted, three deferred by the cap
  night 5   the next two (a scale-down and a delete), one still deferred
  night 6   the last one, foxtrot-restored, is deleted
  day 8     its owner restores it from the ledger; it is a new endpoint now: too new to judge
  night 16  seven days old and still idle: marked afresh (not from its old mark)
  night 19  deleted again, with a second record of its own

Traffic is published day by day as SageMaker would: the busy endpoint every hour, the one
that came back a few calls every day from day 2. Asserted: every night's report, the
sequence of digests, the final account and the ledger.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from faultworld import NOW, World, scheduled
from oracle import assert_only_reported_changes

from cost_watcher.reclaim.ledger import open_ledger
from cost_watcher.reclaim.restore import restore
from cost_watcher.sim.specs import VariantSpec, busy
from tests.support.fleet import spec
from tests.support.names import FAST, MARK, RECLAIM, REGION

NIGHTS = 30
RESTORED_AFTER_NIGHT = 8
DELETE = {RECLAIM: "delete"}


def night_time(night: int):
    return NOW + timedelta(days=night - 1)


def _account(world: World) -> None:
    world.build(
        spec("alpha-4xl", instance_type="ml.m5.4xlarge", tags=DELETE),
        spec("bravo-2xl", instance_type="ml.m5.2xlarge", tags=DELETE),
        spec("charlie-xl", instance_type="ml.m5.xlarge", tags=DELETE),
        spec("india-scale", count=3, autoscaling=(2, 4, 100), tags={RECLAIM: "scale-down"}),
        spec("foxtrot-restored", tags=DELETE),
        spec("echo-returns", tags=DELETE),
        spec("golf-busy", tags=DELETE, variants=(VariantSpec(traffic=busy(120)),)),
        spec("hotel-untagged", tags={"team": "research"}),
    )


def _publish_day(world: World, night: int) -> None:
    """The day before `night`: golf-busy every hour, echo-returns a few calls from day 2 on."""
    end = night_time(night).replace(minute=0)
    data = []
    for hour in range(1, 25):
        stamp = end - timedelta(hours=hour)
        data.append(("golf-busy", stamp, 100.0))
        if night >= 3 and hour == 14:
            data.append(("echo-returns", stamp, 5.0))
    with world.net.paused():
        world.clients.cloudwatch(REGION).put_metric_data(Namespace="AWS/SageMaker", MetricData=[
            {"MetricName": "Invocations", "Timestamp": stamp, "Value": value, "Unit": "None",
             "Dimensions": [{"Name": "EndpointName", "Value": name}, {"Name": "VariantName", "Value": "AllTraffic"}]}
            for name, stamp, value in data])


@pytest.mark.slow
def test_thirty_nights(world: World):
    _account(world)
    settings = {"grace_days": 3, "max_actions_per_run": 2, "notify": "actions"}
    history: dict[int, dict[str, tuple[str, str, str | None]]] = {}
    digests_by_night: dict[int, list] = {}
    for night in range(1, NIGHTS + 1):
        world.clock.move_to(night_time(night))
        if night > 1:
            _publish_day(world, night)
        before = world.state()
        seen = len(world.digests())
        outcome = world.invoke(scheduled(f"night-{night}", night_time(night)), **settings)
        assert outcome.status == "ok", (night, outcome.response["errors"])
        assert_only_reported_changes(world, before, outcome)
        history[night] = {name: result for (_, name), result in outcome.verdicts().items()}
        digests_by_night[night] = world.digests()[seen:]
        if night == RESTORED_AFTER_NIGHT:
            world.clock.move_to(night_time(night) + timedelta(hours=8))
            with world.net.paused():
                result = restore("foxtrot-restored", REGION, open_ledger("s3://cw-ledger/prod", world.clients),
                                 world.clients, wait=FAST)
            assert result.status == "restored", result

    # --- night by night -------------------------------------------------------------------
    def actions(name: str) -> dict[int, tuple[str, str | None]]:
        return {n: (h[name][1], h[name][2]) for n, h in history.items() if name in h and h[name][1] != "none"}

    for name in ("alpha-4xl", "bravo-2xl"):
        assert actions(name) == {1: ("mark", "done"), 4: ("delete", "done")}
    assert actions("charlie-xl") == {1: ("mark", "done"), 4: ("delete", _deferred()), 5: ("delete", "done")}
    assert actions("india-scale") == {1: ("mark", "done"), 4: ("scale-down", _deferred()),
                                      5: ("scale-down", "done")}
    assert actions("foxtrot-restored") == {1: ("mark", "done"), 4: ("delete", _deferred()),
                                           5: ("delete", _deferred()), 6: ("delete", "done"),
                                           16: ("mark", "done"), 19: ("delete", "done")}
    assert actions("echo-returns") == {1: ("mark", "done"), 3: ("unmark", "done")}
    assert actions("golf-busy") == actions("hotel-untagged") == {}
    # echo-returns was active every night after its traffic came back; hotel-untagged idle, never touched
    assert {history[n]["echo-returns"][0] for n in range(3, NIGHTS + 1)} == {"active"}
    assert {history[n]["hotel-untagged"][0] for n in history} == {"idle"}
    assert {history[n]["golf-busy"][0] for n in history} == {"active"}
    # the restored endpoint is judged afresh: too new for a week, then idle again
    restored = [history[n].get("foxtrot-restored", ("gone",))[0] for n in range(7, 21)]
    assert restored == ["gone", "gone"] + ["too-new"] * 7 + ["idle"] * 4 + ["gone"]  # deleted during night 19
    # the cap held every night
    for night, findings in history.items():
        done = [n for n, (_, action, result) in findings.items() if action in ("delete", "scale-down")
                and result == "done"]
        assert len(done) <= settings["max_actions_per_run"], (night, done)

    # --- the digests: one on each night with actions, none on the others --------------------
    assert {n for n, sent in digests_by_night.items() if sent} == {1, 3, 4, 5, 6, 16, 19}
    assert all(len(sent) <= 1 for sent in digests_by_night.values())
    taken = {n: int(sent[0][2]["actions_taken"]["Value"]) for n, sent in digests_by_night.items() if sent}
    assert taken == {1: 6, 3: 1, 4: 2, 5: 2, 6: 1, 16: 1, 19: 1}
    assert {sent[0][2]["severity"]["Value"] for sent in digests_by_night.values() if sent} == {"action"}

    # --- the final account and the ledger ---------------------------------------------------
    final = world.state()
    assert sorted(final) == ["echo-returns", "golf-busy", "hotel-untagged", "india-scale"]
    assert MARK not in final["echo-returns"]["tags"]
    assert final["india-scale"]["instances"] == {"AllTraffic": (1, 1)}
    assert final["india-scale"]["scaling"] == {"endpoint/india-scale/variant/AllTraffic": (1, 4)}
    records = {}
    for key in world.records():
        records.setdefault(key.split("/")[3], []).append(key.rsplit("-", 1)[-1].removesuffix(".json"))
    assert records == {"alpha-4xl": ["delete"], "bravo-2xl": ["delete"], "charlie-xl": ["delete"],
                       "india-scale": ["down"], "foxtrot-restored": ["delete", "restore", "delete"]}
    first, _, second = (world.record(key) for key in world.records("foxtrot-restored"))
    assert first["state"]["created"] != second["state"]["created"]  # two incarnations, two records
    with world.net.paused():
        sagemaker = world.clients.sagemaker(REGION)
        for name in ("alpha-4xl", "bravo-2xl", "charlie-xl", "foxtrot-restored"):
            assert sagemaker.describe_endpoint_config(EndpointConfigName=f"{name}-config")  # kept for restore
            assert sagemaker.describe_model(ModelName=f"{name}-model")
        reports = world.clients.s3().list_objects_v2(Bucket="cw-ledger", Prefix="prod/reports/")["KeyCount"]
    assert reports == NIGHTS


def _deferred() -> str:
    from cost_watcher.judge.policy import deferred_reason

    return f"skipped: {deferred_reason(2)}"
