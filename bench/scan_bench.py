"""Benchmark: API calls and wall time of our scan against a per-endpoint baseline, as the account grows.

For each size N it seeds a simulated account of N endpoints into moto, serves it on
127.0.0.1 behind a wrapper that adds a per-request latency (default 40 ms, about what a
SageMaker or CloudWatch call costs from inside AWS) and counts requests by operation, then
runs, each in its own process:

  ours      cost_watcher.engine.run(Settings(regions=(R,), pricing="table"), Clients(session))
  baseline  ListEndpoints (10 a page), then per endpoint DescribeEndpoint + ListTags + one
            GetMetricStatistics per variant, sequentially (see baseline_scan.py)

and checks two targets: our calls <= N/100 + N/250 + 3 x candidates + a small constant,
and at 1,000 endpoints our wall time at least 8x below the baseline's.

    .venv/bin/python bench/scan_bench.py [--sizes 100,1000,5000] [--latency-ms 40] [--quick]

Results: a terminal table, the same as JSON in bench/results/, and a markdown table for
the README. Nothing here reaches AWS: credentials are fake and every client is pointed at
the local server.
"""

from __future__ import annotations

import argparse
import json
import math
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

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
ENGINE_FILE = ROOT / "lambda_src" / "cost_watcher" / "engine.py"
REGION = "us-east-1"
SPEEDUP_TARGET, SPEEDUP_AT = 8.0, 1000
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


class UsageError(Exception):
    """A flag has a value we do not accept; the message says what is accepted."""


@dataclass(frozen=True)
class Options:
    sizes: tuple[int, ...]
    latency_ms: float
    lookback_days: int
    baseline_sample: int
    budget_constant: int
    trace_memory: bool
    repeat: int
    timeout_s: float
    check: bool


def parse_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    except ValueError:
        raise UsageError(f"--sizes {text!r}: expected comma-separated whole numbers such as 100,1000,5000") from None
    if not sizes or any(size < 20 or size > 50_000 for size in sizes):
        raise UsageError(f"--sizes {text!r}: each size must be from 20 to 50000 endpoints")
    return tuple(dict.fromkeys(sizes))


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="scan_bench.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help="endpoint counts to measure (default 100,1000,5000; 100 with --quick)")
    parser.add_argument("--latency-ms", type=float, default=40.0, help="latency added to every request (default 40)")
    parser.add_argument("--lookback-days", type=int, default=7, help="lookback window of both scans (default 7)")
    parser.add_argument("--baseline-sample", type=int, default=1000,
                        help="above this many endpoints the baseline examines this many and extrapolates "
                             "(it is sequential, so linear); 0 = always examine all (default 1000)")
    parser.add_argument("--budget-constant", type=int, default=10,
                        help="the 'small constant' of the call budget (default 10)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 100 endpoints, no tracemalloc pass")
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the extra traced run of our scan")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of our scan per size; the median wall time is reported, as the machine may be "
                             "shared (default 3; 1 with --quick)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per measured run (default 1800)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
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
    sizes = parse_sizes(args.sizes or ("100" if args.quick else "100,1000,5000"))
    return Options(sizes=sizes, latency_ms=args.latency_ms, lookback_days=args.lookback_days,
                   baseline_sample=args.baseline_sample, budget_constant=args.budget_constant,
                   trace_memory=not (args.quick or args.no_tracemalloc), repeat=1 if args.quick else args.repeat,
                   timeout_s=args.timeout, check=args.check)


# --- pure figures -----------------------------------------------------------------------------

def call_budget(endpoints: int, candidates: int, constant: int) -> int:
    """N/100 (ListEndpoints pages) + N/250 (metric listing and batched reads) + 3 x candidates + constant."""
    return math.ceil(endpoints / 100) + math.ceil(endpoints / 250) + 3 * candidates + constant


def cross_tab(kinds: dict[str, str], verdicts: dict[str, str]) -> dict[str, dict[str, int]]:
    """For each planted kind of endpoint, how many got each verdict ('missing' = not in the report)."""
    table: dict[str, Counter[str]] = {}
    for name, kind in kinds.items():
        table.setdefault(kind, Counter())[verdicts.get(name, "missing")] += 1
    return {kind: dict(sorted(counts.items())) for kind, counts in sorted(table.items())}


