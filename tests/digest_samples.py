"""Hand-built reports for the digest tests: every section of the digest, at a fixed time.

Built directly from the model (no AWS), so a golden text changes only when the rendering does.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from cost_watcher.model import Action, Endpoint, Finding, Outcome, RegionError, Report, VariantFinding, Verdict
from cost_watcher.settings import Settings

NOW = datetime(2024, 6, 1, 2, 0, tzinfo=UTC)
REGIONS = ("us-east-1", "eu-west-1")
LEDGER = "s3://ledger-bucket/cost-watcher"


def finding(name: str, region: str, verdict: Verdict, *, cost: float | None, reclaimable: float = 0.0,
            score: int = 0, idle_days: float | None = None, instance_type: str = "ml.m5.large", count: int = 1,
            **changes) -> Finding:
    """One endpoint's finding; `idle_days` None means no invocation within last_used_days."""
    last = None if idle_days is None else NOW - timedelta(days=idle_days)
    endpoint = Endpoint(name=name, region=region, status="InService", created=NOW - timedelta(days=120),
                        arn=f"arn:aws:sagemaker:{region}:123456789012:endpoint/{name}")
    return Finding(
        name=name, region=region, status="InService", created=endpoint.created, verdict=verdict, score=score,
        reason=changes.pop("reason", f"{verdict} for the test"), last_invocation=last,
        variants=[VariantFinding("AllTraffic", instance_type, count, 0.0, verdict, cost)],
        monthly_cost_usd=cost, reclaimable_usd=reclaimable, endpoint=endpoint, **changes,
    )


def act_report() -> Report:
    """A night in act mode with one of everything: reclaimed, marked, deferred, unmarked, unseen."""
    findings = [
        finding("legacy-nlp", "us-east-1", Verdict.IDLE, cost=83.95, reclaimable=83.95, score=85, idle_days=9),
        finding("fraud-model-v2", "us-east-1", Verdict.IDLE, cost=1766.08, reclaimable=1766.08, score=100,
                instance_type="ml.g5.2xlarge", reclaim_tag="delete", idle_since=date(2024, 5, 27),
                action=Action.DELETE, action_result=Outcome.parse("done")),
        finding("churn-xgb", "eu-west-1", Verdict.IDLE, cost=98.55, reclaimable=98.55, score=91, idle_days=23,
                reclaim_tag="delete", idle_since=date(2024, 6, 1), reclaim_on=date(2024, 6, 4),
                action=Action.MARK, action_result=Outcome.parse("done")),
        finding("recsys-ab", "us-east-1", Verdict.UNDERUSED, cost=1204.5, reclaimable=903.38, score=60,
                idle_days=0.2, instance_type="ml.c5.xlarge", count=4),
        finding("search-embed", "eu-west-1", Verdict.IDLE, cost=530.0, reclaimable=530.0, score=100,
                reclaim_tag="scale-down", idle_since=date(2024, 5, 20), action=Action.SCALE_DOWN,
                action_result=Outcome.parse("skipped: cap of 5 destructive actions per run reached")),
        finding("image-tagger", "eu-west-1", Verdict.IDLE, cost=250.0, reclaimable=250.0, score=95, idle_days=12,
                reclaim_tag="delete", idle_since=date(2024, 5, 30), reclaim_on=date(2024, 6, 2)),
        finding("busy-api", "us-east-1", Verdict.ACTIVE, cost=300.0, score=3, idle_days=0),
        finding("back-again", "us-east-1", Verdict.ACTIVE, cost=100.0, score=10, idle_days=0,
                reclaim_tag="delete", action=Action.UNMARK, action_result=Outcome.parse("done")),
        finding("old-thing", "eu-west-1", Verdict.UNKNOWN, cost=None,
                reason="Could not read its usage (ThrottlingException: Rate exceeded); never treated as idle."),
    ]
    return Report(
        generated_at=NOW, lookback_days=7, regions=list(REGIONS), dry_run=False, findings=findings, ignored=2,
        errors=[RegionError("ap-south-1", "sagemaker:ListEndpoints",
                            "AccessDeniedException: not authorized to perform sagemaker:ListEndpoints")],
        report_location=f"{LEDGER}/reports/2024/06/01/20240601T020000Z-0a1b2c3d.json",
    )


def dry_run_report() -> Report:
    """The same kind of night as a dry run: everything planned, nothing done."""
    findings = [
        finding("fraud-model-v2", "us-east-1", Verdict.IDLE, cost=1766.08, reclaimable=1766.08, score=100,
                instance_type="ml.g5.2xlarge", reclaim_tag="delete", idle_since=date(2024, 5, 27),
                action=Action.DELETE, action_result=Outcome.parse("planned")),
        finding("churn-xgb", "eu-west-1", Verdict.IDLE, cost=98.55, reclaimable=98.55, score=91, idle_days=23,
                reclaim_tag="delete", reclaim_on=date(2024, 6, 4), action=Action.MARK,
                action_result=Outcome.planned()),
        finding("legacy-nlp", "us-east-1", Verdict.IDLE, cost=83.95, reclaimable=83.95, score=85, idle_days=9),
        finding("busy-api", "us-east-1", Verdict.ACTIVE, cost=300.0, score=3, idle_days=0),
    ]
    return Report(generated_at=NOW, lookback_days=7, regions=list(REGIONS), dry_run=True, findings=findings,
                  report_location=f"{LEDGER}/reports/2024/06/01/20240601T020000Z-4e5f6a7b.json")


def quiet_report() -> Report:
    """Nothing idle, nothing done, everything seen."""
    findings = [finding("busy-api", "us-east-1", Verdict.ACTIVE, cost=300.0, score=3, idle_days=0),
                finding("new-model", "eu-west-1", Verdict.TOO_NEW, cost=120.0)]
    return Report(generated_at=NOW, lookback_days=7, regions=list(REGIONS), dry_run=True, findings=findings)


def big_report(count: int = 5000, *, seed: int = 4) -> Report:
    """`count` idle endpoints with varied prices, across four regions, in act mode."""
    rng = random.Random(seed)
    regions = ["us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1"]
    findings = []
    for i in range(count):
        cost = round(rng.uniform(20, 4000), 2)
        deleted = i % 500 == 0
        findings.append(finding(
            f"team-{i % 97:02d}-model-{i:05d}-{'x' * (i % 20)}", regions[i % 4], Verdict.IDLE, cost=cost,
            reclaimable=cost, score=rng.randint(70, 100), idle_days=rng.choice([None, 9.0, 15.0]),
            reclaim_tag="delete" if i % 3 == 0 else None,
            reclaim_on=date(2024, 6, 3) if i % 3 == 0 and not deleted else None,
            action=Action.DELETE if deleted else Action.NONE, action_result=Outcome.parse("done") if deleted else None,
        ))
    errors = [RegionError(f"region-{i}", "cloudwatch:GetMetricData", "ThrottlingException: " + "slow down " * 30)
              for i in range(40)]
    return Report(generated_at=NOW, lookback_days=7, regions=regions, dry_run=False, findings=findings,
                  errors=errors, report_location=f"{LEDGER}/reports/2024/06/01/big.json")


def settings(**changes) -> Settings:
    base = Settings(regions=REGIONS, dry_run=False, ledger=LEDGER,
                    topic_arn="arn:aws:sns:us-east-1:123456789012:cost-watcher-digest")
    return base.replace(**changes)
