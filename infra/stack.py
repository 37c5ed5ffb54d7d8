"""CostWatcherStack: wires the parts together; each part lives in its own module."""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from cost_watcher.settings import ENV_PREFIX, to_environment
from infra.alerts import Alerts
from infra.function import ScanFunction, Schedule
from infra.ledger import LedgerBucket
from infra.observability import Observability
from infra.organization import ORGANIZATION_HANDLER
from infra.organization_mode import OrganizationMode, organization_environment, owner_topics
from infra.permissions import ScanPermissions
from infra.settings import DeploySettings

POWERTOOLS_SERVICE_NAME = "cost-watcher"
POWERTOOLS_METRICS_NAMESPACE = "CostWatcher"


def function_environment(settings: DeploySettings, *, topic_arn: str, ledger_url: str,
                         default_region: str) -> dict[str, str]:
    """The engine's own to_environment(), with the stack's topic and ledger filled in as CFN tokens."""
    environment = to_environment(settings.engine)  # topic_arn and ledger are None in deploy settings
    environment[ENV_PREFIX + "TOPIC_ARN"] = topic_arn
    environment[ENV_PREFIX + "LEDGER"] = ledger_url
    if not settings.engine.regions:  # scan the region the stack is deployed to
        environment[ENV_PREFIX + "REGIONS"] = default_region
    environment.update(
        POWERTOOLS_SERVICE_NAME=POWERTOOLS_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE=POWERTOOLS_METRICS_NAMESPACE,
        LOG_LEVEL=settings.log_level,
    )
    return environment


class CostWatcherStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: DeploySettings, **kwargs) -> None:
        super().__init__(scope, construct_id,
                         description="cost-watcher: finds idle SageMaker endpoints, reports and reclaims opted-in ones",
                         **kwargs)
        self.settings = settings
        regions = list(settings.engine.regions) or [self.region]

        self.alerts = Alerts(self, "Alerts", emails=settings.notify_emails,
                             slack_workspace_id=settings.slack_workspace_id,
                             slack_channel_id=settings.slack_channel_id)
        self.ledger = LedgerBucket(self, "Ledger", reports_retention_days=settings.reports_retention_days)
        environment = function_environment(settings, topic_arn=self.alerts.topic.topic_arn,
                                           ledger_url=self.ledger.url, default_region=self.region)
        self.owner_topics = owner_topics(self, settings, self.alerts) if settings.organization else {}
        if settings.organization:
            environment.update(organization_environment(settings, self.owner_topics))
        self.scan = ScanFunction(
            self, "Scan",
            environment=environment,
            memory_mb=settings.memory_mb,
            timeout_minutes=settings.timeout_minutes,
            log_retention_days=settings.log_retention_days,
            powertools_layer_version=settings.powertools_layer_version,
            **({"handler": ORGANIZATION_HANDLER, "concurrency": settings.max_concurrency + 1}
               if settings.organization else {}),
        )
        if settings.organization:
            self.organization = OrganizationMode(self, "Organization", settings=settings, function=self.scan,
                                                 regions=regions, topic=self.alerts.topic,
                                                 owner_topics=list(self.owner_topics.values()))
        else:
            self.schedule = Schedule(self, "Nightly", function=self.scan.function, expression=settings.schedule,
                                     timezone=settings.timezone, dead_letters=self.scan.dead_letters)
        self.permissions = ScanPermissions(
            self, "Permissions", role=self.scan.role, regions=regions, ledger=self.ledger.bucket,
            topic=self.alerts.topic, topic_key=self.alerts.key,
            act_with_tag_prefix=settings.engine.tag_prefix if settings.act else None)
        self.observability = Observability(self, "Observability", function=self.scan.function,
                                           dead_letters=self.scan.dead_letters, topic=self.alerts.topic)
        self._outputs()

    def _outputs(self) -> None:
        CfnOutput(self, "TopicArn", value=self.alerts.topic.topic_arn,
                  description="SNS topic of the digest and alarms: subscribe here")
        CfnOutput(self, "LedgerBucketName", value=self.ledger.bucket.bucket_name,
                  description="Restore records (ledger/) and run reports (reports/)")
        CfnOutput(self, "FunctionName", value=self.scan.function.function_name,
                  description="Invoke it to run a scan now")
        CfnOutput(self, "DashboardUrl", value=self.observability.dashboard_url,
                  description="CloudWatch dashboard of the runs")
        if self.settings.organization:
            CfnOutput(self, "StateMachineArn", value=self.organization.run.state_machine.state_machine_arn,
                      description="Organization run: start an execution to run every account now")
            CfnOutput(self, "SpokeStackSetName", value=self.organization.spokes.stack_set.stack_set_name,
                      description="The StackSet that deploys the spoke role to member accounts")