# Which operations each term of the budget pays for; anything else falls to the constant.
BUDGET_TERMS = (
    ("ListEndpoints pages", "N/100", ("sagemaker:ListEndpoints",)),
    ("metric listing and reads", "N/250", ("cloudwatch:ListMetrics", "cloudwatch:GetMetricData")),
    ("candidate describes", "3 x candidates",
     ("sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig", "sagemaker:ListTags")),
)


def budget_breakdown(calls: dict[str, int], endpoints: int, candidates: int, constant: int) -> list[str]:
    """Each budget term next to the calls it pays for, so an overrun points at its operations."""
    allowed = {"N/100": math.ceil(endpoints / 100), "N/250": math.ceil(endpoints / 250),
               "3 x candidates": 3 * candidates}
    lines, covered = [], set()
    for label, term, operations in BUDGET_TERMS:
        used = {op: calls[op] for op in operations if op in calls}
        covered.update(operations)
        lines.append(f"{label}: {sum(used.values())} calls ({_ops(used)}) vs {term} = {allowed[term]}")
    rest = {op: count for op, count in calls.items() if op not in covered}
    lines.append(f"everything else: {sum(rest.values())} calls ({_ops(rest)}) vs constant {constant}")
    return lines


def _ops(calls: dict[str, int]) -> str:
    ranked = sorted(calls.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{name.split(':', 1)[-1]} {count}" for name, count in ranked) or "none"


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


def run_child(mode: str, url: str, options: Options, *extra: str) -> dict[str, Any]:
    """Run bench/measure.py in a fresh process against the server at `url`; return its JSON."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(FAKE_CREDENTIALS, AWS_ENDPOINT_URL=url)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "result.json"
        command = [sys.executable, str(BENCH_DIR / "measure.py"), mode, "--out", str(out), "--region", REGION,
                   "--lookback-days", str(options.lookback_days), *extra]
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=options.timeout_s,
                                  check=False)
        except subprocess.TimeoutExpired:
            return {"failed": f"{mode} run exceeded --timeout {options.timeout_s:g}s"}
        if done.returncode or not out.exists():
            tail = "\n".join(done.stderr.strip().splitlines()[-15:])
            return {"failed": f"{mode} run exited {done.returncode}:\n{tail}"}
        return json.loads(out.read_text())


def warm_up(url: str) -> None:
    """One call per service, so moto's lazy per-service app set-up is not charged to the first scan."""
    import boto3

    session = boto3.session.Session(region_name=REGION, aws_access_key_id="testing",
                                    aws_secret_access_key="testing", aws_session_token="testing")
    session.client("sagemaker", endpoint_url=url).list_endpoints(MaxResults=1)
    session.client("sagemaker", endpoint_url=url).list_inference_components(MaxResults=1)
    session.client("cloudwatch", endpoint_url=url).list_metrics(Namespace="bench/warm-up")
    session.client("application-autoscaling", endpoint_url=url).describe_scalable_targets(ServiceNamespace="sagemaker")
    tagging = session.client("resourcegroupstaggingapi", endpoint_url=url)
    tagging.get_resources(ResourceTypeFilters=["sagemaker:endpoint"])


def reset_moto() -> None:
    from moto.core.base_backend import BackendDict

    BackendDict.reset()


def bench_size(size: int, options: Options, engine_ok: bool) -> dict[str, Any]:
    from latency_server import LatencyServer
    from seed_account import kind_counts, plan_account, seed

    reset_moto()
    plans = plan_account(size)
    kinds = {plan.name: plan.kind for plan in plans}
    candidates = sum(plan.candidate for plan in plans)
    began = time.perf_counter()
    datapoints = seed(plans, REGION, datetime.now(UTC), options.lookback_days)
    result: dict[str, Any] = {
        "endpoints": size,
        "kinds": dict(kind_counts(size)),
        "candidates": candidates,
        "datapoints": datapoints,
        "seed_s": round(time.perf_counter() - began, 2),
        "budget": call_budget(size, candidates, options.budget_constant),
    }
    _progress(f"N={size}: seeded {datapoints:,} datapoints in {result['seed_s']}s; {candidates} candidates")

    with LatencyServer(options.latency_ms / 1000) as server:
        warm_up(server.url)
        if engine_ok:
            server.app.reset()
            _progress(f"N={size}: our scan ...")
            scan = run_child("scan", server.url, options)
            scan["by_operation"] = server.app.snapshot()
            scan["server_busy_s"] = server.app.busy_seconds()
            scan["calls"] = sum(scan["by_operation"].values())
            if "verdicts" in scan:
                scan["verdict_by_kind"] = cross_tab(kinds, scan.pop("verdicts"))
            walls = [scan["wall_s"]] if "wall_s" in scan else []
            for _ in range(options.repeat - 1 if walls else 0):
                server.app.reset()
                again = run_child("scan", server.url, options)
                if "wall_s" in again:
                    walls.append(again["wall_s"])
                    scan.setdefault("calls_runs", [scan["calls"]]).append(sum(server.app.snapshot().values()))
            if walls:
                scan["wall_runs_s"] = [round(wall, 3) for wall in walls]
                scan["wall_s"] = statistics.median(walls)
            if options.trace_memory and "failed" not in scan:
                traced = run_child("scan", server.url, options, "--tracemalloc")
                scan["traced_peak_mib"] = traced.get("traced_peak_mib")
            result["scan"] = scan
            _progress(f"N={size}: our scan {scan.get('calls')} calls, {scan.get('wall_s', float('nan')):.2f}s")

        server.app.reset()
        sample = size if not options.baseline_sample or size <= options.baseline_sample else options.baseline_sample
        _progress(f"N={size}: baseline ({'all' if sample == size else sample} endpoints examined) ...")
        baseline = run_child("baseline", server.url, options, "--sample", str(sample))
        baseline["by_operation"] = server.app.snapshot()
        baseline["server_busy_s"] = server.app.busy_seconds()
        baseline["server_calls"] = sum(baseline["by_operation"].values())
        if "idle" in baseline:
            flagged = set(baseline.pop("idle"))
            baseline["idle_by_kind"] = dict(Counter(kinds[name] for name in flagged))
        result["baseline"] = baseline
        _progress(f"N={size}: baseline {baseline.get('projected_calls')} calls, "
                  f"{baseline.get('projected_s', float('nan')):.1f}s")
    return result


def judge(result: dict[str, Any]) -> None:
    """Add the derived figures: speedup, within budget, overhead beyond the formula."""
    scan, baseline = result.get("scan", {}), result.get("baseline", {})
    if "wall_s" in scan and "projected_s" in baseline:
        result["speedup"] = baseline["projected_s"] / scan["wall_s"]
    if "calls" in scan and "failed" not in scan:
        result["within_budget"] = scan["calls"] <= result["budget"]
        result["calls_beyond_formula"] = scan["calls"] - call_budget(result["endpoints"], result["candidates"], 0)


def targets(results: list[dict[str, Any]]) -> list[str]:
    """One line per missed target, empty when all are met."""
    missed = []
    for result in results:
        if result.get("within_budget") is False:
            breakdown = budget_breakdown(result["scan"]["by_operation"], result["endpoints"], result["candidates"],
                                         result["budget"] - call_budget(result["endpoints"], result["candidates"], 0))
            missed.append(f"N={result['endpoints']}: {result['scan']['calls']} calls > budget {result['budget']}:\n"
                          + "\n".join(f"    {line}" for line in breakdown))
        if "failed" in result.get("baseline", {}):
            missed.append(f"N={result['endpoints']}: baseline failed: {result['baseline']['failed']}")
        if "scan" in result and "failed" in result["scan"]:
            missed.append(f"N={result['endpoints']}: our scan failed: {result['scan']['failed']}")
        if result.get("scan", {}).get("errors"):
            missed.append(f"N={result['endpoints']}: our scan reported errors (part of the account unseen): "
                          f"{result['scan']['errors'][0]}")
        if result["endpoints"] == SPEEDUP_AT and result.get("speedup") is not None \
                and result["speedup"] < SPEEDUP_TARGET:
            missed.append(f"N={SPEEDUP_AT}: speedup {result['speedup']:.1f}x < {SPEEDUP_TARGET:g}x")
    return missed


# --- presenting -------------------------------------------------------------------------------

def _fmt(value: Any, spec: str = "") -> str:
    return "-" if value is None else format(value, spec)


def rows(results: list[dict[str, Any]]) -> list[list[str]]:
    table = []
    for result in results:
        scan, baseline = result.get("scan", {}), result.get("baseline", {})
        estimated = "~" if baseline.get("estimated") else ""
        within = result.get("within_budget")
        table.append([
            f"{result['endpoints']:,}",
            _fmt(scan.get("calls"), ","),
            _fmt(scan.get("wall_s"), ".2f"),
            estimated + _fmt(baseline.get("projected_calls"), ","),
            estimated + _fmt(baseline.get("projected_s"), ".1f"),
            _fmt(result.get("speedup"), ".1f") + ("x" if result.get("speedup") else ""),
            f"{result['budget']:,}",
            "-" if within is None else ("yes" if within else "NO"),
            _fmt(scan.get("peak_rss_mib"), ".0f"),
            _fmt(scan.get("traced_peak_mib"), ".1f"),
        ])
    return table


HEADERS = ["N", "our calls", "our wall s", "baseline calls", "baseline wall s", "speedup",
           "budget", "within", "peak RSS MiB", "traced peak MiB"]


def terminal_table(results: list[dict[str, Any]]) -> str:
    body = rows(results)
    widths = [max(len(row[i]) for row in [HEADERS, *body]) for i in range(len(HEADERS))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)) for row in [HEADERS, *body]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(results: list[dict[str, Any]], options: Options) -> str:
    headers = ["Endpoints", "Our calls", "Call budget", "Our wall (s)", "Baseline calls", "Baseline wall (s)",
               "Speedup", "Scan peak RSS (MiB)"]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---:|" * len(headers)]
    for row in rows(results):
        n, calls, wall, b_calls, b_wall, speedup, budget, _, rss, _ = row
        lines.append(f"| {n} | {calls} | {budget} | {wall} | {b_calls} | {b_wall} | {speedup} | {rss} |")
    notes = [
        f"moto_server on 127.0.0.1 with {options.latency_ms:g} ms added to every request, {options.lookback_days}-day "
        "lookback, one region; ~10% of endpoints idle, a few with trickle traffic, hourly Invocations and "
        f"CPUUtilization for the rest. Our wall time is the median of {options.repeat} runs (a shared 2-core machine).",
        "Budget = N/100 + N/250 + 3 x candidates (endpoints below the underused threshold) + "
        f"{options.budget_constant}. Baseline = ListEndpoints (10 a page), then per endpoint DescribeEndpoint + "
        "ListTags + GetMetricStatistics, sequentially.",
    ]
    if any(result.get("baseline", {}).get("estimated") for result in results):
        notes.append(f"~ = baseline measured on the first {options.baseline_sample:,} endpoints and extrapolated "
                     "(it is sequential, so linear).")
    return "\n".join(lines) + "\n\n" + "\n".join(f"_{note}_  " for note in notes)


