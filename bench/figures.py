"""The benchmark's pure figures: scenarios, the call budget, verdict errors, the critical path, targets.

No I/O here, so bench/test_harness.py can pin every number a target is judged by.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

REGIONS = ("us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2")
IDLE_KINDS = frozenset({"idle-never", "idle-quiet", "idle-stale"})  # planted idle: must be `idle`, nothing else is

# Issue 15's targets.
CUSTODIAN_SPEEDUP, CUSTODIAN_AT = 12.0, (320, 2)  # x faster than the Custodian policy, 320 endpoints over 2 regions
CALLS_AT_MOST = 160  # calls at that scenario
BASELINE_SPEEDUP, BASELINE_AT = 40.0, (1000, 1)  # x faster than the per-endpoint baseline at 1,000 endpoints
BIG, BIG_WALL_S, MEMORY_SHARE = (10_000, 1), 60.0, 0.25  # 10,000 in one region: <= 60 s, <= 1/4 of the memory


class UsageError(Exception):
    """A flag has a value we do not accept; the message says what is accepted."""


@dataclass(frozen=True)
class Scenario:
    endpoints: int
    regions: int = 1

    @property
    def label(self) -> str:
        return f"{self.endpoints:,}" + (f" over {self.regions} regions" if self.regions > 1 else "")

    @property
    def key(self) -> tuple[int, int]:
        return self.endpoints, self.regions

    def region_names(self) -> list[str]:
        return list(REGIONS[: self.regions])


def parse_scenarios(text: str) -> tuple[Scenario, ...]:
    """'320x2,1000,10000' -> endpoints (x regions, default 1)."""
    scenarios = []
    for part in (p.strip().replace("_", "") for p in text.split(",")):
        if not part:
            continue
        count, _, regions = part.partition("x")
        try:
            scenario = Scenario(int(count), int(regions or 1))
        except ValueError:
            raise UsageError(f"--sizes {text!r}: expected comma-separated endpoint counts, each optionally "
                             f"'x' a region count, such as 320x2,1000,10000") from None
        if not 20 <= scenario.endpoints <= 50_000:
            raise UsageError(f"--sizes {text!r}: each size must be from 20 to 50000 endpoints")
        if not 1 <= scenario.regions <= len(REGIONS):
            raise UsageError(f"--sizes {text!r}: a size may span 1 to {len(REGIONS)} regions")
        scenarios.append(scenario)
    if not scenarios:
        raise UsageError(f"--sizes {text!r}: expected comma-separated endpoint counts such as 320x2,1000,10000")
    return tuple(dict.fromkeys(scenarios))


def parse_sizes(text: str) -> tuple[int, ...]:
    """Endpoint counts only (the scenarios' first number)."""
    return tuple(dict.fromkeys(s.endpoints for s in parse_scenarios(text)))


def call_budget(endpoints: int, candidates: int, constant: int, regions: int = 1) -> int:
    """Per region: endpoints and their tags 100 a page (2 x N/100); the two metric listings and the
    hourly pass 500 a call (3 x N/500); two describes a candidate (DescribeEndpoint and its config);
    its autoscaling targets and detail reads (candidates/25); a small constant. N and the
    candidates are shared evenly between the regions."""
    n, c = math.ceil(endpoints / regions), math.ceil(candidates / regions)
    per_region = 2 * math.ceil(n / 100) + 3 * math.ceil(n / 500) + 2 * c + math.ceil(c / 25) + constant
    return per_region * regions


BUDGET_TERMS = (
    ("listings 100 a page", "2 x N/100", ("sagemaker:ListEndpoints", "resourcegroupstaggingapi:GetResources")),
    ("metric listing and reads", "3 x N/500", ("cloudwatch:ListMetrics", "cloudwatch:GetMetricData")),
    ("candidate describes", "2 x candidates", ("sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig",
                                               "sagemaker:ListTags")),
    ("autoscaling", "candidates/25", ("application-autoscaling:DescribeScalableTargets",
                                      "application-autoscaling:DescribeScalingPolicies")),
)


def budget_breakdown(calls: dict[str, int], endpoints: int, candidates: int, constant: int) -> list[str]:
    """Each budget term next to the calls it pays for, so an overrun points at its operations."""
    allowed = {"2 x N/100": 2 * math.ceil(endpoints / 100), "3 x N/500": 3 * math.ceil(endpoints / 500),
               "2 x candidates": 2 * candidates, "candidates/25": math.ceil(candidates / 25)}
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


def cross_tab(kinds: dict[str, str], verdicts: dict[str, str]) -> dict[str, dict[str, int]]:
    """For each planted kind of endpoint, how many got each verdict ('missing' = not in the report)."""
    table: dict[str, Counter[str]] = {}
    for name, kind in kinds.items():
        table.setdefault(kind, Counter())[verdicts.get(name, "missing")] += 1
    return {kind: dict(sorted(counts.items())) for kind, counts in sorted(table.items())}


def verdict_errors(by_kind: dict[str, dict[str, int]]) -> tuple[int, int]:
    """(false positives, false negatives): `idle` on an endpoint not planted idle; a planted idle
    endpoint not `idle`, or any endpoint missing from the report."""
    positives = sum(counts.get("idle", 0) for kind, counts in by_kind.items() if kind not in IDLE_KINDS)
    negatives = sum(n for kind, counts in by_kind.items() if kind in IDLE_KINDS
                    for verdict, n in counts.items() if verdict != "idle")
    negatives += sum(counts.get("missing", 0) for kind, counts in by_kind.items() if kind not in IDLE_KINDS)
    return positives, negatives


def critical_path(phases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The chain of phases a region's scan waited on, first to last: from the phase that ended last,
    back through whichever of the phases it waited for (`after`) ended last."""
    if not phases:
        return []
    by_name = {p["phase"]: p for p in phases}
    chain = [max(phases, key=lambda p: p["end_s"])]
    while True:
        waited = [by_name[name] for name in chain[-1].get("after", ()) if name in by_name]
        waited = [p for p in waited if p not in chain]
        if not waited:
            break
        chain.append(max(waited, key=lambda p: p["end_s"]))
    return list(reversed(chain))


def phase_lines(phases: list[dict[str, Any]], width: int = 40) -> list[str]:
    """A text Gantt chart per region: each phase's start, duration and bar; * = on the critical path."""
    lines = []
    for region in sorted({p["region"] for p in phases}):
        mine = sorted((p for p in phases if p["region"] == region), key=lambda p: (p["start_s"], p["end_s"]))
        on_path = {id(p) for p in critical_path(mine)}
        total = max(p["end_s"] for p in mine) or 1e-9
        lines.append(f"{region}: {total * 1000:,.0f} ms; * = on the critical path (what the scan waited for)")
        for phase in mine:
            first = round(phase["start_s"] / total * width)
            length = max(1, round((phase["end_s"] - phase["start_s"]) / total * width))
            bar = " " * first + "#" * length
            lines.append(f"  {'*' if id(phase) in on_path else ' '} {phase['phase']:<22} "
                         f"{phase['start_s'] * 1000:7.0f} ms +{(phase['end_s'] - phase['start_s']) * 1000:6.0f} ms  "
                         f"|{bar:<{width}}|")
    return lines


def targets(results: list[dict[str, Any]], memory_mb: int) -> list[str]:
    """One line per missed target of issue 15, empty when all are met."""
    missed = []
    for result in results:
        key, label = (result["endpoints"], result["regions"]), result["label"]
        scan = result.get("scan", {})
        if "failed" in scan:
            missed.append(f"{label}: our scan failed: {scan['failed']}")
            continue
        for name in ("baseline", "custodian"):
            if "failed" in result.get(name, {}):
                missed.append(f"{label}: {name} failed: {result[name]['failed']}")
        if scan.get("errors"):
            missed.append(f"{label}: our scan reported errors (part of the account unseen): {scan['errors'][0]}")
        if result.get("false_positives") or result.get("false_negatives"):
            missed.append(f"{label}: {result['false_positives']} false positives, {result['false_negatives']} "
                          f"false negatives: {scan.get('verdict_by_kind')}")
        if result.get("within_budget") is False:
            missed.append(f"{label}: {scan['calls']} calls > budget {result['budget']}")
        if key == CUSTODIAN_AT:
            if scan.get("calls", 0) > CALLS_AT_MOST:
                missed.append(f"{label}: {scan['calls']} calls > {CALLS_AT_MOST}")
            speedup = result.get("custodian_speedup")
            if speedup is not None and speedup < CUSTODIAN_SPEEDUP:
                missed.append(f"{label}: {speedup:.1f}x faster than Custodian < {CUSTODIAN_SPEEDUP:g}x")
        if key == BASELINE_AT:
            speedup = result.get("speedup")
            if speedup is not None and speedup < BASELINE_SPEEDUP:
                missed.append(f"{label}: {speedup:.1f}x faster than the per-endpoint baseline < {BASELINE_SPEEDUP:g}x")
        if key == BIG:
            if scan.get("wall_s", 0) > BIG_WALL_S:
                missed.append(f"{label}: {scan['wall_s']:.1f} s > {BIG_WALL_S:g} s")
            if scan.get("peak_rss_mib", 0) > memory_mb * MEMORY_SHARE:
                missed.append(f"{label}: peak RSS {scan['peak_rss_mib']:.0f} MiB > a quarter of {memory_mb} MB")
    return missed
