"""What every phase of one run's reclaim shares, and how a failure lands on the report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cost_watcher.aws import AwsClients
from cost_watcher.errors import describe_error
from cost_watcher.model import Finding, Outcome, RegionError, Report
from cost_watcher.reclaim.actions import Wait
from cost_watcher.reclaim.ledger import Ledger
from cost_watcher.settings import Settings

Clock = Callable[[], datetime]
AUTOSCALING_OPERATIONS = frozenset({
    "RegisterScalableTarget", "DeregisterScalableTarget", "DeleteScalingPolicy", "DeleteScheduledAction",
    "DescribeScalableTargets", "DescribeScalingPolicies", "DescribeScheduledActions",
})


@dataclass(frozen=True)
class RunContext:
    """One run's reclaim: its settings and clients, the ledger its records go to, the report
    its errors go to, how long to wait for an endpoint, and the clock records are stamped by."""

    settings: Settings
    clients: AwsClients
    ledger: Ledger
    report: Report
    wait: Wait
    clock: Clock


def fail(finding: Finding, report: Report, operation: str, message: str) -> None:
    finding.action_result = Outcome.failed(message)
    report.errors.append(RegionError(finding.region, operation, f"{finding.name}: {message}"))


def failure(error: BaseException, step: str = "") -> tuple[str, str]:
    """(operation as 'service:Operation', message) of a failure, for the report. AWS errors
    name their operation; others (a dropped connection) take the step that was under way."""
    operation = getattr(error, "operation_name", None)
    if operation:
        service = "application-autoscaling" if operation in AUTOSCALING_OPERATIONS else "sagemaker"
        return f"{service}:{operation}", f"{operation} failed: {describe_error(error)}"
    where = step or type(error).__name__
    return where, f"{where.split(':')[-1]} failed: {describe_error(error)}"
