"""The digest: golden email text, the Chatbot JSON against the documented schema, sizes, subject."""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cost_watcher.model import Action, Outcome, RegionError, Report, Verdict
from cost_watcher.report import digest, digest_chat, digest_text, selection
from tests.chatbot_schema import VALIDATOR
from tests.digest_samples import (
    LEDGER,
    NOW,
    act_report,
    big_report,
    dry_run_report,
    finding,
    quiet_report,
    settings,
)

GOLDEN = Path(__file__).parent.parent / "golden"
UPDATE = os.environ.get("COST_WATCHER_UPDATE_GOLDEN") == "1"



def golden(name: str, text: str) -> str:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if not path.exists():
        pytest.fail(f"no golden file {path}; create it with COST_WATCHER_UPDATE_GOLDEN=1 and review it")
    return path.read_text()


def table(text: str) -> list[str]:
    """The endpoint table of a digest: its header line and rows."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  ENDPOINT "))
    rows = []
    for line in lines[start:]:
        if not line.strip() or line.startswith("  ... "):
            break
        rows.append(line)
    return rows


def cells(line: str) -> list[re.Match[str]]:
    return list(re.finditer(r"\S+(?: \S+)*", line))


# --- golden texts -------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "make", "changes"), [
    ("digest_act.txt", act_report, {}),
    ("digest_dry_run.txt", dry_run_report, {"dry_run": True}),
    ("digest_quiet.txt", quiet_report, {"dry_run": True, "ledger": None}),
])
def test_email_text_matches_golden(name, make, changes):
    text = digest.build(make(), settings(**changes)).text
    assert text == golden(name, text)


def test_email_text_is_plain_ascii_and_names_every_section():
    text = digest.build(act_report(), settings()).text
    assert text.isascii()
    for heading in ("IDLE AND UNDERUSED ENDPOINTS", "DONE THIS RUN", "SCHEDULED", "IN GRACE PERIOD",
                    "COULD NOT BE SEEN OR DONE", "HOW TO OPT IN OR OUT", "TO UNDO A RECLAIM", "FULL REPORT"):
        assert f"\n{heading}" in text, heading


def test_table_columns_line_up_under_their_headers():
    rows = table(digest.build(act_report(), settings()).text)
    header = cells(rows[0])
    titles = [c.group() for c in header]
    assert titles == ["ENDPOINT", "REGION", "VERDICT", "SCORE", "LAST USED", "INSTANCES", "COST/MO", "RECLAIMABLE",
                      "ACTION"]
    right = {"SCORE", "COST/MO", "RECLAIMABLE"}
    assert len(rows) == 7  # header + the six endpoints worth a look
    for row in rows[1:]:
        found = cells(row)
        assert len(found) == len(header), row
        for title, head, cell in zip(titles, header, found, strict=True):
            if title in right:
                assert cell.end() == head.end(), (title, row)
            else:
                assert cell.start() == head.start(), (title, row)


@pytest.mark.parametrize("make", [act_report, dry_run_report, lambda: big_report(300)])
def test_table_is_sorted_by_reclaimable_dollars(make):
    report = make()
    rows = table(digest.build(report, settings()).text)
    column = [c.group() for c in cells(rows[0])].index("RECLAIMABLE")
    dollars = [float(cells(row)[column].group().strip("$").replace(",", "")) for row in rows[1:]]
    assert len(dollars) >= 3
    assert dollars == sorted(dollars, reverse=True)
    expected = sorted((f.reclaimable_usd for f in report.findings if selection.needs_attention(f)), reverse=True)
    assert dollars == [round(d) for d in expected[: len(dollars)]]


def test_restore_command_is_given_for_each_reclaimed_endpoint_exactly():
    report = act_report()
    report.findings.append(finding("ranker", "eu-west-1", Verdict.IDLE, cost=40.0, reclaimable=40.0,
                                   reclaim_tag="scale-down", action=Action.SCALE_DOWN,
                                   action_result=Outcome.done()))
    text = digest.build(report, settings()).text
    restore = text.split("\nTO UNDO A RECLAIM\n")[1].split("\n\n")[0].splitlines()
    assert restore == [
        f"  cost-watcher restore fraud-model-v2 --region us-east-1 --ledger {LEDGER}",
        f"  cost-watcher restore ranker --region eu-west-1 --ledger {LEDGER}",
    ]


def test_restore_command_quotes_a_local_ledger_path_for_the_shell():
    report = act_report()
    text = digest.build(report, settings(ledger="/srv/cost watcher/ledger")).text
    assert "cost-watcher restore fraud-model-v2 --region us-east-1 --ledger '/srv/cost watcher/ledger'" in text


def test_opt_in_help_uses_the_configured_tag_prefix():
    text = digest.build(act_report(), settings(tag_prefix="finops/")).text
    assert "finops/reclaim=delete " in text and "finops/ignore=true " in text
    assert "cost-watcher:reclaim" not in text


def test_digest_names_the_report_location_or_says_why_there_is_none():
    report = act_report()
    assert report.report_location in digest.build(report, settings()).text
    report.report_location = None
    assert f"not stored: writing it to {LEDGER} failed" in digest.build(report, settings()).text
    assert "not stored (no ledger configured)" in digest.build(report, settings(ledger=None)).text


# --- subject ------------------------------------------------------------------------------

def test_subject_reads_like_the_example():
    report = Report(generated_at=NOW, lookback_days=7, regions=["us-east-1", "eu-west-1"], dry_run=True, findings=[
        finding("a", "us-east-1", Verdict.IDLE, cost=1500.0, reclaimable=1500.0),
        finding("b", "eu-west-1", Verdict.IDLE, cost=1000.0, reclaimable=1000.0),
        finding("c", "us-east-1", Verdict.IDLE, cost=600.0, reclaimable=600.0),
        finding("d", "eu-west-1", Verdict.IDLE, cost=110.0, reclaimable=110.0),
        finding("e", "us-east-1", Verdict.ACTIVE, cost=900.0),
    ])
    assert digest.subject(report) == "cost-watcher: 4 idle endpoints, ~$3,210/mo reclaimable (us-east-1, eu-west-1)"


def test_subject_of_a_quiet_night():
    assert digest.subject(quiet_report()) == "cost-watcher: no idle endpoints (us-east-1, eu-west-1)"


regions = st.sampled_from(["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1", "ap-northeast-3",
                           "me-central-1", "ca-central-1", "sa-east-1"])


@hypothesis_settings(max_examples=150, deadline=None)
@given(
    items=st.lists(st.tuples(st.sampled_from([Verdict.IDLE, Verdict.UNDERUSED, Verdict.ACTIVE]), regions,
                             st.floats(0, 5e6), st.sampled_from(["none", "done", "failed"])), max_size=40),
    errors=st.integers(0, 30),
)
def test_subject_always_fits_sns(items, errors):
    findings = [finding(f"ep{i}", region, verdict, cost=dollars, reclaimable=dollars,
                        action=Action.DELETE if result != "none" else Action.NONE,
                        action_result=Outcome.parse(None if result == "none" else result))
                for i, (verdict, region, dollars, result) in enumerate(items)]
    report = Report(generated_at=NOW, lookback_days=7, regions=sorted({r for _, r, _, _ in items}) or ["us-east-1"],
                    dry_run=False, findings=findings,
                    errors=[RegionError("us-east-1", "x:Y", "z")] * errors)
    text = digest.subject(report)
    assert 0 < len(text) <= digest.SUBJECT_LIMIT
    assert text.isascii() and text.isprintable()
    assert text.startswith("cost-watcher: ")


# --- Chatbot JSON -------------------------------------------------------------------------

@pytest.mark.parametrize("make", [act_report, dry_run_report, quiet_report, big_report])
def test_chatbot_notification_is_valid_against_the_documented_schema(make):
    message = digest.build(make(), settings())
    VALIDATOR.validate(message.chatbot)
    assert json.loads(json.loads(message.message())["https"]) == message.chatbot


def test_the_schema_rejects_what_chatbot_would_drop():
    good = digest.build(act_report(), settings()).chatbot
    broken = [
        {**good, "version": "2.0"},
        {**good, "source": "aws.sagemaker"},
        {**good, "content": {**good["content"], "textType": "markdown"}},
        {**good, "content": {**good["content"], "nextStep": ["typo"]}},
        {**good, "content": {**good["content"], "description": "x" * (digest_chat.CHATBOT_DESCRIPTION_LIMIT + 1)}},
        {k: v for k, v in good.items() if k != "content"},
    ]
    for document in broken:
        assert not VALIDATOR.is_valid(document), document


def test_chatbot_content_points_at_what_to_do():
    message = digest.build(act_report(), settings()).chatbot
    content, metadata = message["content"], message["metadata"]
    assert content["textType"] == "client-markdown"
    assert "fraud-model-v2" in content["description"].split("\n")[4]  # the top endpoint is listed first
    undo = f"cost-watcher restore fraud-model-v2 --region us-east-1 --ledger {LEDGER}"
    assert content["nextSteps"][0] == f"Undo: `{undo}`"
    assert any(act_report().report_location in step for step in content["nextSteps"])
    assert metadata["relatedResources"][0] == "arn:aws:sagemaker:us-east-1:123456789012:endpoint/fraud-model-v2"
    assert metadata["summary"] == digest.subject(act_report())


def test_one_nights_messages_share_a_thread():
    early, late, next_day = act_report(), act_report(), act_report()
    late.generated_at = NOW + timedelta(hours=20)
    next_day.generated_at = NOW + timedelta(days=1)
    assert digest_chat.thread_id(early) == digest_chat.thread_id(late) == "cost-watcher-2024-06-01"
    assert digest_chat.thread_id(next_day) == "cost-watcher-2024-06-02"


# --- attributes ---------------------------------------------------------------------------

def test_message_attributes_for_filter_policies():
    attributes = digest.build(act_report(), settings()).attributes
    assert attributes["severity"] == {"DataType": "String", "StringValue": "error"}
    # deleted fraud-model-v2, marked churn-xgb, unmarked back-again
    assert attributes["actions_taken"] == {"DataType": "Number", "StringValue": "3"}
    assert attributes["idle_endpoints"] == {"DataType": "Number", "StringValue": "5"}
    # everything reclaimable except what this run already reclaimed
    assert attributes["reclaimable_usd"]["StringValue"] == str(round(83.95 + 98.55 + 903.38 + 530 + 250))
    assert attributes["mode"] == {"DataType": "String", "StringValue": "act"}


@pytest.mark.parametrize(("make", "expected"), [
    (quiet_report, "info"),
    (dry_run_report, "warning"),
    (act_report, "error"),
])
def test_severity(make, expected):
    assert selection.severity(make()) == expected


def test_severity_is_action_when_something_changed_and_nothing_failed():
    report = act_report()
    report.errors = []
    report.findings = [f for f in report.findings if f.verdict != Verdict.UNKNOWN]
    assert selection.severity(report) == "action"
    report.findings[0].action, report.findings[0].action_result = Action.DELETE, Outcome.failed("AccessDenied")
    assert selection.severity(report) == "error"


# --- size ---------------------------------------------------------------------------------

def test_five_thousand_findings_keep_the_top_ones_and_say_how_many_more():
    report = big_report(5000)
    message = digest.build(report, settings())
    assert message.size() <= digest.SNS_MESSAGE_LIMIT
    assert len(message.message()) <= digest.SNS_MESSAGE_LIMIT
    assert len(message.chatbot["content"]["description"]) <= digest_chat.CHATBOT_DESCRIPTION_LIMIT

    ranked = sorted(report.findings, key=lambda f: -f.reclaimable_usd)
    by_name = {f.name: f.reclaimable_usd for f in report.findings}
    rows = table(message.text)[1:]
    listed = [by_name[cells(row)[0].group()] for row in rows]
    assert listed == [f.reclaimable_usd for f in ranked[: digest_text.EMAIL_ROWS]]  # the top ones, in order of $
    rest = sum(f.reclaimable_usd for f in ranked[digest_text.EMAIL_ROWS:])
    assert f"  ... and 4,950 more endpoints (~${rest:,.0f}/month reclaimable) in the full report." in message.text
    assert (message.listed, message.omitted) == (digest_text.EMAIL_ROWS, 4950)
    description = message.chatbot["content"]["description"]
    shown = description.split("*Most reclaimable first*\n")[1].split("\n_...and")[0].count("\u2022 `")
    assert shown == digest_chat.CHATBOT_ROWS
    assert f"...and {5000 - shown:,} more endpoints" in description
    assert "...and 35 more." in description  # 40 region errors, 5 shown


def test_lists_shrink_until_the_message_fits_sns():
    report = big_report(5000)
    unlimited = digest_text.render_text(report, settings(), limit=10_000)
    assert len(unlimited.encode()) * 2 > digest.SNS_MESSAGE_LIMIT  # too big for one publish as it is

    message = digest.build(report, settings(), rows=10_000)
    assert message.size() <= digest.SNS_MESSAGE_LIMIT
    assert 100 < message.listed < 5000 and message.omitted == 5000 - message.listed
    rows = table(message.text)[1:]
    assert len(rows) == message.listed
    by_name = {f.name: f.reclaimable_usd for f in report.findings}
    top = sorted((f.reclaimable_usd for f in report.findings), reverse=True)[: message.listed]
    assert [by_name[cells(row)[0].group()] for row in rows] == top
    assert f"... and {message.omitted:,} more endpoints" in message.text


def test_message_has_one_text_per_protocol():
    message = digest.build(dry_run_report(), settings(dry_run=True))
    body = json.loads(message.message())
    assert set(body) == {"default", "email", "https"}
    assert body["default"] == body["email"] == message.text
    assert "would delete" in message.text and "Mode: report only (dry run). Nothing was changed." in message.text
