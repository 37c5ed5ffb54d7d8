"""Organization mode wired into the hub stack: spoke roles, the state machine, its schedule and
alarm, the hub role's extra permissions, and the owners' digest topics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from cost_watcher.organization import config as org_config
from infra.alerts import Alerts
from infra.checks import acknowledge, nag_resource
from infra.function import RETENTION, ScanFunction
from infra.organization import (
    OrganizationRun,
    OrganizationSchedule,
    SpokeRoles,
    failed_runs_alarm,
    hub_statements,
)
from infra.settings import DeploySettings


def owner_topics(scope: Construct, settings: DeploySettings, alerts: Alerts) -> dict[str, str]:
    """Owner key -> topic ARN: the routes given as ARNs, and a topic (with its e-mail subscribers,
    encrypted like the central one) for each route given as a list of e-mail addresses."""
    topics: dict[str, str] = {}
    for index, (owner, target) in enumerate(settings.owner_routes):
        if isinstance(target, str):
            topics[owner] = target
            continue
        topic = sns.Topic(scope, f"OwnerTopic{index}", display_name=f"cost-watcher {owner}"[:100],
                          master_key=alerts.key, enforce_ssl=True)
        for email in target:
            topic.add_subscription(subscriptions.EmailSubscription(email))
        topics[owner] = topic.topic_arn
    return topics


def organization_environment(settings: DeploySettings, topics: Mapping[str, str]) -> dict[str, str]:
    org = settings.org
    return org_config.to_environment(org_config.OrgSettings(
        role_name=org.role_name, units=org.units, exclude_accounts=org.exclude_accounts,
        external_id=org.external_id, owner_tag=org.owner_tag, owner_routes=tuple(topics.items())))


class OrganizationMode(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: DeploySettings, function: ScanFunction,
                 regions: Sequence[str], topic: sns.ITopic, owner_topics: Sequence[str]) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        assert settings.organization_id is not None  # settings.load refuses organization mode without it
        self.spokes = SpokeRoles(
            self, "Spokes", hub_role=function.role, organization_id=settings.organization_id,
            units=settings.organization_units, regions=regions, role_name=settings.spoke_role_name,
            act_tag_prefix=settings.engine.tag_prefix if settings.act else None,
            external_id=settings.spoke_external_id, delegated_admin=settings.delegated_admin)
        self.hub_policy = iam.Policy(self, "HubAccess", roles=[function.role], statements=hub_statements(
            stack, settings.spoke_role_name, settings.organization_id, owner_topics))
        acknowledge(self.hub_policy, "AwsSolutions-IAM5[Resource::*]",
                    "Organizations' ListAccounts has no resource-level permissions; the three list calls are "
                    "named one by one and read account names only.")
        spoke_arn = nag_resource(stack, f"arn:{stack.partition}:iam::*:role/{settings.spoke_role_name}")
        acknowledge(self.hub_policy, f"AwsSolutions-IAM5[Resource::{spoke_arn}]",
                    "The spoke role has one name in every member account, and accounts join the organization "
                    "after deployment; aws:ResourceOrgID limits it to this organization's accounts.")
        self.run = OrganizationRun(self, "Run", function=function.function, max_concurrency=settings.max_concurrency,
                                   tolerated_failure_percentage=settings.tolerated_failure_percentage,
                                   log_retention=RETENTION[settings.log_retention_days])
        self.schedule = OrganizationSchedule(self, "Nightly", state_machine=self.run.state_machine,
                                             expression=settings.schedule, timezone=settings.timezone,
                                             dead_letters=function.dead_letters)
        self.alarm = failed_runs_alarm(self, self.run.state_machine, topic)
