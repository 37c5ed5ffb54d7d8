"""Twelve nights of the scheduled function with a quiet-hours schedule, with time travel.

The story (grace 2 nights; traffic published day by day as SageMaker would):

  night 1   claims-assistant (office hours, 3 instances, reclaim=schedule) is marked quiet-since
  night 3   grace over, the timetable held: the schedule is applied (record, target, actions)
  nights 4-9  re-checked, left in place
  day 9     a night shift starts: calls at 03:00 UTC every Tuesday from now on
  night 10  traffic came into a quiet window: the schedule is withdrawn, the digest says why
  night 11  the new timetable (Monday night cut at 02:00) is marked afresh
  night 13  and applied, without the hours the night shift uses
always-on (busy every hour, reclaim=schedule) never gets a schedule; nothing else changes.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from faultworld import NOW, World, scheduled

from cost_watcher.sim.specs import EndpointSpec, VariantSpec, busy, office_hours
from tests.support.names import RECLAIM, REGION

NIGHTS = 14
NIGHT_SHIFT_FROM = 10  # the first night whose day before had calls at 03:00 (Tuesday 2025-03-18)
VARIANT = "endpoint/claims-assistant/variant/AllTraffic"


def night_time(night: int):
    return NOW + timedelta(days=night - 1)


def _publish_day(world: World, night: int) -> None:
    end = night_time(night).replace(minute=0)
    data = []
    for hour in range(1, 25):
        stamp = end - timedelta(hours=hour)
        data.append(("always-on", stamp, 100.0))
        if stamp.weekday() < 5 and 8 <= stamp.hour < 19:
            data.append(("claims-assistant", stamp, 500.0))
        if night >= NIGHT_SHIFT_FROM and stamp.weekday() == 1 and stamp.hour == 3:
            data.append(("claims-assistant", stamp, 400.0))
    with world.net.paused():
        world.clients.cloudwatch(REGION).put_metric_data(Namespace="AWS/SageMaker", MetricData=[
            {"MetricName": "Invocations", "Timestamp": stamp, "Value": value, "Unit": "None",
             "Dimensions": [{"Name": "EndpointName", "Value": name}, {"Name": "VariantName", "Value": "AllTraffic"}]}
            for name, stamp, value in data])


def _ours(world: World) -> dict[str, dict]:
    with world.net.paused():
        found = world.clients.autoscaling(REGION).describe_scheduled_actions(
            ServiceNamespace="sagemaker", ResourceId=VARIANT)["ScheduledActions"]
    return {a["ScheduledActionName"]: a for a in found}


@pytest.mark.slow
def test_twelve_nights_of_quiet_hours(world: World):
    world.build(
        EndpointSpec("claims-assistant", REGION, (VariantSpec(instance_type="ml.c5.xlarge", count=3,
                                                              traffic=office_hours(NOW, 500)),),
                     tags={RECLAIM: "schedule"}),
        EndpointSpec("always-on", REGION, (VariantSpec(count=3, traffic=busy(100)),), tags={RECLAIM: "schedule"}),
        history_days=21,
    )
    history: dict[int, dict[str, tuple[str, str | None]]] = {}
    texts: dict[int, list[str]] = {}
    in_place: dict[int, set[str]] = {}
    for night in range(1, NIGHTS + 1):
        world.clock.move_to(night_time(night))
        if night > 1:
            _publish_day(world, night)
        seen = len(world.digest_texts())
        outcome = world.invoke(scheduled(f"night-{night}", night_time(night)), grace_days=2, notify="actions")
        assert outcome.status == "ok", (night, outcome.response["errors"])
        history[night] = {f["name"]: (f["action"], f["action_result"]) for f in outcome.report["endpoints"]}
        texts[night] = world.digest_texts()[seen:]
        in_place[night] = set(_ours(world))
        if night == NIGHT_SHIFT_FROM:
            withdrawn = outcome.finding("claims-assistant")
            assert "traffic came into its quiet window" in withdrawn["action_reason"]
            assert withdrawn["schedule"] is not None  # the new timetable is already reported

    acted = {n: h["claims-assistant"] for n, h in history.items() if h["claims-assistant"][0] != "none"}
    assert acted == {1: ("mark", "done"), 3: ("schedule", "done"), 10: ("unschedule", "done"),
                     11: ("mark", "done"), 13: ("schedule", "done")}
    assert {h["always-on"] for h in history.values()} == {("none", None)}
    # our actions were in place from night 3 to 9, gone on nights 10-12, back (re-cut) from night 13
    assert [n for n, names in in_place.items() if names] == [3, 4, 5, 6, 7, 8, 9, 13, 14]
    assert len(in_place[3]) == 4 and len(in_place[13]) == 6  # Monday night is a window of its own now
    schedules = {a["Schedule"] for a in _ours(world).values()}
    assert {"cron(0 19 ? * MON *)", "cron(0 2 ? * TUE *)"} <= schedules  # capacity back an hour before 03:00
    # one digest on each night with an action, and night 8's says why the schedule went
    assert {n for n, sent in texts.items() if sent} == {1, 3, 10, 11, 13}
    assert "WITHDRAWN: traffic came into its quiet window (Tue 03:00)" in texts[10][0]
    assert "QUIET HOURS" in texts[3][0] and "applied" in texts[3][0]
    keys = world.records("claims-assistant")
    assert [key.rsplit("-", 1)[-1] for key in keys] == ["schedule.json", "unschedule.json", "schedule.json"]
    # the target registered for the first schedule is still known as ours, so restore removes it
    assert [t["RegisteredByUs"] for t in world.record(keys[-1])["targets"]] == [True]
