"""What the digest says about quiet-hours schedules: a section of its own, savings apart from idle waste."""

from __future__ import annotations

from datetime import UTC, date, datetime

from cost_watcher.model import Action, Finding, Outcome, Report, Schedule, Verdict
from cost_watcher.record import report_to_dict
from cost_watcher.report.digest_chat import render_chatbot
from cost_watcher.report.digest_text import render_text
from cost_watcher.settings import Settings

NOW = datetime(2025, 3, 10, 2, 0, tzinfo=UTC)
WINDOWS = [{"days": ["Mon", "Tue", "Wed", "Thu"], "from": "19:00", "to": "07:00", "hours": 12},
           {"days": ["Fri"], "from": "19:00", "to": "07:00", "hours": 60}]


def finding(name, savings, verdict=Verdict.ACTIVE, **changes):
    plan = Schedule(WINDOWS, "Europe/Paris", {"AllTraffic": 1}, savings, 108,
                    sentence=f"quiet Mon-Thu 19:00-07:00, Fri 19:00-Mon 07:00 (Europe/Paris): scaling to 1 instance "
                             f"saves ~${savings:,.0f}/month")
    return Finding(name, "us-east-1", "InService", NOW, verdict, 20, "busy by day", schedule=plan, **changes)


def report():
    idle = Finding("old-model", "us-east-1", "InService", NOW, Verdict.IDLE, 100, "idle", reclaimable_usd=170.0)
    return Report(NOW, 7, ["us-east-1"], False, findings=[
        idle,
        finding("claims-assistant", 612.0, reclaim_tag="schedule", action=Action.SCHEDULE,
                action_result=Outcome.done(), action_reason="timetable held since 2025-03-07: applied"),
        finding("night-desk", 80.0, reclaim_tag="schedule", action=Action.MARK, action_result=Outcome.done(),
                reclaim_on=date(2025, 3, 13)),
        finding("untagged-office", 300.0),
    ])


def test_the_email_lists_schedules_apart_from_idle_waste_with_where_each_stands():
    text = render_text(report(), Settings(ledger="s3://b/p"))
    section = text.split("QUIET HOURS: ", 1)[1].split("\n\n", 1)[0]
    assert section.startswith("3 endpoints could scale in on a timetable, ~$992/month (not counted in the "
                              "reclaimable total)")
    lines = section.splitlines()[1:]
    assert [line.split(" (")[0].strip() for line in lines] == ["claims-assistant", "untagged-office", "night-desk"]
    assert lines[0].endswith("saves ~$612/month [applied]")
    assert lines[1].endswith("[proposed: tag cost-watcher:reclaim=schedule to apply it]")
    assert lines[2].endswith("[applied on 2025-03-13 or later]")
    assert "~$170/month reclaimable" in text  # the idle waste, without the schedules' savings


def test_the_chat_message_and_the_report_total_them_the_same():
    chat = render_chatbot(report(), Settings(), "subject")["content"]["description"]
    assert "*Quiet hours* (~$992/mo, apart from idle waste)" in chat
    summary = report_to_dict(report())["summary"]
    assert (summary["schedules"], summary["schedule_savings_usd"], summary["reclaimable_usd"]) == (3, 992.0, 170.0)


def test_a_schedule_on_an_underused_endpoint_adds_only_what_its_scale_down_does_not_already_count():
    both = report()
    overlap = finding("llm-summarizer", 1287.0, verdict=Verdict.UNDERUSED, reclaimable_usd=2059.0)
    beyond = finding("batch-scorer", 500.0, verdict=Verdict.UNDERUSED, reclaimable_usd=200.0)
    both.findings += [overlap, beyond]
    summary = report_to_dict(both)["summary"]
    assert (summary["schedules"], summary["schedule_savings_usd"]) == (5, 992.0 + 300.0)
    assert f"~${992 + 300:,}/month (not counted in the reclaimable total)" in render_text(both, Settings())
