"""Benchmark: API calls, wall time, the critical path and memory of our scan, against two yardsticks.

For each scenario (N endpoints, over R regions) it seeds a simulated account into moto, serves it
on 127.0.0.1 behind a wrapper that adds a per-request latency (default 40 ms, about what a
SageMaker or CloudWatch call costs from inside AWS) and counts requests by operation, then runs,
each in its own process and against the same server:

  ours       cost_watcher.engine.run(Settings(regions=..., pricing="table"), Clients(session))
  custodian  what a Cloud Custodian `sagemaker-endpoint` policy with a per-variant metrics filter
             calls, with c7n's concurrency, region after region (see custodian_baseline.py)
  baseline   ListEndpoints (10 a page), then per endpoint DescribeEndpoint + ListTags + one
             GetMetricStatistics per variant, sequentially (see baseline_scan.py; one region)

and checks issue 15's targets (figures.py): at 320 endpoints over two regions <= 160 calls and
>= 12x faster than Custodian; at 1,000 >= 40x faster than the per-endpoint baseline; 10,000 in one
region within 60 s and a quarter of the function's memory; everywhere zero false positives and
negatives against the planted kinds, and our calls within the budget formula. It prints where
each region's scan waited (the phases and the critical path).

    .venv/bin/python bench/scan_bench.py [--sizes 320x2,1000,10000] [--latency-ms 40] [--quick] [--check]

Results: a terminal table, the same as JSON in bench/results/, and a markdown table for
the README. Nothing here reaches AWS: credentials are fake and every client is pointed at
the local server.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from figures import (
    Scenario,
    UsageError,
    budget_breakdown,
    call_budget,
    critical_path,
    cross_tab,
    parse_scenarios,
    parse_sizes,
    phase_lines,
    targets,
    verdict_errors,
)

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
ENGINE_FILE = ROOT / "lambda_src" / "cost_watcher" / "engine.py"
REGION = "us-east-1"
DEFAULT_SIZES = "320x2,1000,10000"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}
__all__ = ["UsageError", "call_budget", "main", "parse_sizes"]


@dataclass(frozen=True)
class Options:
    scenarios: tuple[Scenario, ...]
    latency_ms: float
    lookback_days: int
    baseline_sample: int
    budget_constant: int
    trace_memory: bool
    repeat: int
    timeout_s: float
    check: bool
    memory_mb: int = 2048
    yardsticks_up_to: int = 1000

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(s.endpoints for s in self.scenarios)


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="scan_bench.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help="endpoint counts to measure, each optionally x regions "
                                        f"(default {DEFAULT_SIZES}; 320x2 with --quick)")
    parser.add_argument("--latency-ms", type=float, default=40.0, help="latency added to every request (default 40)")
    parser.add_argument("--lookback-days", type=int, default=7, help="lookback window of every scan (default 7)")
    parser.add_argument("--baseline-sample", type=int, default=1000,
                        help="above this many endpoints a region's baselines examine this many and extrapolate "
                             "(their per-endpoint work is linear); 0 = always examine all (default 1000)")
    parser.add_argument("--budget-constant", type=int, default=10,
                        help="the 'small constant' of the call budget, per region (default 10)")
    parser.add_argument("--memory-mb", type=int, default=2048,
                        help="the function's memory setting; the 10,000-endpoint scan must stay within a quarter "
                             "(default 2048)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 320 endpoints over 2 regions, one run")
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the extra traced run of our scan")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of our scan per size; the median wall time is reported, as the machine may be "
                             "shared (default 3; 1 with --quick)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per measured run (default 1800)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--yardsticks-up-to", type=int, default=1000,
                        help="run Custodian and the per-endpoint baseline only up to this many endpoints: above, "
                             "moto's ListEndpoints, asked 10 a page, takes them hours (default 1000; 0 = never)")
    args = parser.parse_args(argv)
    if not 0 <= args.latency_ms <= 2000:
        raise UsageError(f"--latency-ms {args.latency_ms:g}: expected 0 to 2000")
    if not 1 <= args.lookback_days <= 63:
        raise UsageError(f"--lookback-days {args.lookback_days}: expected 1 to 63")
    if args.baseline_sample < 0:
        raise UsageError(f"--baseline-sample {args.baseline_sample}: expected 0 or more")
    if not 1 <= args.repeat <= 9:
        raise UsageError(f"--repeat {args.repeat}: expected 1 to 9")
    if args.budget_constant < 0:
        raise UsageError(f"--budget-constant {args.budget_constant}: expected 0 or more")
    if not 128 <= args.memory_mb <= 10240:
        raise UsageError(f"--memory-mb {args.memory_mb}: expected 128 to 10240 (Lambda's range)")
    scenarios = parse_scenarios(args.sizes or ("320x2" if args.quick else DEFAULT_SIZES))
    return Options(scenarios=scenarios, latency_ms=args.latency_ms, lookback_days=args.lookback_days,
                   baseline_sample=args.baseline_sample, budget_constant=args.budget_constant,
                   trace_memory=not (args.quick or args.no_tracemalloc), repeat=1 if args.quick else args.repeat,
                   timeout_s=args.timeout, check=args.check, memory_mb=args.memory_mb,
                   yardsticks_up_to=args.yardsticks_up_to)


# --- running one size -------------------------------------------------------------------------

def engine_problem() -> str | None:
    """Why our scan cannot run yet (engine missing or not importable), or None."""
    if not ENGINE_FILE.exists():
        return f"{ENGINE_FILE.relative_to(ROOT)} does not exist yet"
    probe = subprocess.run([sys.executable, "-c", "import cost_watcher.engine as e; e.run"],
                           capture_output=True, text=True, timeout=120, check=False)
    if probe.returncode:
        lines = probe.stderr.strip().splitlines()
        return f"cost_watcher.engine does not import: {lines[-1] if lines else 'exit ' + str(probe.returncode)}"
    return None


def run_child(mode: str, url: str, options: Options, regions: list[str], *extra: str) -> dict[str, Any]:
    """Run bench/measure.py in a fresh process against the server at `url`; return its JSON."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(FAKE_CREDENTIALS, AWS_ENDPOINT_URL=url)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "result.json"
        command = [sys.executable, str(BENCH_DIR / "measure.py"), mode, "--out", str(out),
                   "--region", ",".join(regions), "--lookback-days", str(options.lookback_days), *extra]
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=options.timeout_s,
                                  check=False)
        except subprocess.TimeoutExpired:
            return {"failed": f"{mode} run exceeded --timeout {options.timeout_s:g}s"}
        if done.returncode or not out.exists():
            tail = "\n".join(done.stderr.strip().splitlines()[-15:])
            return {"failed": f"{mode} run exited {done.returncode}:\n{tail}"}
        return json.loads(out.read_text())


