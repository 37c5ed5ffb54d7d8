"""The Lambda face of run(): settings from the environment, an event that may override a few.

A scheduled event runs with the deployed settings. A manual invoke may narrow the run
with {"overrides": {...}} — never widen it: it cannot switch a report-mode deployment to
act, raise the action cap, or change where records and digests go. A bad event gets a
clear rejection and nothing is done.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit

from cost_watcher.engine import run
from cost_watcher.errors import EventError, SettingsError
from cost_watcher.model import Report, Verdict
from cost_watcher.record import summarize
from cost_watcher.scan.clients import Clients
from cost_watcher.settings import Settings, from_environment, from_mapping

SERVICE = "cost-watcher"
logger = Logger(service=SERVICE)
if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):  # in Lambda, the engine's own loggers speak Powertools JSON too
    copy_config_to_registered_loggers(source_logger=logger, include={"cost_watcher"})
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "CostWatcher"), service=SERVICE)
tracer = Tracer(service=SERVICE)

# Keys an EventBridge rule or Scheduler event may carry; they are read, never rejected.
ENVELOPE_KEYS = frozenset(
    {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail",
     "execution_id", "scheduled_time"}
)
OVERRIDABLE = ("regions", "lookback_days", "last_used_days", "mode", "dry_run", "notify", "max_actions_per_run")



def settings_for(event: Any, base: Settings) -> Settings:
    """The run's settings: the deployed ones, narrowed by a manual invoke's overrides."""
    if event is None:
        return base
    if not isinstance(event, Mapping):
        raise EventError(f"event must be a JSON object, got {type(event).__name__}")
    unknown = sorted(set(event) - ENVELOPE_KEYS - {"overrides"})
    if unknown:
        raise EventError(
            f"unknown event key(s) {', '.join(map(repr, unknown))}; a manual invoke accepts "
            f"{{\"overrides\": {{...}}}} with keys {', '.join(OVERRIDABLE)}"
        )
    overrides = event.get("overrides")
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, Mapping):
        raise EventError(f"'overrides' must be an object with keys {', '.join(OVERRIDABLE)}")
    refused = sorted(set(overrides) - set(OVERRIDABLE))
    if refused:
        raise EventError(
            f"override(s) {', '.join(map(repr, refused))} cannot be set by an invoke; "
            f"accepted: {', '.join(OVERRIDABLE)} (the rest is deployment configuration)"
        )
    settings = from_mapping(dict(overrides), base, source="overrides")
    if base.dry_run and not settings.dry_run:
        raise EventError(
            "this deployment is in report mode: an invoke cannot switch it to act (redeploy with mode=act)"
        )
    if settings.max_actions_per_run > base.max_actions_per_run:
        raise EventError(
            f"max_actions_per_run {settings.max_actions_per_run} is above the deployed cap "
            f"{base.max_actions_per_run}; an invoke may only lower it"
        )
    return settings


def run_id(event: Any, context: Any) -> str:
    """One id per scheduled run, the same on a retry of that run."""
    if isinstance(event, Mapping):
        for key in ("execution_id", "id"):
            if isinstance(event.get(key), str) and event[key]:
                return event[key]
    return getattr(context, "aws_request_id", None) or datetime.now().strftime("manual-%Y%m%dT%H%M%S")


def scheduled_at(event: Any, now: datetime) -> datetime | None:
    """The scheduled time of the run, the same on every retry of it: its report is filed under
    that day, so a retry after midnight finds the earlier attempt's copy. None unless the event
    carries a time in the day before now (a manual invoke's odd value is not trusted)."""
    value = event.get("scheduled_time") or event.get("time") if isinstance(event, Mapping) else None
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment if now - timedelta(days=1) <= moment <= now + timedelta(minutes=5) else None


def time_limit(context: Any) -> datetime | None:
    """When Lambda will stop this invocation, so the run starts no reclaim it cannot finish."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return datetime.now(UTC) + timedelta(milliseconds=remaining()) if callable(remaining) else None


def record_metrics(report: Report) -> None:
    summary = summarize(report)
    metrics.add_metric("EndpointsScanned", MetricUnit.Count, summary["endpoints"])
    metrics.add_metric("IdleEndpoints", MetricUnit.Count, summary["by_verdict"][str(Verdict.IDLE)])
    metrics.add_metric("UnderusedEndpoints", MetricUnit.Count, summary["by_verdict"][str(Verdict.UNDERUSED)])
    metrics.add_metric("ReclaimableUSD", MetricUnit.NoUnit, summary["reclaimable_usd"])
    done = sum(n for key, n in summary["actions"].items() if key.endswith(":done"))
    metrics.add_metric("ActionsDone", MetricUnit.Count, done)
    metrics.add_metric("ScanErrors", MetricUnit.Count, summary["errors"])


def handle(event: Any, context: Any, environ: Mapping[str, str], clients: Clients | None = None) -> dict[str, Any]:
    """The whole invocation, testable without Lambda: returns the response payload."""
    try:
        settings = settings_for(event, from_environment(environ))
    except (EventError, SettingsError) as error:
        logger.error("rejected invocation", extra={"reason": str(error)})
        return {"status": "rejected", "error": str(error)}
    clients = clients or Clients(max_workers=settings.max_workers)
    rid = run_id(event, context)
    report = run(settings, clients, run_id=rid, deadline=time_limit(context),
                 scheduled=scheduled_at(event, datetime.now(UTC)))
    record_metrics(report)
    summary = summarize(report)
    status = "incomplete" if report.errors else "ok"
    logger.info("run finished", extra={"run_id": rid, "status": status, "summary": summary})
    for error in report.errors:
        logger.warning("not seen", extra={"region": error.region, "operation": error.operation, "error": error.message})
    return {
        "status": status,
        "run_id": rid,
        "summary": summary,
        "errors": [f"{e.region}: {e.operation}: {e.message}" for e in report.errors],
        "report_location": report.report_location,
        "notification": report.notification,
    }


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    return handle(event, context, os.environ)
