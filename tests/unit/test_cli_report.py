"""`cost-watcher report`: a stored report shown again (latest, --date, --run-id) in every format, and
with --since the trend over the stored nights; a local ledger needs no AWS."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from cost_watcher.faces.cli import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE, main
from cost_watcher.report.notify import report_body, report_key
from cost_watcher.store import DirectoryStore
from tests.digest_samples import NOW, act_report, dry_run_report


@pytest.fixture
def ledger(tmp_path):
    """Five nights, the reclaimable $ going down as endpoints are reclaimed; two runs on the last day."""
    store = DirectoryStore(tmp_path)
    for night in range(5):
        report = act_report() if night % 2 else dry_run_report()
        report.generated_at = NOW + timedelta(days=night)
        for finding in report.findings:
            finding.reclaimable_usd = finding.reclaimable_usd * (5 - night) / 5
        store.put(report_key(report, f"night-{night}"), report_body(report))
    late = dry_run_report()
    late.generated_at = NOW + timedelta(days=4, hours=3)
    late.errors = []
    store.put(report_key(late, "night-4-again"), report_body(late))
    store.put("reports/2024/06/02/junk.json", b"not json")
    return tmp_path


def test_latest_by_default_as_the_stored_json(ledger, capsys):
    assert main(["report", "--ledger", str(ledger), "--json"]) == EXIT_OK
    out = capsys.readouterr().out
    stored = (ledger / "reports/2024/06/05/night-4-again.json").read_text()
    assert json.loads(out) == json.loads(stored)


def test_by_date_and_by_run_id(ledger, capsys):
    assert main(["report", "--ledger", str(ledger), "--date", "2024-06-02", "-o", "csv"]) == EXIT_INCOMPLETE
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["name"] for r in rows} == {f.name for f in act_report().findings}
    assert main(["report", "--ledger", str(ledger), "--run-id", "night-2"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "2024-06-03 02:00 UTC" in out.splitlines()[1]


def test_every_format(ledger, capsys):
    for fmt, start in (("table", "cost-watcher · "), ("markdown", "## "), ("html", "<!DOCTYPE html>")):
        main(["report", "--ledger", str(ledger), "--output", fmt])
        assert capsys.readouterr().out.startswith(start), fmt
    main(["report", "--ledger", str(ledger), "--output", "html"])
    assert "Night by night" in capsys.readouterr().out, "a stored report's page charts the nights before it"


def test_trend_since_days(ledger, capsys, monkeypatch):
    import cost_watcher.report.history as history

    class Today(history.datetime):
        @classmethod
        def now(cls, tz=None):
            return NOW + timedelta(days=4, hours=5)

    monkeypatch.setattr(history, "datetime", Today)
    assert main(["report", "--ledger", str(ledger), "--since", "30", "-o", "csv"]) == EXIT_OK
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["day"] for r in rows] == [f"2024-06-0{d}" for d in range(1, 6)]
    assert rows[-1]["run_id"] == "night-4-again", "a night is its day's last run"
    reclaimable = [float(r["reclaimable_usd"]) for r in rows]
    assert reclaimable[0] > reclaimable[2] > 0
    assert main(["report", "--ledger", str(ledger), "--since", "2", "--json"]) == EXIT_OK
    trend = json.loads(capsys.readouterr().out)
    assert trend["schema"] == "cost-watcher/trend/v1" and [n["day"] for n in trend["nights"]] == \
        ["2024-06-03", "2024-06-04", "2024-06-05"]
    assert main(["report", "--ledger", str(ledger), "--since", "30"]) == EXIT_OK
    assert "5 nights from 2024-06-01 to 2024-06-05" in capsys.readouterr().out


def test_nothing_stored_is_a_clear_error(tmp_path, capsys):
    assert main(["report", "--ledger", str(tmp_path)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "no stored report for any night" in err and "holds none" in err
    assert main(["report", "--ledger", str(tmp_path), "--run-id", "x"]) == EXIT_USAGE