def warm_up(url: str, regions: list[str]) -> None:
    """One call per service and region, so moto's lazy set-up is not charged to the first scan."""
    import boto3

    session = boto3.session.Session(region_name=REGION, aws_access_key_id="testing",
                                    aws_secret_access_key="testing", aws_session_token="testing")
    for region in regions:
        def client(service: str, region: str = region) -> Any:
            return session.client(service, region_name=region, endpoint_url=url)

        client("sagemaker").list_endpoints(MaxResults=1)
        client("sagemaker").list_inference_components(MaxResults=1)
        client("cloudwatch").list_metrics(Namespace="bench/warm-up")
        client("application-autoscaling").describe_scalable_targets(ServiceNamespace="sagemaker")
        client("resourcegroupstaggingapi").get_resources(ResourceTypeFilters=["sagemaker:endpoint"], ResourcesPerPage=1)


def reset_moto() -> None:
    from moto.core.base_backend import BackendDict

    BackendDict.reset()


def bench_size(scenario: Scenario, options: Options, engine_ok: bool) -> dict[str, Any]:
    from latency_server import LatencyServer
    from seed_account import kind_counts, plan_account, seed

    reset_moto()
    size, regions = scenario.endpoints, scenario.region_names()
    plans = plan_account(size)
    kinds = {plan.name: plan.kind for plan in plans}
    candidates = sum(plan.candidate for plan in plans)
    began = time.perf_counter()
    now = datetime.now(UTC)
    datapoints = sum(seed(plans[index::len(regions)], region, now, options.lookback_days)
                     for index, region in enumerate(regions))
    label = f"N={scenario.label}"
    result: dict[str, Any] = {
        "endpoints": size,
        "regions": len(regions),
        "label": scenario.label,
        "kinds": dict(kind_counts(size)),
        "candidates": candidates,
        "datapoints": datapoints,
        "seed_s": round(time.perf_counter() - began, 2),
        "budget": call_budget(size, candidates, options.budget_constant, len(regions)),
    }
    _progress(f"{label}: seeded {datapoints:,} datapoints in {result['seed_s']}s; {candidates} candidates")
    sample = options.baseline_sample or None
    with LatencyServer(options.latency_ms / 1000) as server:
        warm_up(server.url, regions)
        if engine_ok:
            result["scan"] = _ours(server, options, regions, kinds, label)
        if size > options.yardsticks_up_to:
            return result
        server.app.reset()
        _progress(f"{label}: Custodian-like policy ...")
        result["custodian"] = _yardstick("custodian", server, options, regions, sample, kinds)
        if len(regions) == 1:
            server.app.reset()
            _progress(f"{label}: per-endpoint baseline ...")
            result["baseline"] = _yardstick("baseline", server, options, regions, sample, kinds)
    return result


