"""What the simulated account is made of: endpoints as specs, traffic as shapes, the demo's fleet.

Plain data, no AWS: the builder (account.py) turns specs into a moto account; tests and
benchmarks write their own fleets with the same specs and shapes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

DEMO_REGIONS = ("us-east-1", "eu-west-1")
Traffic = Callable[[int], float]  # hours ago -> invocations in that hour


def busy(per_hour: float) -> Traffic:
    """Steady daytime-peaking traffic every hour."""
    return lambda h: round(per_hour * (0.6 + 0.4 * math.sin(h / 24 * 2 * math.pi)))


def burst_at(*days_ago: float, count: float = 40) -> Traffic:
    """Traffic only in the hours given (as days ago): a forgotten endpoint's last calls."""
    hours = {round(d * 24) for d in days_ago}
    return lambda h: count if h in hours else 0


def weekly(count: float = 40, first_days_ago: float = 3) -> Traffic:
    """A weekly batch job: one busy hour every 7 days."""
    return lambda h: count if h >= first_days_ago * 24 and (h - round(first_days_ago * 24)) % (7 * 24) == 0 else 0


def trickle(per_day: float) -> Traffic:
    """A few calls a day, spread over working hours."""
    return lambda h: per_day / 8 if h % 24 in range(8, 16) else 0


def reactivated(quiet_days: float, busy_hours: int, per_hour: float = 120) -> Traffic:
    """Busy long ago, silent for `quiet_days`, busy again for the last `busy_hours`."""
    return lambda h: per_hour if h < busy_hours or h > quiet_days * 24 else 0


def office_hours(now: datetime, per_hour: float, timezone: str = "UTC", first: int = 8, last: int = 19,
                 weekdays: int = 5) -> Traffic:
    """Traffic on weekdays from `first` to `last` o'clock in the time zone; none at night nor at weekends."""
    zone, top = ZoneInfo(timezone), now.replace(minute=0, second=0, microsecond=0)

    def traffic(h: int) -> float:
        local = (top - timedelta(hours=h)).astimezone(zone)
        return per_hour if local.weekday() < weekdays and first <= local.hour < last else 0

    return traffic


def silent(_: int) -> float:
    return 0


@dataclass(frozen=True)
class VariantSpec:
    name: str = "AllTraffic"
    instance_type: str | None = "ml.m5.large"
    count: int = 1
    traffic: Traffic = silent
    cpu_pct: float = 20.0
    serverless: bool = False
    gpu_pct: float | None = None
    provisioned_concurrency: int | None = None  # serverless only: bills at rest


@dataclass(frozen=True)
class EndpointSpec:
    name: str
    region: str = "us-east-1"
    variants: tuple[VariantSpec, ...] = (VariantSpec(),)
    age_days: float = 60
    tags: dict[str, str] = field(default_factory=dict)
    status: str = "InService"
    autoscaling: tuple[int, int, float] | None = None  # min, max, invocations per instance per minute
    lose_config: bool = False  # its endpoint config was deleted while it runs
    asynchronous: bool = False  # AsyncInferenceConfig: publishes InvocationsProcessed and its queue, no Invocations
    backlog: Traffic = silent  # async only: requests waiting in the queue, by hours ago
    story: str = ""


