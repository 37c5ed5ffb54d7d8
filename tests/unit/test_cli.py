"""The CLI contract: flags, exit codes, and --json printing only the report."""

from __future__ import annotations

import json

import pytest

from cost_watcher.faces.cli import EXIT_INCOMPLETE, EXIT_USAGE, main
from cost_watcher.record import SCHEMA

ENDPOINT_FIELDS = {
    "name",
    "region",
    "status",
    "created",
    "verdict",
    "score",
    "last_invocation",
    "invocations",
    "variants",
    "monthly_cost_usd",
    "reclaimable_usd",
    "reclaim_tag",
    "action",
    "action_result",
    "reason",
}
VARIANT_FIELDS = {"name", "instance_type", "instance_count", "invocations", "verdict"}


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["scan", "--region", "mars-1"], "'mars-1' is not accepted"),
        (["scan", "--lookback-days", "0"], "from 1 to 63"),
        (["scan", "--lookback-days", "64"], "from 1 to 63"),
        (["scan", "--lookback-days", "week"], "invalid int value"),
        (["scan", "--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["scan", "--apply", "--dry-run"], "not allowed with argument"),
        (["scan", "--max-actions", "-1"], "--max-actions: -1 is not accepted"),
        (["scan", "--json", "--output", "csv"], "not allowed with argument"),
        (["report"], "needs the ledger"),
        (["report", "--ledger", "/tmp", "--date", "yesterday"], "expected a day as YYYY-MM-DD"),
        (["explode"], "invalid choice"),
        (["restore", "ep"], "--region"),
        (["restore", "ep", "--region", "us-east-1"], "needs the ledger"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(argv, words, capsys, monkeypatch):
    monkeypatch.delenv("COST_WATCHER_LEDGER", raising=False)
    assert main(argv) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cost-watcher: error:")
    assert words in lines[0]
    assert "Traceback" not in captured.err


def test_restore_without_a_record_is_a_clear_error(tmp_path, capsys):
    assert main(["restore", "nope", "--region", "us-east-1", "--ledger", str(tmp_path)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "no restore record for endpoint 'nope'" in err and "Traceback" not in err


@pytest.fixture(scope="module")
def demo_json():
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["scan", "--demo", "--json"])
    return code, out.getvalue()


def test_json_mode_prints_only_the_report(demo_json):
    code, stdout = demo_json
    assert code == EXIT_INCOMPLETE, "the demo holds an endpoint that cannot be described"
    report = json.loads(stdout)  # the whole of stdout is one JSON document
    assert report["schema"] == SCHEMA
    assert {"generated_at", "lookback_days", "regions", "dry_run", "endpoints", "summary", "errors"} <= set(report)
    assert report["dry_run"] is True and report["regions"] == ["us-east-1", "eu-west-1"]


def test_json_report_carries_every_contract_field(demo_json):
    report = json.loads(demo_json[1])
    assert len(report["endpoints"]) >= 15
    for endpoint in report["endpoints"]:
        assert set(endpoint) >= ENDPOINT_FIELDS, endpoint["name"]
        for variant in endpoint["variants"]:
            assert set(variant) >= VARIANT_FIELDS
    assert set(report["summary"]["by_verdict"]) == {
        "idle",
        "underused",
        "active",
        "too-new",
        "not-in-service",
        "no-idle-cost",
        "unknown",
    }
    assert report["errors"] and {"region", "operation", "message"} == set(report["errors"][0])


def test_dry_run_plans_but_changes_nothing(demo_json):
    report = json.loads(demo_json[1])
    results = {e["action_result"] for e in report["endpoints"] if e["action"] != "none"}
    assert results == {"planned"}


def test_table_mode_is_readable_and_sorted(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    main(["scan", "--demo", "--all"])
    out = capsys.readouterr().out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("ENDPOINT"))
    rows = lines[header + 2 : lines.index("", header)]
    start = lines[header].index("$/MONTH") + len("$/MONTH")
    end = lines[header].index("RECLAIMABLE") + len("RECLAIMABLE")
    amounts = [float(row[start:end].strip().lstrip("$").replace(",", "")) for row in rows]
    assert len(rows) >= 15
    assert amounts == sorted(amounts, reverse=True)
    assert "reclaimable of" in out and "Could not be seen" in out
    assert out.splitlines()[0].startswith("cost-watcher · simulated demo account 123456789012 · us-east-1, eu-west-1")


def test_region_all_is_every_enabled_region_less_the_excluded(aws, capsys):
    import boto3

    enabled = {r["RegionName"] for r in boto3.client("ec2", "us-east-1").describe_regions()["Regions"]}
    offered = set(boto3.session.Session().get_available_regions("sagemaker"))
    code = main(["scan", "--region", "all", "--exclude-region", "us-east-1", "--exclude-region", "eu-west-1",
                 "--json", "--pricing", "table"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["regions"] == sorted((enabled & offered) - {"us-east-1", "eu-west-1"})
    assert "us-west-2" in report["regions"]
    assert report["api_calls"].get("sts:GetCallerIdentity") is None, "who we are is not part of the scan's calls"


def test_ctrl_c_ends_the_command_at_once(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "lambda_src"), str(root)])}
    child = subprocess.Popen([sys.executable, "-c", "from cost_watcher.faces.cli import console; console()",
                              "scan", "--demo"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)  # inside the demo's scan
    child.send_signal(signal.SIGINT)
    started = time.monotonic()
    _, err = child.communicate(timeout=30)
    assert child.returncode == 130 and time.monotonic() - started < 5
    assert "interrupted" in err and "Traceback" not in err