def _ours(server: Any, options: Options, regions: list[str], kinds: dict[str, str], label: str) -> dict[str, Any]:
    server.app.reset()
    _progress(f"{label}: our scan ...")
    scan = run_child("scan", server.url, options, regions)
    scan["by_operation"] = server.app.snapshot()
    scan["server_busy_s"] = server.app.busy_seconds()
    scan["calls"] = sum(scan["by_operation"].values())
    if "verdicts" in scan:
        scan["verdict_by_kind"] = cross_tab(kinds, scan.pop("verdicts"))
    walls = [scan["wall_s"]] if "wall_s" in scan else []
    for _ in range(options.repeat - 1 if walls else 0):
        server.app.reset()
        again = run_child("scan", server.url, options, regions)
        if "wall_s" in again:
            walls.append(again["wall_s"])
            scan.setdefault("calls_runs", [scan["calls"]]).append(sum(server.app.snapshot().values()))
            if again["wall_s"] <= min(walls):
                scan["phases"] = again.get("phases", [])  # the phases of the fastest run
    if walls:
        scan["wall_runs_s"] = [round(wall, 3) for wall in walls]
        scan["wall_s"] = statistics.median(walls)
    if options.trace_memory and "failed" not in scan:
        traced = run_child("scan", server.url, options, regions, "--tracemalloc")
        scan["traced_peak_mib"] = traced.get("traced_peak_mib")
    _progress(f"{label}: our scan {scan.get('calls')} calls, {scan.get('wall_s', float('nan')):.2f}s")
    return scan


def _yardstick(mode: str, server: Any, options: Options, regions: list[str], sample: int | None,
               kinds: dict[str, str]) -> dict[str, Any]:
    extra = ("--sample", str(sample)) if sample else ()
    outcome = run_child(mode, server.url, options, regions, *extra)
    outcome["by_operation"] = server.app.snapshot()
    outcome["server_calls"] = sum(outcome["by_operation"].values())
    if "idle" in outcome:
        outcome["idle_by_kind"] = dict(Counter(kinds[name] for name in outcome.pop("idle")))
    _progress(f"  {mode}: {outcome.get('projected_calls')} calls, {outcome.get('projected_s', float('nan')):.1f}s")
    return outcome


