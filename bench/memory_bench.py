"""Peak memory of one whole nightly run at 10,000 endpoints, against the function's memory setting.

Issue 6 asks that an account of 10,000 endpoints stays under the Lambda's memory. Seeding
10,000 endpoints through the API takes minutes, too slow for `make test`, so this is a
script that prints the figure instead of a timed test:

    .venv/bin/python bench/memory_bench.py [--endpoints 10000] [--memory-mb 2048] [--mode act|report]

It seeds the benchmark's realistic fleet (bench/seed_account.py: ~10% idle, 30% of those
opted in) into moto served on 127.0.0.1 (bench/latency_server.py, no added latency), then
runs the WHOLE job in a fresh process, as the deployed function does: engine.run with a
ledger bucket and an SNS topic, so the scan, the reclaim step (act mode: marks the opted-in
idle endpoints), the stored JSON report and the digest are all inside the measurement.
Twice: once for wall time and resident memory (RSS sampled every few ms), once under
tracemalloc for the Python heap's peak (slower, so not timed). The server runs in this
process, so the child's figures are the engine's alone. Exit 1 when the peak RSS is not
below the memory setting. Nothing here reaches AWS: fake credentials, local endpoint only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

REGION = "us-east-1"
BUCKET = "bench-ledger"
TOPIC = "cost-watcher-bench"
MIB = 1024 * 1024
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION}


def _rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MIB


# --- the measured process ---------------------------------------------------------------------

def child(out: Path, mode: str, traced: bool, topic_arn: str) -> None:
    """One run of the whole job, as the Lambda runs it; figures written to `out` as JSON."""
    import boto3
    from measure import RssSampler

    from cost_watcher.engine import run
    from cost_watcher.scan.clients import Clients
    from cost_watcher.settings import Settings

    settings = Settings(regions=(REGION,), pricing="table", dry_run=mode == "report", ledger=f"s3://{BUCKET}/cw",
                        topic_arn=topic_arn, notify="always")
    clients = Clients(boto3.session.Session(region_name=REGION), max_workers=settings.max_workers)
    # botocore's service models cost the same to any tool the first time; they are not the run
    for build in (clients.sagemaker, clients.cloudwatch, clients.autoscaling, clients.sns):
        build(REGION)
    clients.s3()
    clients.client("resourcegroupstaggingapi", REGION)
    before = _rss_mib()
    if traced:
        tracemalloc.start()
    with RssSampler() as sampler:
        began = time.perf_counter()
        report = run(settings, clients, run_id=f"memory-bench-{mode}-{'traced' if traced else 'plain'}")
        wall = time.perf_counter() - began
    result: dict[str, Any] = {"wall_s": round(wall, 2), "rss_before_mib": round(before, 1),
                              "peak_rss_mib": round(sampler.peak, 1)}
    if traced:
        result["traced_peak_mib"] = round(tracemalloc.get_traced_memory()[1] / MIB, 1)
        tracemalloc.stop()
    result.update(
        findings=len(report.findings),
        verdicts=dict(Counter(str(f.verdict) for f in report.findings)),
        actions=dict(Counter(f"{f.action}:{(f.action_result or '').split(':')[0]}" for f in report.findings
                             if str(f.action) != "none")),
        errors=[f"{e.region} {e.operation}: {e.message}" for e in report.errors],
        notification=report.notification,
        report_location=report.report_location,
        calls=sum(clients.calls.values()),
    )
    out.write_text(json.dumps(result))


def run_child(url: str, mode: str, traced: bool, topic_arn: str) -> dict[str, Any]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(FAKE_CREDENTIALS, AWS_ENDPOINT_URL=url)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "result.json"
        command = [sys.executable, __file__, "--child", "--out", str(out), "--mode", mode, "--topic-arn", topic_arn]
        if traced:
            command.append("--trace")
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode or not out.exists():
            tail = "\n".join(done.stderr.strip().splitlines()[-15:])
            raise SystemExit(f"measured run exited {done.returncode}:\n{tail}")
        return json.loads(out.read_text())


# --- the driver -------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", type=int, default=10_000, help="account size (default 10000)")
    parser.add_argument("--memory-mb", type=int, default=2048, help="the function's memory setting (default 2048)")
    parser.add_argument("--mode", choices=("act", "report"), default="act", help="deployment mode (default act)")
    parser.add_argument("--no-trace", action="store_true", help="skip the (slow) tracemalloc run")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--topic-arn", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        if not os.environ.get("AWS_ENDPOINT_URL", "").startswith("http://127.0.0.1:"):
            print("memory_bench.py: refusing to run the engine against anything but the local server", file=sys.stderr)
            return 2
        child(args.out, args.mode, args.trace, args.topic_arn)
        return 0
    if not 100 <= args.endpoints <= 50_000:
        print(f"--endpoints {args.endpoints}: expected 100 to 50000", file=sys.stderr)
        return 2

    os.environ.update(FAKE_CREDENTIALS)
    import boto3
    from latency_server import LatencyServer
    from seed_account import plan_account, seed

    began = time.perf_counter()
    datapoints = seed(plan_account(args.endpoints), REGION, datetime.now(UTC))
    print(f"seeded {args.endpoints:,} endpoints and {datapoints:,} datapoints in {time.perf_counter() - began:.0f} s",
          flush=True)
    figures: dict[str, Any] = {"endpoints": args.endpoints, "mode": args.mode, "memory_mb": args.memory_mb}
    with LatencyServer(0.0) as server:
        session = boto3.session.Session(region_name=REGION)
        session.client("s3", endpoint_url=server.url).create_bucket(Bucket=BUCKET)
        topic_arn = session.client("sns", endpoint_url=server.url).create_topic(Name=TOPIC)["TopicArn"]
        figures["run"] = run_child(server.url, args.mode, False, topic_arn)
        print(f"run: {figures['run']['wall_s']} s, peak RSS {figures['run']['peak_rss_mib']} MiB", flush=True)
        if not args.no_trace:
            traced = run_child(server.url, args.mode, True, topic_arn)  # in act mode it finds the first run's marks
            figures["traced_peak_mib"] = traced["traced_peak_mib"]
            figures["traced_run"] = traced
    run = figures["run"]
    print(json.dumps(figures, indent=2))
    fits = run["peak_rss_mib"] < args.memory_mb
    traced_text = f", Python heap peak {figures['traced_peak_mib']} MiB (tracemalloc)" if "traced_peak_mib" in figures \
        else ""
    print(f"\n{args.endpoints:,} endpoints, {args.mode} mode: peak RSS {run['peak_rss_mib']} MiB{traced_text}; "
          f"function memory {args.memory_mb} MB: {'fits' if fits else 'DOES NOT FIT'}")
    return 0 if fits else 1


if __name__ == "__main__":
    sys.exit(main())