def details(result: dict[str, Any]) -> str:
    """What a reader needs to check a row: calls by operation, who was described, verdicts, errors."""
    n, scan = f"N={result['endpoints']:,}", result.get("scan")
    if not scan or "failed" in scan:
        return f"{n}: our scan {'failed: ' + scan['failed'] if scan else 'not measured'}"
    lines = [
        f"{n}: described {scan.get('described')} endpoints for {result['candidates']} planted candidates; "
        f"calls beyond N/100 + N/250 + 3 x candidates: {result.get('calls_beyond_formula')}",
        f"{n}: verdicts by planted kind: {scan.get('verdict_by_kind')}",
    ]
    constant = result["budget"] - call_budget(result["endpoints"], result["candidates"], 0)
    lines += [f"{n}:   {line}" for line in budget_breakdown(scan["by_operation"], result["endpoints"],
                                                             result["candidates"], constant)]
    lines += [f"{n}: SCAN ERROR {error}" for error in scan.get("errors", [])]
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
        "region": REGION,
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
    for size in options.sizes:
        result = bench_size(size, options, engine_ok=problem is None)
        judge(result)
        results.append(result)
    missed = targets(results) if problem is None else [f"our scan was not measured: {problem}"]

    document = {"environment": environment(options), "results": results, "targets_missed": missed}
    path = write_json(document)
    print(terminal_table(results))
    print()
    for result in results:
        print(details(result))
    print()
    print("Targets: " + ("all met" if not missed else "MISSED\n  " + "\n  ".join(missed)))
    print(f"\nJSON: {path.relative_to(ROOT)}\n\nREADME table:\n")
    print(markdown_table(results, options))
    return 1 if options.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
