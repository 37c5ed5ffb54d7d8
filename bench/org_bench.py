"""Organization mode at scale: `python bench/org_bench.py [--accounts 100 --regions 2 --endpoints 50]`.

A simulated organization in moto (in-process): N member accounts, each with the spoke role and
`--endpoints` endpoints per region (the scan benchmark's realistic fleet mix, seeded straight
into moto's backends). The laptop fan-out (organization/pool.py) scans it with `--workers`
accounts at once, as `cost-watcher scan --organization` would. Printed: API calls (total, per
item, by operation), wall time, resident memory (moto's simulated accounts included: they live
in the same process), then the arithmetic of the same organization run on AWS.

Figures, not a test: nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent / "lambda_src"))
os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)

REGIONS = ("us-east-1", "eu-west-1", "us-west-2", "ap-southeast-1")
# Step Functions Standard: $0.025 per 1,000 state transitions (us-east-1); Lambda arm64 $0.0000133334
# per GB-second and $0.20 per million requests. https://aws.amazon.com/step-functions/pricing/
# https://aws.amazon.com/lambda/pricing/
TRANSITION_USD = 0.025 / 1000
LAMBDA_GB_SECOND_USD = 0.0000133334
LAMBDA_REQUEST_USD = 0.20 / 1e6


def build(accounts: int, regions: tuple[str, ...], endpoints: int, now: datetime) -> list:
    from moto.organizations.models import organizations_backends
    from seed_account import plan_account, seed

    from cost_watcher.organization.accounts import Account
    from cost_watcher.scan.clients import Clients
    from cost_watcher.sim.organization import _create_role, refuse_missing_roles

    refuse_missing_roles()
    hub = Clients()
    organizations = hub.client("organizations", "us-east-1")
    organizations.create_organization(FeatureSet="ALL")
    members = []
    for index in range(accounts):
        status = organizations.create_account(Email=f"team{index}@example.com", AccountName=f"team-{index:03d}")
        account_id = status["CreateAccountStatus"]["AccountId"]
        _create_role(account_id, "CostWatcherSpoke")
        for offset, region in enumerate(regions):
            seed(plan_account(endpoints, seed=index * 10 + offset), region, now, account=account_id)
        members.append(Account(account_id, f"team-{index:03d}"))
    assert organizations_backends  # the organization lives in moto's backends
    hub.calls.clear()
    return [hub, members]


MIB = 1024 * 1024
OWNERS = (("cost_watcher", "our engine (findings, reports)"), ("botocore", "boto3/botocore clients"),
          ("boto3", "boto3/botocore clients"), ("moto", "moto (the simulated accounts)"),
          ("json", "moto (the simulated accounts)"))


def by_owner(snapshot: tracemalloc.Snapshot) -> dict[str, float]:
    """Memory still allocated after the fan-out, by whose code allocated it."""
    held: Counter[str] = Counter()
    for stat in snapshot.statistics("filename"):
        name = stat.traceback[0].filename
        owner = next((label for key, label in OWNERS if f"/{key}/" in name), "other")
        held[owner] += stat.size / MIB
    return {owner: round(size, 1) for owner, size in held.most_common()}


def aws_arithmetic(accounts: int, regions: int, endpoints: int, seconds_per_item: float, memory_mb: int,
                   concurrency: int) -> dict[str, float]:
    """The same run on AWS: one execution, a Distributed Map of accounts x regions child executions."""
    items = accounts * regions
    # parent: start, List accounts, Map start/end, Merge, end; each child: start, the item task, end
    transitions = 6 + items * 3
    invocations = items + 2
    gb_seconds = memory_mb / 1024 * (items * seconds_per_item + 2 * 5)
    waves = -(-items // concurrency)
    return {"items (child executions)": items, "state transitions": transitions,
            "Step Functions $/run": round(transitions * TRANSITION_USD, 4),
            "Lambda invocations": invocations, "Lambda GB-seconds": round(gb_seconds),
            "Lambda $/run": round(gb_seconds * LAMBDA_GB_SECOND_USD + invocations * LAMBDA_REQUEST_USD, 4),
            "peak Lambda concurrency": min(items, concurrency) + 0,
            "waves at MaxConcurrency": waves,
            "wall time on AWS, s (waves x item time)": round(waves * seconds_per_item, 1),
            "endpoints": accounts * regions * endpoints}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--regions", type=int, default=2, choices=range(1, len(REGIONS) + 1))
    parser.add_argument("--endpoints", type=int, default=50, help="per account and region")
    parser.add_argument("--workers", type=int, default=8, help="accounts scanned at once (the laptop pool)")
    parser.add_argument("--memory-mb", type=int, default=2048, help="the function's memory, for the AWS arithmetic")
    parser.add_argument("--max-concurrency", type=int, default=20, help="the Map's MaxConcurrency, for the arithmetic")
    parser.add_argument("--trace", action="store_true",
                        help="also trace allocations (slower): whose memory the fan-out holds at its peak")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from measure import RssSampler, _rss_mib
    from moto import mock_aws

    from cost_watcher.organization.config import OrgSettings
    from cost_watcher.organization.pool import run_organization
    from cost_watcher.settings import Settings

    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    regions = REGIONS[: args.regions]
    with mock_aws():
        started = time.perf_counter()
        hub, accounts = build(args.accounts, regions, args.endpoints, now)
        seeded_s = time.perf_counter() - started
        settings = Settings(regions=regions, pricing="table", notify="never", ledger=tempfile.mkdtemp(prefix="org-"))
        before = _rss_mib()
        if args.trace:
            tracemalloc.start()
        with RssSampler() as rss:
            started = time.perf_counter()
            report = run_organization(settings, OrgSettings(max_workers=args.workers), hub, accounts, now=now)
            wall_s = time.perf_counter() - started
        held = by_owner(tracemalloc.take_snapshot()) if args.trace else {}
        traced_peak = tracemalloc.get_traced_memory()[1] / MIB if args.trace else None
    items = len(accounts) * len(regions)
    calls = Counter(report.api_calls)
    result = {
        "accounts": len(accounts), "regions": len(regions), "items": items,
        "endpoints scanned": len(report.findings), "accounts seen": sum(a.seen == "seen" for a in report.accounts),
        "errors": len(report.errors), "seeding s": round(seeded_s, 1), "fan-out wall s": round(wall_s, 1),
        "s per item (with moto in-process)": round(wall_s * args.workers / items, 2),
        "API calls": sum(calls.values()), "calls per item": round(sum(calls.values()) / items, 1),
        "RSS before MiB": round(before), "RSS peak MiB": round(rss.peak), "RSS growth MiB": round(rss.peak - before),
        **({"traced peak MiB": round(traced_peak), "held after the run, MiB by owner": held} if args.trace else {}),
        "calls by operation": dict(calls.most_common()),
        "on AWS": aws_arithmetic(len(accounts), len(regions), args.endpoints, wall_s * args.workers / items,
                                 args.memory_mb, args.max_concurrency),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            if isinstance(value, dict):
                print(f"{key}:")
                for inner, figure in value.items():
                    print(f"  {inner:40} {figure}")
            else:
                print(f"{key:42} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
