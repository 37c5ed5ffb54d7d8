"""Quiet-hours schedules against moto (which implements Application Auto Scaling scheduled actions):
found, marked, applied after the grace period (record first, target registered, two actions a
window with a time zone), left alone where the owner has scheduled actions of their own,
withdrawn when traffic comes into a quiet window, and undone by `restore`.

moto does not run scheduled actions; where the test needs a window to have fired, it sets the
count a scale-in would have set. AWS needs a target before an action (moto does not): the
engine registers one first either way, and the test checks it did.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cost_watcher.engine import run
from cost_watcher.reclaim.actions import Wait
from cost_watcher.reclaim.ledger import open_ledger
from cost_watcher.reclaim.restore import restore
from cost_watcher.reclaim.scheduled_actions import NAME_PREFIX
from cost_watcher.settings import Settings
from cost_watcher.sim.account import build_account
from cost_watcher.sim.specs import EndpointSpec, VariantSpec, office_hours
from tests.conftest import new_clients
from tests.support.names import PREFIX, RECLAIM, REGION

NOW = datetime(2025, 3, 10, 2, 0, tzinfo=UTC)  # Monday, 02:00: the nightly run, inside the weekend window
QUIET = PREFIX + "quiet-since"
VARIANT = "endpoint/{}/variant/AllTraffic"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
FAST = Wait(delay=0, attempts=1)


def office(name, tags, **kwargs):
    traffic = office_hours(NOW + timedelta(days=10), 500)  # data published up to ten days ahead of the clock
    return EndpointSpec(name, REGION, (VariantSpec(instance_type="ml.c5.xlarge", count=3, traffic=traffic),),
                        tags=tags, **kwargs)


@pytest.fixture
def account(tmp_path):
    import time_machine
    from moto import mock_aws

    with time_machine.travel(NOW, tick=False) as clock, mock_aws():
        clients = new_clients()
        build_account(clients, [
            office("claims-assistant", {RECLAIM: "schedule"}),
            office("their-schedule", {RECLAIM: "schedule"}, autoscaling=(2, 4, 600)),
            office("not-opted-in", {"team": "claims"}),
        ], NOW + timedelta(days=10), history_days=30)
        clients.autoscaling(REGION).put_scheduled_action(
            ServiceNamespace="sagemaker", ScheduledActionName="month-end-peak", Schedule="cron(0 6 L * ? *)",
            ResourceId=VARIANT.format("their-schedule"), ScalableDimension=DIMENSION,
            ScalableTargetAction={"MinCapacity": 4, "MaxCapacity": 4})
        clients.calls.clear()
        yield clients, clock, str(tmp_path / "ledger")


def night(clients, clock, ledger, day, seconds_left=None, **changes):
    clock.move_to(NOW + timedelta(days=day))
    values = {"regions": (REGION,), "dry_run": False, "pricing": "table", "ledger": ledger, "grace_days": 3,
              "notify": "never", **changes}
    settings = Settings(**values)
    deadline = None if seconds_left is None else NOW + timedelta(days=day, seconds=seconds_left)
    report = run(settings, clients, NOW + timedelta(days=day), deadline=deadline)
    return {f.name: f for f in report.findings}, report


def ours(clients, name):
    found = clients.autoscaling(REGION).describe_scheduled_actions(
        ServiceNamespace="sagemaker", ResourceId=VARIANT.format(name))["ScheduledActions"]
    return {a["ScheduledActionName"]: a for a in found}


def target(clients, name):
    found = clients.autoscaling(REGION).describe_scalable_targets(
        ServiceNamespace="sagemaker", ResourceIds=[VARIANT.format(name)])["ScalableTargets"]
    return (found[0]["MinCapacity"], found[0]["MaxCapacity"]) if found else None


def tags(clients, name):
    sagemaker = clients.sagemaker(REGION)
    arn = sagemaker.describe_endpoint(EndpointName=name)["EndpointArn"]
    return {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=arn)["Tags"]}


def records(ledger, name):
    return [key.rsplit("-", 1)[-1] for key in open_ledger(ledger, None).records(name, REGION)]


def test_found_marked_applied_rechecked_and_restored(account):
    clients, clock, ledger = account
    first, report = night(clients, clock, ledger, 0)
    claims = first["claims-assistant"]
    assert claims.schedule.windows == [{"days": ["Mon", "Tue", "Wed", "Thu"], "from": "19:00", "to": "07:00",
                                        "hours": 12},
                                       {"days": ["Fri"], "from": "19:00", "to": "07:00", "hours": 60}]
    assert claims.schedule.scale_to == {"AllTraffic": 1} and claims.schedule.monthly_savings_usd > 0
    assert (str(claims.action), claims.action_result) == ("mark", "done")
    assert tags(clients, "claims-assistant")[QUIET] == "2025-03-10"
    assert first["not-opted-in"].schedule is not None and str(first["not-opted-in"].action) == "none"
    assert report.api_calls.get("application-autoscaling:PutScheduledAction", 0) == 0
    summary_total = sum(f.schedule.monthly_savings_usd for f in first.values() if f.schedule)
    from cost_watcher.record import summarize
    assert summarize(report)["schedule_savings_usd"] == round(summary_total, 2)
    assert summarize(report)["reclaimable_usd"] == 0  # quiet hours are not idle waste

    grace, _ = night(clients, clock, ledger, 2)
    assert str(grace["claims-assistant"].action) == "none" and "grace period" in grace["claims-assistant"].action_reason

    applied, report = night(clients, clock, ledger, 4)
    claims = applied["claims-assistant"]
    assert (str(claims.action), claims.action_result) == ("schedule", "done"), claims.action_reason
    assert records(ledger, "claims-assistant") == ["schedule.json"]
    assert target(clients, "claims-assistant") == (3, 3)  # registered at its own count: nothing changes by day
    actions = ours(clients, "claims-assistant")
    assert sorted(actions) == [f"{NAME_PREFIX}1-in", f"{NAME_PREFIX}1-out", f"{NAME_PREFIX}2-in",
                               f"{NAME_PREFIX}2-out"]
    assert actions[f"{NAME_PREFIX}1-in"]["Schedule"] == "cron(0 19 ? * MON,TUE,WED,THU *)"
    assert actions[f"{NAME_PREFIX}1-in"]["ScalableTargetAction"] == {"MinCapacity": 1, "MaxCapacity": 1}
    assert actions[f"{NAME_PREFIX}2-out"]["Schedule"] == "cron(0 7 ? * MON *)"
    assert actions[f"{NAME_PREFIX}2-out"]["ScalableTargetAction"] == {"MinCapacity": 3, "MaxCapacity": 3}
    assert {a["Timezone"] for a in actions.values()} == {"UTC"}
    # the owner's own scheduled action: never added to, never changed
    theirs = applied["their-schedule"]
    assert str(theirs.action_result).startswith("skipped") and "month-end-peak" in theirs.action_result
    assert sorted(ours(clients, "their-schedule")) == ["month-end-peak"]
    assert target(clients, "their-schedule") == (2, 4)

    # the weekend window fired (moto does not run scheduled actions): the variant is at 1 now
    clients.sagemaker(REGION).update_endpoint_weights_and_capacities(
        EndpointName="claims-assistant",
        DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredInstanceCount": 1, "DesiredWeight": 1.0}])
    again, report = night(clients, clock, ledger, 5)
    claims = again["claims-assistant"]
    assert str(claims.action) == "none" and "in place" in claims.action_reason
    assert claims.schedule.scale_to == {"AllTraffic": 1} and claims.schedule.monthly_savings_usd > 0  # recorded 3
    assert records(ledger, "claims-assistant") == ["schedule.json"]

    result = restore("claims-assistant", REGION, open_ledger(ledger, clients), clients, wait=FAST)
    assert result.status == "restored", result
    assert ours(clients, "claims-assistant") == {}
    assert target(clients, "claims-assistant") is None  # we registered it, so it goes
    live = clients.sagemaker(REGION).describe_endpoint(EndpointName="claims-assistant")
    assert live["ProductionVariants"][0]["DesiredInstanceCount"] == 3
    assert QUIET not in tags(clients, "claims-assistant")
    assert restore("claims-assistant", REGION, open_ledger(ledger, clients), clients, wait=FAST).status == \
        "already restored"


def test_traffic_in_a_quiet_window_withdraws_the_schedule(account):
    clients, clock, ledger = account
    night(clients, clock, ledger, 0)
    night(clients, clock, ledger, 4)
    assert len(ours(clients, "claims-assistant")) == 4
    # a night shift starts: calls at 02:00-03:00 on the nights after the schedule was applied
    stamps = [NOW + timedelta(days=day, hours=hour) for day in (4, 5, 6) for hour in (0, 1)]
    clients.cloudwatch(REGION).put_metric_data(Namespace="AWS/SageMaker", MetricData=[
        {"MetricName": "Invocations", "Timestamp": stamp, "Value": 400.0, "Unit": "None",
         "Dimensions": [{"Name": "EndpointName", "Value": "claims-assistant"},
                        {"Name": "VariantName", "Value": "AllTraffic"}]} for stamp in stamps])
    withdrawn, _ = night(clients, clock, ledger, 7)
    claims = withdrawn["claims-assistant"]
    assert (str(claims.action), claims.action_result) == ("unschedule", "done"), claims.action_reason
    assert "traffic came into its quiet window" in claims.action_reason
    assert ours(clients, "claims-assistant") == {}
    assert target(clients, "claims-assistant") == (3, 3)  # its own fixed count again
    assert QUIET not in tags(clients, "claims-assistant")
    assert records(ledger, "claims-assistant") == ["schedule.json", "unschedule.json"]
    result = restore("claims-assistant", REGION, open_ledger(ledger, clients), clients, wait=FAST)
    assert result.status == "restored", result
    assert target(clients, "claims-assistant") is None


def test_a_dry_run_plans_and_changes_nothing_and_the_time_zone_is_the_schedules(account):
    clients, clock, ledger = account
    planned, _ = night(clients, clock, ledger, 0, dry_run=True, timezone="Europe/Paris")
    claims = planned["claims-assistant"]
    assert (str(claims.action), claims.action_result) == ("mark", "planned")
    assert claims.schedule.timezone == "Europe/Paris"
    assert claims.schedule.windows[0]["from"] == "20:00"  # 19:00 UTC is 20:00 in Paris in March
    assert QUIET not in tags(clients, "claims-assistant")
    night(clients, clock, ledger, 0, timezone="Europe/Paris")
    night(clients, clock, ledger, 4, timezone="Europe/Paris")
    assert {a["Timezone"] for a in ours(clients, "claims-assistant").values()} == {"Europe/Paris"}


def test_an_owner_who_removes_the_opt_in_gets_the_schedule_withdrawn(account):
    clients, clock, ledger = account
    night(clients, clock, ledger, 0)
    night(clients, clock, ledger, 4)
    sagemaker = clients.sagemaker(REGION)
    arn = sagemaker.describe_endpoint(EndpointName="claims-assistant")["EndpointArn"]
    sagemaker.delete_tags(ResourceArn=arn, TagKeys=[RECLAIM])
    after, _ = night(clients, clock, ledger, 5)
    claims = after["claims-assistant"]
    assert (str(claims.action), claims.action_result) == ("unschedule", "done"), claims.action_reason
    assert "removed" in claims.action_reason and ours(clients, "claims-assistant") == {}
    assert QUIET not in tags(clients, "claims-assistant")
    quiet, _ = night(clients, clock, ledger, 6)
    assert str(quiet["claims-assistant"].action) == "none"  # nothing of ours left to re-check


def test_traffic_around_the_clock_withdraws_a_schedule_the_scan_no_longer_describes(account):
    clients, clock, ledger = account
    night(clients, clock, ledger, 0)
    night(clients, clock, ledger, 4)
    stamps = [NOW + timedelta(hours=hour) for hour in range(4 * 24, 11 * 24)]
    for start in range(0, len(stamps), 500):
        clients.cloudwatch(REGION).put_metric_data(Namespace="AWS/SageMaker", MetricData=[
            {"MetricName": "Invocations", "Timestamp": stamp, "Value": 500.0, "Unit": "None",
             "Dimensions": [{"Name": "EndpointName", "Value": "claims-assistant"},
                            {"Name": "VariantName", "Value": "AllTraffic"}]} for stamp in stamps[start:start + 500]])
    busy, _ = night(clients, clock, ledger, 11)
    claims = busy["claims-assistant"]
    assert not claims.endpoint.described  # busy every hour: the scan spends no call on it...
    assert (str(claims.action), claims.action_result) == ("unschedule", "done"), claims.action_reason
    assert "no quiet window" in claims.action_reason  # ...yet our mark was found and the schedule withdrawn
    assert ours(clients, "claims-assistant") == {} and QUIET not in tags(clients, "claims-assistant")


def test_a_timetable_that_moved_updates_our_actions_in_place(account):
    clients, clock, ledger = account
    night(clients, clock, ledger, 0)
    night(clients, clock, ledger, 4)
    assert ours(clients, "claims-assistant")[f"{NAME_PREFIX}1-out"]["Schedule"] == "cron(0 7 ? * TUE,WED,THU,FRI *)"
    moved, _ = night(clients, clock, ledger, 5, schedule_margin_hours=2)  # capacity back two hours ahead now
    claims = moved["claims-assistant"]
    assert (str(claims.action), claims.action_result) == ("schedule", "done"), claims.action_reason
    assert "timetable moved" in claims.action_reason
    actions = ours(clients, "claims-assistant")
    assert actions[f"{NAME_PREFIX}1-out"]["Schedule"] == "cron(0 6 ? * TUE,WED,THU,FRI *)"
    assert actions[f"{NAME_PREFIX}1-out"]["ScalableTargetAction"] == {"MinCapacity": 3, "MaxCapacity": 3}
    assert len(actions) == 4 and target(clients, "claims-assistant") == (3, 3)  # originals kept, not re-read
    assert records(ledger, "claims-assistant") == ["schedule.json", "schedule.json"]


def test_no_schedule_is_started_when_the_functions_time_limit_is_near(account):
    clients, clock, ledger = account
    night(clients, clock, ledger, 0)
    # 75 s left: enough to scan and send the digest (60 s), not for a schedule change as well
    late, report = night(clients, clock, ledger, 4, seconds_left=75)
    claims = late["claims-assistant"]
    assert str(claims.action) == "schedule" and claims.action_result.kind == "skipped"
    assert "time limit" in claims.action_result.why and "next run" in claims.action_result.why
    assert report.api_calls.get("application-autoscaling:PutScheduledAction", 0) == 0
    assert not ours(clients, "claims-assistant") and target(clients, "claims-assistant") is None
    applied, _ = night(clients, clock, ledger, 5)
    assert applied["claims-assistant"].action_result == "done"
    assert {name for name in ours(clients, "claims-assistant")} and target(clients, "claims-assistant")
