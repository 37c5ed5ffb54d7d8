"""What a run leaves to look at: a dashboard of the engine's per-run metrics, and two alarms.

The engine publishes its metrics with Powertools (EMF) in namespace CostWatcher with the
dimension service=cost-watcher; the alarms (function errors, dead letters) publish to the
same topic as the digest, so whoever reads the digest also hears when a run did not happen.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

NAMESPACE = "CostWatcher"
SERVICE = "cost-watcher"
# (metric name, widget title, statistic per day): levels are the day's highest, counts add up.
RUN_METRICS = (
    ("EndpointsScanned", "Endpoints scanned", "Maximum"),
    ("IdleEndpoints", "Idle endpoints", "Maximum"),
    ("UnderusedEndpoints", "Underused endpoints", "Maximum"),
    ("ReclaimableUSD", "Reclaimable $ / month", "Maximum"),
    ("ActionsDone", "Actions done", "Sum"),
    ("ScanErrors", "Scan errors", "Sum"),
)
PERIOD = Duration.days(1)


def run_metric(name: str, statistic: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(namespace=NAMESPACE, metric_name=name, dimensions_map={"service": SERVICE},
                             statistic=statistic, period=PERIOD)


class Observability(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, function: lambda_.IFunction,
                 dead_letters: sqs.IQueue, topic: sns.ITopic) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        notify = actions.SnsAction(topic)
        self.errors_alarm = cloudwatch.Alarm(
            self, "FunctionErrors",
            alarm_description="A cost-watcher run failed: see the function's logs.",
            metric=function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.dead_letters_alarm = cloudwatch.Alarm(
            self, "DeadLetters",
            alarm_description="A scheduled cost-watcher run could not start or failed: see the dead-letter queue.",
            metric=dead_letters.metric_approximate_number_of_messages_visible(period=Duration.minutes(5),
                                                                              statistic="Maximum"),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        for alarm in (self.errors_alarm, self.dead_letters_alarm):
            alarm.add_alarm_action(notify)

        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard",
            dashboard_name=f"{stack.stack_name}-runs",
            default_interval=Duration.days(30),
        )
        graphs: list[cloudwatch.IWidget] = [
            cloudwatch.GraphWidget(title=title, left=[run_metric(name, statistic)], width=8, height=6,
                                   left_y_axis=cloudwatch.YAxisProps(min=0))
            for name, title, statistic in RUN_METRICS
        ]
        graphs.append(cloudwatch.GraphWidget(
            title="Run duration (ms, left) and failed runs (right)", width=24, height=6,
            left=[function.metric_duration(period=PERIOD, statistic="Maximum")],
            right=[function.metric_errors(period=PERIOD, statistic="Sum")],
        ))
        self.dashboard.add_widgets(*graphs)

    @property
    def dashboard_url(self) -> str:
        region = Stack.of(self).region
        return (f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
                f"#dashboards/dashboard/{self.dashboard.dashboard_name}")