def demo_specs(now: datetime, prefix: str = "cost-watcher:") -> list[EndpointSpec]:
    """Twenty-four endpoints over two regions covering every verdict, every kind and the tag contract."""
    day = lambda n: (now - timedelta(days=n)).date().isoformat()  # noqa: E731
    reclaim, mark, ignore = prefix + "reclaim", prefix + "idle-since", prefix + "ignore"
    east, west = DEMO_REGIONS
    return [
        EndpointSpec(
            "fraud-scoring-prod",
            east,
            (VariantSpec(instance_type="ml.c5.xlarge", count=2, traffic=busy(900), cpu_pct=55),),
            autoscaling=(2, 6, 1200),
            tags={"team": "risk"},
            story="busy production endpoint",
        ),
        EndpointSpec("pricing-api", east, (VariantSpec(traffic=busy(300), cpu_pct=35),), story="busy, single instance"),
        EndpointSpec(
            "churn-model-v1",
            east,
            (VariantSpec(instance_type="ml.m5.xlarge", traffic=burst_at(23)),),
            tags={reclaim: "delete", "team": "growth"},
            story="last used 23 days ago, opted in to delete",
        ),
        EndpointSpec(
            "churn-model-v2-shadow",
            east,
            (VariantSpec(),),
            tags={"team": "growth"},
            story="never invoked, not opted in",
        ),
        EndpointSpec(
            "image-embed-gpu",
            east,
            (VariantSpec(instance_type="ml.g4dn.xlarge", count=2, cpu_pct=3, gpu_pct=0),),
            tags={reclaim: "scale-down", mark: day(5)},
            autoscaling=(2, 4, 300),
            story="idle GPU endpoint past its grace period, opted in to scale down",
        ),
        EndpointSpec(
            "weekly-report-scorer",
            east,
            (VariantSpec(instance_type="ml.g4dn.2xlarge", traffic=weekly(40), cpu_pct=2, gpu_pct=4),),
            story="a weekly batch on a GPU: underused",
        ),
        EndpointSpec(
            "recsys-ab-test",
            east,
            (
                VariantSpec("ModelA", "ml.m5.xlarge", 2, busy(400), 40),
                VariantSpec("ModelB", "ml.m5.xlarge", 1, silent, 1),
            ),
            story="A/B test whose variant B gets no traffic",
        ),
        EndpointSpec(
            "support-bot-serverless",
            east,
            (VariantSpec(instance_type=None, count=0, serverless=True),),
            story="serverless and idle: costs nothing",
        ),
        EndpointSpec(
            "search-rerank",
            east,
            (VariantSpec(instance_type="ml.c5.2xlarge", traffic=reactivated(21, 20)),),
            tags={reclaim: "delete", mark: day(10)},
            story="idle for weeks, traffic again since yesterday",
        ),
        EndpointSpec(
            "forecast-staging",
            east,
            (VariantSpec(),),
            age_days=2,
            tags={reclaim: "delete"},
            story="created two days ago",
        ),
        EndpointSpec("nlp-ner-canary", east, (VariantSpec(),), status="Failed", story="failed deployment"),
        EndpointSpec(
            "legacy-xgb-batch",
            east,
            (VariantSpec(instance_type="ml.m5.2xlarge", traffic=burst_at(29)),),
            tags={reclaim: "Delete "},
            story="opt-in tag in the wrong case: a warning, no opt-in",
        ),
        EndpointSpec(
            "llm-summarizer",
            east,
            (VariantSpec(instance_type="ml.g4dn.2xlarge", count=4, traffic=trickle(40), cpu_pct=4, gpu_pct=6),),
            autoscaling=(4, 8, 600),
            story="four GPUs for 40 calls a day: underused, right-size by capacity",
        ),
        EndpointSpec("team-sandbox", east, (VariantSpec(),), tags={ignore: "true"}, story="ignored by tag"),
        EndpointSpec(
            "video-transcribe-async",
            east,
            (VariantSpec(instance_type="ml.g4dn.xlarge", traffic=busy(60), cpu_pct=40, gpu_pct=55),),
            asynchronous=True,
            backlog=busy(12),
            tags={reclaim: "delete"},
            story="busy asynchronous endpoint, opted in: judged by what it processed, never deleted",
        ),
        EndpointSpec(
            "batch-embed-async",
            east,
            (VariantSpec(instance_type="ml.g4dn.xlarge", cpu_pct=1, gpu_pct=0),),
            asynchronous=True,
            story="asynchronous, nothing processed or queued for weeks: idle",
        ),
        EndpointSpec(
            "faq-serverless-pc",
            east,
            (VariantSpec(instance_type=None, count=0, serverless=True, provisioned_concurrency=4),),
            story="serverless with provisioned concurrency: bills at rest, idle",
        ),
        EndpointSpec(
            "ranker-rollback-failed",
            east,
            (VariantSpec(instance_type="ml.c5.xlarge", count=2, traffic=burst_at(20)),),
            status="UpdateRollbackFailed",
            tags={reclaim: "delete"},
            story="UpdateRollbackFailed: serves and bills, judged idle, never acted on",
        ),
        EndpointSpec(
            "ocr-invoices-eu",
            west,
            (VariantSpec(instance_type="ml.c5.2xlarge", traffic=busy(250), cpu_pct=30),),
            story="busy",
        ),
        EndpointSpec(
            "kyc-face-match-eu",
            west,
            (VariantSpec(instance_type="ml.g4dn.xlarge"),),
            tags={reclaim: "delete", mark: day(1)},
            story="never invoked, opted in, in its grace period",
        ),
        EndpointSpec(
            "translation-eu",
            west,
            (VariantSpec(count=3, traffic=trickle(12), cpu_pct=4),),
            story="a dozen calls a day on three instances: underused",
        ),
        EndpointSpec(
            "doc-classifier-eu",
            west,
            (VariantSpec(traffic=burst_at(9)),),
            lose_config=True,
            story="its endpoint config was deleted: cannot be described, so unknown",
        ),
        EndpointSpec("churn-eu-updating", west, (VariantSpec(),), status="Updating", story="being updated"),
        EndpointSpec(
            "claims-assistant",
            east,
            (VariantSpec(instance_type="ml.g4dn.2xlarge", count=3, traffic=office_hours(now, 400), cpu_pct=35,
                         gpu_pct=45),),
            tags={reclaim: "schedule", "team": "claims"},
            story="office hours only, opted in to a schedule: quiet nights and weekends scale to 1 instance",
        ),
    ]