def judge(result: dict[str, Any]) -> None:
    """Add the derived figures: speedups, within budget, verdict errors."""
    scan = result.get("scan", {})
    for name, key in (("baseline", "speedup"), ("custodian", "custodian_speedup")):
        other = result.get(name, {})
        if "wall_s" in scan and "projected_s" in other:
            result[key] = other["projected_s"] / scan["wall_s"]
    if "calls" in scan and "failed" not in scan:
        result["within_budget"] = scan["calls"] <= result["budget"]
    if "verdict_by_kind" in scan:
        result["false_positives"], result["false_negatives"] = verdict_errors(scan["verdict_by_kind"])


# --- presenting -------------------------------------------------------------------------------

def _fmt(value: Any, spec: str = "") -> str:
    return "-" if value is None else format(value, spec)


def rows(results: list[dict[str, Any]]) -> list[list[str]]:
    table = []
    for result in results:
        scan, baseline, custodian = result.get("scan", {}), result.get("baseline", {}), result.get("custodian", {})
        within = result.get("within_budget")
        table.append([
            result["label"],
            _fmt(scan.get("calls"), ","),
            f"{result['budget']:,}",
            _fmt(scan.get("wall_s"), ".2f"),
            _approx(custodian, "projected_calls", ","),
            _approx(custodian, "projected_s", ".1f"),
            _fmt(result.get("custodian_speedup"), ".1f") + ("x" if result.get("custodian_speedup") else ""),
            _approx(baseline, "projected_calls", ","),
            _approx(baseline, "projected_s", ".1f"),
            _fmt(result.get("speedup"), ".1f") + ("x" if result.get("speedup") else ""),
            "-" if within is None else ("yes" if within else "NO"),
            f"{_fmt(result.get('false_positives'))}/{_fmt(result.get('false_negatives'))}",
            _fmt(scan.get("peak_rss_mib"), ".0f"),
            _fmt(scan.get("traced_peak_mib"), ".1f"),
        ])
    return table


def _approx(figures: dict[str, Any], key: str, spec: str) -> str:
    return ("~" if figures.get("estimated") else "") + _fmt(figures.get(key), spec)


HEADERS = ["endpoints", "our calls", "budget", "our wall s", "custodian calls", "custodian s", "vs custodian",
           "baseline calls", "baseline s", "vs baseline", "within", "FP/FN", "peak RSS MiB", "traced MiB"]


def terminal_table(results: list[dict[str, Any]]) -> str:
    body = rows(results)
    widths = [max(len(row[i]) for row in [HEADERS, *body]) for i in range(len(HEADERS))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)) for row in [HEADERS, *body]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(results: list[dict[str, Any]], options: Options) -> str:
    headers = ["Endpoints", "Our calls", "Our wall (s)", "Custodian calls", "Custodian wall (s)", "vs Custodian",
               "Per-endpoint calls", "Per-endpoint wall (s)", "vs per-endpoint", "FP/FN", "Scan peak RSS (MiB)"]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---:|" * len(headers)]
    for row in rows(results):
        label, calls, _, wall, c_calls, c_wall, c_speed, b_calls, b_wall, b_speed, _, errors, rss, _ = row
        lines.append(f"| {label} | {calls} | {wall} | {c_calls} | {c_wall} | {c_speed} | {b_calls} | {b_wall} "
                     f"| {b_speed} | {errors} | {rss} |")
    notes = [
        f"moto_server on 127.0.0.1 with {options.latency_ms:g} ms added to every request, {options.lookback_days}-day "
        "lookback; ~10% of endpoints idle, a few with trickle traffic, hourly Invocations and CPUUtilization for "
        f"the rest. Our wall time is the median of {options.repeat} runs (a shared 2-core machine).",
        "Custodian = a `sagemaker-endpoint` policy with a per-variant metrics filter, as c7n calls it "
        "(bench/custodian_baseline.py); per-endpoint = ListEndpoints 10 a page, then DescribeEndpoint + ListTags "
        "+ GetMetricStatistics per endpoint, sequentially (one region).",
    ]
    if any(r.get(name, {}).get("estimated") for r in results for name in ("baseline", "custodian")):
        notes.append(f"~ = measured on the first {options.baseline_sample:,} endpoints of each region and "
                     "extrapolated (the per-endpoint work is linear).")
    return "\n".join(lines) + "\n\n" + "\n".join(f"_{note}_  " for note in notes)


