"""The screen of a run: golden at 80 and 120 columns, no row wider than the terminal, totals before the
list, only what needs attention unless --all, colour only when asked."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from cost_watcher.model import Verdict
from cost_watcher.report.cells import View
from cost_watcher.report.table import render_table
from tests.digest_samples import act_report, dry_run_report, quiet_report

GOLDEN = Path(__file__).parent.parent / "golden"
UPDATE = os.environ.get("COST_WATCHER_UPDATE_GOLDEN") == "1"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def golden(name: str, text: str) -> str:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text)
    if not path.exists():
        pytest.fail(f"no golden file {path}; create it with COST_WATCHER_UPDATE_GOLDEN=1 and review it")
    return path.read_text()


def view(width: int, **more) -> View:
    return View(account_id="123456789012", account_alias="ml-prod", width=width, **more)


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize(("name", "report"), [("act", act_report), ("dry_run", dry_run_report)])
def test_screen_matches_its_golden_file(width, name, report):
    text = render_table(report(), view(width)) + "\n"
    assert text == golden(f"screen_{name}_{width}.txt", text)


@pytest.mark.parametrize("width", [80, 100, 120, 200])
@pytest.mark.parametrize("report", [act_report, dry_run_report, quiet_report])
def test_no_line_is_wider_than_the_terminal(width, report):
    for line in render_table(report(), view(width)).splitlines():
        assert len(line) <= width, line


def test_totals_come_before_the_list_and_only_what_needs_attention_is_listed():
    report = dry_run_report()
    lines = render_table(report, view(120)).splitlines()
    totals = next(i for i, line in enumerate(lines) if "reclaimable of" in line)
    header = next(i for i, line in enumerate(lines) if line.startswith("ENDPOINT"))
    assert totals < header
    rows = lines[header + 2: lines.index("", header)]
    listed = [row.split()[0] for row in rows]
    active = [f.name for f in report.findings if f.verdict == Verdict.ACTIVE and f.reclaimable_usd == 0]
    assert active and not set(active) & set(listed)
    everything = render_table(report, view(120, show_all=True)).splitlines()
    start = next(i for i, line in enumerate(everything) if line.startswith("ENDPOINT"))
    assert len(everything[start + 2: everything.index("", start)]) == len(report.findings)


def test_rows_are_sorted_by_reclaimable_dollars():
    lines = render_table(act_report(), view(120, show_all=True)).splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("ENDPOINT"))
    start = lines[header].index("RECLAIMABLE")
    end = start + len("RECLAIMABLE")
    amounts = [float(row[start:end].strip().lstrip("$").replace(",", "") or 0)
               for row in lines[header + 2: lines.index("", header)]]
    assert amounts == sorted(amounts, reverse=True) and amounts[0] > 0


def test_header_names_the_account_and_the_mode():
    first = render_table(dry_run_report(), view(120)).splitlines()[:2]
    assert "account 123456789012 (ml-prod)" in first[0]
    assert first[1].startswith("dry run: nothing was changed")
    demo = render_table(dry_run_report(), View(account_id="123456789012", demo=True))
    assert "simulated demo account 123456789012" in demo.splitlines()[0]


def test_narrow_screens_shorten_names_and_say_which_columns_were_left_out():
    text = render_table(act_report(), view(80))
    assert "left out to fit 80 columns" in text
    wide = render_table(act_report(), view(200))
    assert "left out" not in wide


def test_colour_only_when_asked_and_it_never_moves_a_column():
    plain = render_table(act_report(), view(120))
    coloured = render_table(act_report(), view(120, colour=True))
    assert "\x1b[" not in plain and "\x1b[31m" in coloured  # idle in red
    assert ANSI.sub("", coloured) == plain


def test_readable_cells():
    text = render_table(act_report(), view(120, show_all=True))
    assert re.search(r"\d+ \N{MULTIPLICATION SIGN} ml\.", text)
    assert re.search(r"\b\d+ d ago\b|\btoday\b|\bnever\b", text)


def test_an_empty_account_says_so_and_whether_everything_was_seen():
    from cost_watcher.model import RegionError, Report
    from tests.digest_samples import NOW

    empty = Report(generated_at=NOW, lookback_days=7, regions=["us-east-1"], dry_run=True)
    assert "No SageMaker real-time endpoint in us-east-1 (every region was seen)" in render_table(empty, view(80))
    empty.errors.append(RegionError("us-east-1", "sagemaker:ListEndpoints", "AccessDeniedException: no"))
    text = render_table(empty, view(80))
    assert "every region was seen" not in text and "Could not be seen" in text
