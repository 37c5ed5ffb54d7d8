"""The scan function and the schedule that starts it.

The code is `lambda_src/` shipped as a plain asset (no Docker) without the test doubles
(the simulated account and the CLI that demos it); Powertools comes from AWS's managed
public layer. Reserved concurrency 1 means two runs never overlap. A run that crashes
(timeout, out of memory, an error) is retried by Lambda with the same event, hence the same
run id, which the run journal makes harmless; a run that still fails, or cannot start,
lands in the dead-letter queue, which is alarmed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from aws_cdk import Duration, Stack, TimeZone
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.checks import acknowledge, nag_resource

ASSET_ROOT = Path(__file__).resolve().parent.parent / "lambda_src"
# Test doubles never ship: the simulated account imports moto, and the CLI imports it for --demo.
TEST_DOUBLES = ["cost_watcher/sim", "cost_watcher/faces/cli.py"]
# The rest of the command line (issue 14): the function runs none of it, and scan_command imports the demo.
TEST_DOUBLES += [f"cost_watcher/faces/{name}.py" for name in (
    "scan_command", "restore_command", "report_command", "config", "identity", "confirm", "terminal")]
ASSET_EXCLUDE = ["**/__pycache__", "**/*.pyc", "*.egg-info", "**/.pytest_cache", *TEST_DOUBLES]
# Lambda's own retries of a crashed asynchronous run: they re-deliver the same event (same run id).
RUN_RETRIES = 2
RETRY_BACKOFF_MINUTES = 3  # Lambda waits about 1 minute before the first retry and 2 before the second
HANDLER = "cost_watcher.faces.handler.lambda_handler"
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64
POWERTOOLS_ACCOUNT = "017000801446"  # AWS's publisher account of the Powertools layers (commercial regions)
RETENTION = {
    1: logs.RetentionDays.ONE_DAY, 3: logs.RetentionDays.THREE_DAYS, 5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK, 14: logs.RetentionDays.TWO_WEEKS, 30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS, 90: logs.RetentionDays.THREE_MONTHS, 120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS, 180: logs.RetentionDays.SIX_MONTHS, 365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS, 545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS, 1096: logs.RetentionDays.THREE_YEARS, 1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS, 2557: logs.RetentionDays.SEVEN_YEARS, 2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS, 3653: logs.RetentionDays.TEN_YEARS,
}


def powertools_layer_arn(region: str, layer_version: int) -> str:
    """AWS's Powertools for AWS Lambda (Python) v3 layer for our runtime and architecture."""
    python = RUNTIME.name.replace(".", "")  # python3.14 -> python314
    arch = ARCHITECTURE.name  # arm64 | x86_64
    return (f"arn:aws:lambda:{region}:{POWERTOOLS_ACCOUNT}:layer:"
            f"AWSLambdaPowertoolsPythonV3-{python}-{arch}:{layer_version}")


def max_event_age(timeout_minutes: int) -> Duration:
    """Long enough for the first attempt and every retry to run to their timeout (Lambda allows 1 min to 6 h)."""
    needed = (RUN_RETRIES + 1) * timeout_minutes + RETRY_BACKOFF_MINUTES
    return Duration.minutes(min(6 * 60, max(60, needed)))


def scheduled_event() -> scheduler.ScheduleTargetInput:
    """The payload a scheduled run receives: the EventBridge 'Scheduled Event' shape, filled by Scheduler."""
    return scheduler.ScheduleTargetInput.from_object({
        "version": "0",
        "id": scheduler.ContextAttribute.execution_id,
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "time": scheduler.ContextAttribute.scheduled_time,
        "resources": [scheduler.ContextAttribute.schedule_arn],
        "detail": {},
    })


class ScanFunction(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, environment: Mapping[str, str], memory_mb: int,
                 timeout_minutes: int, log_retention_days: int, powertools_layer_version: int,
                 handler: str = HANDLER, concurrency: int = 1) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.log_group = logs.LogGroup(self, "Logs", retention=RETENTION[log_retention_days])
        # Our own role, so no AWS managed policy: logs go to this log group only.
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                             description="cost-watcher scan: read SageMaker hosting, write the digest and ledger")
        self.log_group.grant_write(self.role)
        self.dead_letters = sqs.Queue(
            self, "DeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(self.dead_letters, "AwsSolutions-SQS3",
                    "This queue is the dead-letter queue: of the schedule and of failed runs.")
        self.function = lambda_.Function(
            self, "Function",
            description="cost-watcher: finds idle SageMaker endpoints, reports and reclaims opted-in ones",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=handler,
            code=lambda_.Code.from_asset(str(ASSET_ROOT), exclude=ASSET_EXCLUDE),
            layers=[lambda_.LayerVersion.from_layer_version_arn(
                self, "Powertools", powertools_layer_arn(stack.region, powertools_layer_version))],
            memory_size=memory_mb,
            timeout=Duration.minutes(timeout_minutes),
            reserved_concurrent_executions=concurrency,  # one run at a time (organization mode: its items)
            tracing=lambda_.Tracing.ACTIVE,
            role=self.role,
            log_group=self.log_group,
            environment=dict(environment),
            # A crashed run is retried with the same event, so the same run id: its journal lets the
            # retry finish the night once. The event lives long enough for every attempt to run whole.
            retry_attempts=RUN_RETRIES,
            max_event_age=max_event_age(timeout_minutes),
            on_failure=destinations.SqsDestination(self.dead_letters),
        )
        acknowledge(self.role.node.find_child("DefaultPolicy"), "AwsSolutions-IAM5[Resource::*]",
                    "Active tracing: X-Ray PutTraceSegments and PutTelemetryRecords have no resource-level "
                    "permissions in IAM, so they can only be granted on '*'.")


class NightlySchedule(Construct):
    """EventBridge Scheduler: time zones (unlike EventBridge rules), a retry policy and a DLQ, and a role
    of our own rather than the target's default, so a wildcard it needs is acknowledged where it is made.
    `target` makes the schedule's target from that role (a Lambda invoke, a state machine start)."""

    RETRIES, MAX_EVENT_AGE = 3, Duration.hours(2)  # an invoke that could not be delivered: then the DLQ

    def __init__(self, scope: Construct, construct_id: str, *, expression: str, timezone: str, description: str,
                 target: Callable[[iam.IRole], scheduler.IScheduleTarget]) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal(
            "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": stack.account}}))
        self.schedule = scheduler.Schedule(
            self, "Schedule", description=description,
            schedule=scheduler.ScheduleExpression.expression(expression, TimeZone.of(timezone)),
            target=target(self.role))


class Schedule(NightlySchedule):
    """The single-account night: Scheduler invokes the function with the scheduled event."""

    def __init__(self, scope: Construct, construct_id: str, *, function: lambda_.IFunction, expression: str,
                 timezone: str, dead_letters: sqs.IQueue) -> None:
        super().__init__(scope, construct_id, expression=expression, timezone=timezone,
                         description="Starts the cost-watcher scan",
                         target=lambda role: targets.LambdaInvoke(
                             function, input=scheduled_event(), retry_attempts=self.RETRIES,
                             max_event_age=self.MAX_EVENT_AGE, dead_letter_queue=dead_letters, role=role))
        stack = Stack.of(self)
        acknowledge(self.role.node.find_child("DefaultPolicy"),
                    f"AwsSolutions-IAM5[Resource::{nag_resource(stack, function.function_arn)}:*]",
                    "CDK's grantInvoke adds the function's versions (ARN:*); the role can invoke this function only.")
