"""Where the digest and the alarms go: one encrypted SNS topic, its e-mail and Slack subscribers.

CloudWatch alarms publish to the same topic, so the key policy lets CloudWatch use the key;
Slack is an AWS Chatbot channel configuration, created only when both Slack ids are given.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_chatbot as chatbot
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct


class Alerts(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, emails: Sequence[str],
                 slack_workspace_id: str | None, slack_channel_id: str | None) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.key = kms.Key(
            self, "TopicKey",
            description=f"Encrypts the {stack.stack_name} notification topic",
            enable_key_rotation=True,
            # Only messages in flight are encrypted with it: a deleted stack need not keep paying for it.
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        # CloudWatch alarms publish to the encrypted topic as the CloudWatch service.
        self.key.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowCloudWatchAlarmsToPublish",
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],  # in a key policy, "*" means this key
            conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
        ))
        self.topic = sns.Topic(
            self, "Topic",
            display_name="cost-watcher",
            master_key=self.key,
            enforce_ssl=True,
        )
        for email in emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        self.slack: chatbot.SlackChannelConfiguration | None = None
        if slack_workspace_id and slack_channel_id:
            self.slack = chatbot.SlackChannelConfiguration(
                self, "Slack",
                slack_channel_configuration_name=f"{stack.stack_name}-digest"[:128],
                slack_workspace_id=slack_workspace_id,
                slack_channel_id=slack_channel_id,
                notification_topics=[self.topic],
                # Notifications only: the channel role gets no permissions, and the guardrail caps
                # anything a channel member might try at read-only CloudWatch.
                guardrail_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("CloudWatchReadOnlyAccess")],
                user_role_required=False,
            )
