"""The formats for people and spreadsheets: CSV read back with the csv module, Markdown's pipe table,
one self-contained HTML page; --json stays the report's contract, byte for byte."""

from __future__ import annotations

import csv
import io
import json
import re

from cost_watcher.model import Schedule, Verdict
from cost_watcher.record import report_from_dict, report_to_dict
from cost_watcher.report.cells import View
from cost_watcher.report.csv_format import COLUMNS
from cost_watcher.report.formats import render
from cost_watcher.report.history import Night
from tests.digest_samples import act_report, dry_run_report

VIEW = View(account_id="123456789012", account_alias="ml-prod")
REQUIRED = ["account", "region", "name", "verdict", "score", "instance_type", "instance_count", "monthly_cost_usd",
            "reclaimable_usd", "last_invocation", "action", "reason"]


def test_json_is_the_report_contract_unchanged():
    report = act_report()
    assert render(report, "json", VIEW) == json.dumps(report_to_dict(report), indent=2) + "\n"


def test_csv_has_one_row_per_endpoint_and_reads_back():
    report = act_report()
    text = render(report, "csv", VIEW)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0])[:len(REQUIRED)] == REQUIRED and list(rows[0]) == list(COLUMNS)
    assert sorted(r["name"] for r in rows) == sorted(f.name for f in report.findings)
    by_name = {f.name: f for f in report.findings}
    for row in rows:
        finding = by_name[row["name"]]
        assert row["account"] == "123456789012" and row["region"] == finding.region
        assert row["verdict"] == str(finding.verdict) and int(row["score"]) == finding.score
        assert float(row["reclaimable_usd"]) == round(finding.reclaimable_usd, 2)
        assert (row["monthly_cost_usd"] == "") == (finding.monthly_cost_usd is None)
        if finding.monthly_cost_usd is not None:
            assert float(row["monthly_cost_usd"]) == finding.monthly_cost_usd
    amounts = [float(r["reclaimable_usd"]) for r in rows]
    assert amounts == sorted(amounts, reverse=True)


def test_csv_carries_a_quiet_hours_schedule_and_its_savings():
    report = act_report()
    quiet = report.findings[-1]
    quiet.schedule = Schedule(windows=[{"days": ["Sat", "Sun"], "from": "00:00", "to": "24:00"}], timezone="UTC",
                              scale_to={"AllTraffic": 1}, monthly_savings_usd=612.5, quiet_hours_per_week=48,
                              sentence="quiet weekends: scaling to 1 instance saves ~$612/month")
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(render(report, "csv", VIEW)))}
    assert float(rows[quiet.name]["schedule_savings_usd"]) == 612.5
    assert rows[quiet.name]["schedule"] == quiet.schedule.sentence
    assert all(r["schedule"] == "" for name, r in rows.items() if name != quiet.name)


def test_csv_does_not_hand_a_spreadsheet_a_formula():
    report = dry_run_report()
    report.findings[0].reason = "=HYPERLINK(\"http://x\")"
    report.findings[0].warnings = ["@SUM(A1)"]
    rows = list(csv.DictReader(io.StringIO(render(report, "csv", VIEW))))
    row = next(r for r in rows if r["name"] == report.findings[0].name)
    assert row["reason"].startswith("'=") and row["warnings"].startswith("'@")


def test_markdown_is_a_pipe_table_of_what_needs_attention():
    report = act_report()
    report.findings[0].reason = "a | b"
    text = render(report, "markdown", VIEW)
    table = [line for line in text.splitlines() if line.startswith("| ")]
    header, rule, *rows = table
    assert header.count("|") == rule.count("|") == 10 and re.fullmatch(r"\| (-{3}:? \| )+-{3}:? \|", rule)
    attention = [f for f in report.findings if f.verdict in (Verdict.IDLE, Verdict.UNDERUSED) or f.reclaimable_usd]
    assert len(rows) == len(attention)
    assert all(row.count("|") == 10 for row in rows)  # a '|' in a cell is escaped, never a new column
    assert "a \\| b" in text
    assert text.index("reclaimable of") < text.index("| Endpoint")


def test_html_is_one_self_contained_page():
    report = act_report()
    report.findings[0].name = "<script>alert(1)</script>"
    history = [Night(f"2024-05-{d:02d}", f"r{d}", "", True, 9, d % 4, 1, 4000.0, 1000.0 + 100 * d, 0, 0, "x")
               for d in range(1, 31)]
    page = render(report, "html", View(account_id="123456789012", history=history))
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 2
    assert "<script" not in page and "&lt;script&gt;" in page
    links = re.findall(r"""(?:src|href|url\()\s*=?\s*["']?([^"')\s>]+)""", page)
    assert links == []  # nothing to fetch: styles and charts are inline
    assert "Night by night" in page
    without = render(report, "html", View())
    assert without.count("<svg") == 1 and "Night by night" not in without


def test_a_stored_report_renders_as_the_original():
    report = act_report()
    again = report_from_dict(json.loads(json.dumps(report_to_dict(report))))
    for fmt in ("table", "csv", "markdown", "html"):
        assert render(again, fmt, VIEW) == render(report, fmt, VIEW)
    assert report_to_dict(again) == report_to_dict(report)
