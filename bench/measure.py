"""One measured scan in its own process: `python bench/measure.py scan|baseline --out FILE`.

A separate process so the figures are the client's alone: its wall time does not compete
for the GIL with the moto server, and its peak memory is not mixed with the server's
(which holds the whole simulated account). The server is found through AWS_ENDPOINT_URL,
as any boto3 program would find it. The result is written as JSON to --out, so logs on
stdout/stderr cannot corrupt it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

MIB = 1024 * 1024


def _rss_mib() -> float:
    """Current resident set size (Linux /proc), in MiB."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / MIB


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class RssSampler:
    """Highest RSS seen while a block runs, sampled every few milliseconds.

    ru_maxrss alone would report botocore's transient peak while it parses the SageMaker
    service model (well over 100 MiB) rather than anything the scan itself holds.
    """

    def __init__(self, interval_s: float = 0.005) -> None:
        self.interval_s = interval_s
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_mib())
            self._stop.wait(self.interval_s)

    def __enter__(self) -> RssSampler:
        self.peak = _rss_mib()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mib())


def measure_scan(regions: list[str], lookback_days: int, traced: bool) -> dict[str, Any]:
    import boto3

    from cost_watcher.engine import run
    from cost_watcher.scan.clients import Clients
    from cost_watcher.settings import Settings

    settings = Settings(regions=tuple(regions), lookback_days=lookback_days, pricing="table")
    clients = Clients(boto3.session.Session(region_name=regions[0]), max_workers=settings.max_workers)
    # Build the clients first, as the baselines do: loading botocore's service models takes
    # about a second and 100+ MiB the first time, the same for any tool, and is not the scan.
    for region in regions:
        for build in (clients.sagemaker, clients.cloudwatch, clients.autoscaling, clients.compute_optimizer):
            build(region)
        clients.client("resourcegroupstaggingapi", region)
    rss_before = _rss_mib()
    if traced:
        tracemalloc.start()
    with RssSampler() as sampler:
        began = time.perf_counter()
        report = run(settings, clients)
        wall = time.perf_counter() - began
    result: dict[str, Any] = {"wall_s": wall, "rss_before_mib": rss_before, "peak_rss_mib": sampler.peak,
                              "process_max_rss_mib": _peak_rss_mib()}
    if traced:
        result["traced_peak_mib"] = tracemalloc.get_traced_memory()[1] / MIB
        tracemalloc.stop()
    result.update(
        client_calls=dict(sorted(clients.calls.items())),
        findings=len(report.findings),
        described=sum(1 for finding in report.findings if finding.endpoint is not None and finding.endpoint.described),
        verdicts={finding.name: str(finding.verdict) for finding in report.findings},
        verdict_counts=dict(Counter(str(finding.verdict) for finding in report.findings)),
        errors=[f"{error.region} {error.operation}: {error.message}" for error in report.errors],
        ignored=report.ignored,
        phases=[{"region": p.region, "phase": p.name, "start_s": p.start_s, "end_s": p.end_s, "after": list(p.after)}
                for p in getattr(report, "scan_phases", [])],
    )
    return result


def measure_baseline(region: str, lookback_days: int, sample: int | None) -> dict[str, Any]:
    import boto3
    from baseline_scan import baseline_scan

    session = boto3.session.Session(region_name=region)
    sagemaker, cloudwatch = session.client("sagemaker"), session.client("cloudwatch")
    with RssSampler() as sampler:
        outcome = baseline_scan(sagemaker, cloudwatch, lookback_days, sample)
    return {
        "endpoints": outcome.endpoints,
        "examined": outcome.examined,
        "estimated": outcome.estimated,
        "list_calls": outcome.list_calls,
        "examine_calls": outcome.examine_calls,
        "list_s": outcome.list_seconds,
        "examine_s": outcome.examine_seconds,
        "projected_calls": outcome.projected_calls,
        "projected_s": outcome.projected_seconds,
        "idle": sorted(name for name, idle in outcome.idle.items() if idle),
        "peak_rss_mib": sampler.peak,
    }


def measure_custodian(regions: list[str], lookback_days: int, sample: int | None) -> dict[str, Any]:
    import boto3
    from custodian_baseline import custodian_scan

    session = boto3.session.Session(region_name=regions[0])
    for region in regions:  # service models, as for the other scans
        session.client("sagemaker", region_name=region)
        session.client("cloudwatch", region_name=region)
    with RssSampler() as sampler:
        outcome = custodian_scan(session, regions, lookback_days, sample)
    return {
        "endpoints": sum(run.endpoints for run in outcome.regions),
        "examined": sum(run.examined for run in outcome.regions),
        "estimated": outcome.estimated,
        "by_region": [vars(run) for run in outcome.regions],
        "projected_calls": outcome.projected_calls,
        "projected_s": outcome.projected_seconds,
        "idle": sorted(name for name, idle in outcome.idle.items() if idle),
        "peak_rss_mib": sampler.peak,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("scan", "baseline", "custodian"))
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--region", default="us-east-1", help="the region, or comma-separated regions")
    parser.add_argument("--lookback-days", type=int, default=7)
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slower)")
    parser.add_argument("--sample", type=int, default=None, help="baseline: examine only this many endpoints")
    args = parser.parse_args(argv)
    if not os.environ.get("AWS_ENDPOINT_URL", "").startswith("http://127.0.0.1:"):
        print("measure.py: AWS_ENDPOINT_URL must point at the local moto server (http://127.0.0.1:PORT); "
              "refusing to run against anything else", file=sys.stderr)
        return 2
    regions = [region for region in args.region.split(",") if region]
    if args.mode == "scan":
        result = measure_scan(regions, args.lookback_days, args.tracemalloc)
    elif args.mode == "custodian":
        result = measure_custodian(regions, args.lookback_days, args.sample)
    else:
        result = measure_baseline(regions[0], args.lookback_days, args.sample)
    args.out.write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