def details(result: dict[str, Any], options: Options) -> str:
    """What a reader needs to check a row: calls by operation, who was described, verdicts, where it waited."""
    n, scan = f"N={result['label']}", result.get("scan")
    if not scan or "failed" in scan:
        return f"{n}: our scan {'failed: ' + scan['failed'] if scan else 'not measured'}"
    lines = [
        f"{n}: described {scan.get('described')} endpoints for {result['candidates']} planted candidates",
        f"{n}: verdicts by planted kind: {scan.get('verdict_by_kind')}",
    ]
    lines += [f"{n}:   {line}" for line in budget_breakdown(scan["by_operation"], result["endpoints"],
                                                             result["candidates"],
                                                             options.budget_constant * result["regions"])]
    lines += [f"{n}: SCAN ERROR {error}" for error in scan.get("errors", [])]
    phases = scan.get("phases") or []
    if phases:
        lines.append(f"{n}: where the scan waited (fastest run):")
        lines += [f"    {line}" for line in phase_lines(phases)]
        for region in sorted({p["region"] for p in phases}):
            chain = critical_path([p for p in phases if p["region"] == region])
            lines.append(f"    {region} critical path: " + " -> ".join(
                f"{p['phase']} {(p['end_s'] - p['start_s']) * 1000:.0f} ms" for p in chain))
    else:
        lines.append(f"{n}: (this engine records no scan phases)")
    return "\n".join(lines)


def environment(options: Options) -> dict[str, Any]:
    def version(package: str) -> str | None:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip()
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit or None,
        "python": platform.python_version(),
        "moto": version("moto"),
        "boto3": version("boto3"),
        "cpus": os.cpu_count(),
        "latency_ms": options.latency_ms,
        "lookback_days": options.lookback_days,
        "baseline_sample": options.baseline_sample,
        "budget_constant": options.budget_constant,
        "memory_mb": options.memory_mb,
    }


def write_json(document: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"scan_bench-{stamp}.json"
    text = json.dumps(document, indent=2, default=str)
    path.write_text(text)
    (RESULTS_DIR / "latest.json").write_text(text)
    return path


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        options = parse_args(argv)
    except UsageError as error:
        print(f"scan_bench.py: {error}", file=sys.stderr)
        return 2
    os.environ.update(FAKE_CREDENTIALS)  # the warm-up client in this process, and nothing can reach AWS
    os.environ.pop("AWS_PROFILE", None)
    sys.path.insert(0, str(BENCH_DIR))
    from cost_watcher.sim.moto_fidelity import make_moto_behave_like_aws

    make_moto_behave_like_aws()
    problem = engine_problem()
    if problem:
        _progress(f"our scan is skipped: {problem}; measuring the baseline only")

    results = []
    for scenario in options.scenarios:
        result = bench_size(scenario, options, engine_ok=problem is None)
        judge(result)
        results.append(result)
    missed = targets(results, options.memory_mb) if problem is None else [f"our scan was not measured: {problem}"]

    document = {"environment": environment(options), "results": results, "targets_missed": missed}
    path = write_json(document)
    print(terminal_table(results))
    print()
    for result in results:
        print(details(result, options))
        print()
    print()
    print("Targets: " + ("all met" if not missed else "MISSED\n  " + "\n  ".join(missed)))
    print(f"\nJSON: {path.relative_to(ROOT)}\n\nREADME table:\n")
    print(markdown_table(results, options))
    return 1 if options.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
