"""The quiet-hours rule (judge/timetable.py), its schedule (judge/schedule.py) and its nightly policy
(judge/quiet_policy.py), on hourly traffic made here: no AWS."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cost_watcher.judge import quiet_policy, schedule, timetable
from cost_watcher.model import Action, Endpoint, Finding, Variant, Verdict
from cost_watcher.settings import Settings

END = datetime(2025, 4, 9, 2, 0, tzinfo=UTC)  # a Wednesday night; 14 days back crosses Europe's DST change
START = END - timedelta(days=14)
RULE = {"quiet_share_pct": 0.1, "margin_hours": 1, "min_window_hours": 4}


def hourly(busy, start=START, end=END, per_hour=1000.0, timezone="UTC"):
    """Datapoints where `busy(local datetime)` says so, as GetMetricData returns them (hours with data only)."""
    zone, points, hour = ZoneInfo(timezone), [], start
    while hour < end:
        if busy(hour.astimezone(zone)):
            points.append((hour, per_hour))
        hour += timedelta(hours=1)
    return points


def office(local):
    return local.weekday() < 5 and 8 <= local.hour < 19


def find(points, timezone="UTC", created=None, start=START, end=END, **rule):
    return timetable.find(points, start, end, created, timezone, **{**RULE, **rule})


def described(windows):
    return [timetable.describe(group) for group in timetable.groups(windows)]


def test_office_hours_are_quiet_at_night_and_at_weekends_with_an_hour_of_margin():
    found = find(hourly(office))
    assert described(found.windows) == ["Mon-Thu 19:00-07:00", "Fri 19:00-Mon 07:00"]
    assert found.quiet_hours_per_week == 4 * 12 + 60
    assert timetable.crons(timetable.groups(found.windows)[0]) == (
        "cron(0 19 ? * MON,TUE,WED,THU *)", "cron(0 7 ? * TUE,WED,THU,FRI *)")
    assert timetable.crons(timetable.groups(found.windows)[1]) == ("cron(0 19 ? * FRI *)", "cron(0 7 ? * MON *)")


def test_a_wider_margin_brings_capacity_back_earlier():
    assert described(find(hourly(office), margin_hours=3).windows) == ["Mon-Thu 19:00-05:00", "Fri 19:00-Mon 05:00"]


def test_weekend_only_quiet():
    found = find(hourly(lambda local: local.weekday() < 5))
    assert described(found.windows) == ["Sat 00:00-Sun 23:00"]


def test_busy_around_the_clock_has_no_window():
    found = find(hourly(lambda local: True))
    assert found is not None and found.windows == ()


def test_never_invoked_is_idle_not_quiet():
    assert find([]) is None


def test_random_sparse_traffic_has_gaps_not_a_timetable():
    rng = random.Random(13)
    points = [(START + timedelta(hours=h), 1.0) for h in range(14 * 24) if rng.random() < 50 / 168]
    found = find(points)
    assert found is not None and found.windows == ()
    # the same gaps with real traffic around them would be windows: the rule is the traffic's rate
    dense = [(stamp, 1000.0) for stamp, _ in points]
    assert find(dense).windows != ()


def test_a_stray_call_at_night_does_not_wake_the_night_but_regular_traffic_does():
    stray = [*hourly(office), (datetime(2025, 4, 2, 3, 0, tzinfo=UTC), 1.0)]  # Wed 03:00
    assert described(find(stray).windows) == ["Mon-Thu 19:00-07:00", "Fri 19:00-Mon 07:00"]
    regular = hourly(office) + [(d, 400.0) for d in (datetime(2025, 4, 2, 3, 0, tzinfo=UTC),
                                                     datetime(2025, 3, 26, 3, 0, tzinfo=UTC))]
    windows = described(find(regular).windows)
    assert "Mon-Thu 19:00-07:00" not in windows
    woken = find(regular)
    assert 2 * 24 + 3 not in woken.quiet_hours and 2 * 24 + 2 not in woken.quiet_hours  # Wed 03:00 and its margin
    assert 3 in woken.quiet_hours  # Mon 03:00 still quiet
    assert timetable.QuietWindow(24 + 19, 7) in woken.windows  # Tue 19:00 until Wed 02:00; 04:00-07:00 is too short


def test_daylight_saving_change_keeps_local_hours():
    """Paris moved to summer time on 2025-03-30: 08:00 local was 07:00 UTC before, 06:00 after."""
    points = hourly(office, timezone="Europe/Paris")
    paris = find(points, "Europe/Paris")
    assert described(paris.windows) == ["Mon-Thu 19:00-07:00", "Fri 19:00-Mon 07:00"]
    assert paris.quiet_hours_per_week == 108
    # read in UTC, the same traffic straddles two offsets: shorter windows, hours lost to the change
    assert find(points, "UTC").quiet_hours_per_week < paris.quiet_hours_per_week


def test_an_endpoint_seen_for_less_than_two_weeks_has_no_timetable():
    assert find(hourly(office), created=END - timedelta(days=10)) is None
    assert find(hourly(office), created=START) is not None


def test_traffic_that_began_or_stopped_within_the_two_weeks_is_no_timetable():
    began = [(stamp, value) for stamp, value in hourly(lambda local: True) if stamp >= END - timedelta(days=2)]
    assert find(began) is None  # 60 days old, busy for two days: the rest of the week is not "quiet"
    stopped = [(stamp, value) for stamp, value in hourly(office) if stamp < END - timedelta(days=8)]
    assert find(stopped) is None


def test_hours_of_the_window_groups_round_trip():
    found = find(hourly(office))
    assert timetable.hours_of(timetable.groups(found.windows)) == found.quiet_hours


# --- the schedule: what scales in, to what, for how much ---------------------------------------

def endpoint(count=3, *, asynchronous=False, scaling=None, **variant):
    return Endpoint("claims", "us-east-1", "InService", START - timedelta(days=30), described=True,
                    arn="arn:aws:sagemaker:us-east-1:123456789012:endpoint/claims", asynchronous=asynchronous,
                    variants=[Variant("AllTraffic", "ml.g4dn.2xlarge", count, count, **variant)],
                    scaling=scaling or {})


def price(instance_type, region):
    return (0.94, "table") if instance_type == "ml.g4dn.2xlarge" else (None, "unknown")


def test_a_variant_above_one_instance_scales_to_one_and_saves_its_quiet_hours():
    found = find(hourly(office))
    plan = schedule.plan(endpoint(3), found, price)
    assert plan.scale_to == {"AllTraffic": 1}
    assert plan.monthly_savings_usd == round(2 * 0.94 * 108 * 730 / 168, 2)
    assert plan.sentence.startswith("quiet Mon-Thu 19:00-07:00, Fri 19:00-Mon 07:00 (UTC): scaling to 1 instance "
                                    "saves ~$")
    assert plan.targets[0]["ResourceId"] == "endpoint/claims/variant/AllTraffic"


def test_nothing_above_the_floor_has_no_schedule_unless_asynchronous_with_a_target():
    found = find(hourly(office))
    assert schedule.plan(endpoint(1), found, price) is None
    target = {"AllTraffic": object()}
    plan = schedule.plan(endpoint(1, asynchronous=True, scaling=target), found, price)
    assert plan.scale_to == {"AllTraffic": 0}
    assert schedule.plan(endpoint(1, asynchronous=True), found, price) is None


def test_recorded_counts_price_a_schedule_that_is_scaled_in_now():
    found = find(hourly(office))
    assert schedule.plan(endpoint(1), found, price, counts={"AllTraffic": 4}).scale_to == {"AllTraffic": 1}


def test_an_unpriced_instance_type_says_so():
    plan = schedule.plan(Endpoint("x", "us-east-1", "InService", START, described=True,
                                  variants=[Variant("AllTraffic", "ml.new.type", 2, 2)]), find(hourly(office)), price)
    assert plan.monthly_savings_usd is None and "could not price" in plan.sentence


# --- the nightly policy ------------------------------------------------------------------------

SETTINGS = Settings(ledger="/tmp/ledger", grace_days=3)
NIGHT = END


def finding(plan):
    return Finding("claims", "us-east-1", "InService", START, Verdict.ACTIVE, 10, "", endpoint=endpoint(3),
                   reclaim_tag="schedule", schedule=plan)


def test_found_then_marked_then_applied_after_the_grace_period():
    plan = schedule.plan(endpoint(3), find(hourly(office)), price)
    first = quiet_policy.decide(finding(plan), plan, None, None, SETTINGS, NIGHT)
    assert first.action == Action.MARK and first.reclaim_on == date(2025, 4, 12)
    waiting = quiet_policy.decide(finding(plan), plan, date(2025, 4, 8), None, SETTINGS, NIGHT)
    assert waiting.action == Action.NONE and "grace period" in waiting.reason
    due = quiet_policy.decide(finding(plan), plan, date(2025, 4, 5), None, SETTINGS, NIGHT)
    assert due.action == Action.SCHEDULE and due.blocked is None
    assert quiet_policy.decide(finding(plan), plan, date(2025, 4, 5), None, Settings(), NIGHT).blocked


def test_traffic_in_an_applied_window_withdraws_it_and_a_moved_timetable_updates_it():
    applied_plan = schedule.plan(endpoint(3), find(hourly(office)), price)
    applied = quiet_policy.Applied(applied_plan.windows, "UTC", date(2025, 4, 1))
    same = quiet_policy.decide(finding(applied_plan), applied_plan, None, applied, SETTINGS, NIGHT)
    assert same.action == Action.NONE and "in place" in same.reason
    night_shift = schedule.plan(endpoint(3), find(hourly(lambda t: office(t) or t.hour == 2)), price)
    woke = quiet_policy.decide(finding(night_shift), night_shift, None, applied, SETTINGS, NIGHT)
    assert woke.action == Action.UNSCHEDULE and "Mon 02:00" in woke.reason
    shorter_days = schedule.plan(endpoint(3), find(hourly(lambda t: t.weekday() < 5 and 9 <= t.hour < 17)), price)
    moved = quiet_policy.decide(finding(shorter_days), shorter_days, None, applied, SETTINGS, NIGHT)
    assert moved.action == Action.SCHEDULE and "timetable moved" in moved.reason
    gone = quiet_policy.decide(finding(None), None, None, applied, SETTINGS, NIGHT)
    assert gone.action == Action.UNSCHEDULE


@pytest.mark.parametrize("value", ["Mars/Olympus", "", "../etc/passwd"])
def test_a_time_zone_zoneinfo_does_not_know_is_refused(value):
    from cost_watcher.errors import SettingsError

    with pytest.raises(SettingsError, match="timezone"):
        Settings().replace(timezone=value)


def test_inference_components_go_to_zero_copies_only_where_the_instances_may_go_to_zero():
    from cost_watcher.model import Component

    def ic_endpoint(min_instances):
        made = endpoint(2, min_instance_count=min_instances)
        made.components = [Component("llm-a", "claims", "AllTraffic", copy_count=2),
                           Component("llm-b", "claims", "AllTraffic", copy_count=1)]
        return made

    found = find(hourly(office))
    plan = schedule.plan(ic_endpoint(0), found, price)
    assert plan.scale_to == {"llm-a": 0, "llm-b": 0}
    assert {t["ScalableDimension"] for t in plan.targets} == {schedule.COMPONENT_DIMENSION}
    assert [t["ResourceId"] for t in plan.targets] == ["inference-component/llm-a", "inference-component/llm-b"]
    assert plan.monthly_savings_usd == round(2 * 0.94 * 108 * 730 / 168, 2)  # both instances, counted once
    assert "0 copies (its instances with them)" in plan.sentence
    assert schedule.plan(ic_endpoint(1), found, price) is None  # instances stay: nothing to give back
