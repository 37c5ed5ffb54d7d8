"""What the function may do, written out action by action: the part a platform team reads first.

Read calls are listed explicitly. Destructive SageMaker calls exist only in `act` mode and
only on resources whose owner opted in with the `<prefix>reclaim` tag; the tag's value
decides which: `delete` allows deletion (and scale-down), `scale-down` allows scale-down.
The `restore` command runs with the user's own credentials, so nothing here can re-create.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.checks import acknowledge, nag_resource

# Actions with no resource-level permissions in IAM: "*" is the only resource they accept.
READ_WITHOUT_RESOURCE_LEVEL = (
    "sagemaker:ListEndpoints",
    "sagemaker:ListInferenceComponents",
    "cloudwatch:GetMetricData",
    "cloudwatch:ListMetrics",
    "application-autoscaling:DescribeScalableTargets",
    "application-autoscaling:DescribeScalingPolicies",
    "pricing:GetProducts",
)
DESCRIBE = (
    "sagemaker:DescribeEndpoint",
    "sagemaker:DescribeEndpointConfig",
    "sagemaker:DescribeModel",
    "sagemaker:DescribeInferenceComponent",
    "sagemaker:ListTags",
)
DESCRIBED_TYPES = ("endpoint", "endpoint-config", "model", "inference-component")
DELETE = ("sagemaker:DeleteEndpoint", "sagemaker:DeleteInferenceComponent")
SCALE = ("sagemaker:UpdateEndpointWeightsAndCapacities", "sagemaker:UpdateInferenceComponentRuntimeConfig")
TAG = ("sagemaker:AddTags", "sagemaker:DeleteTags")
DESTRUCTIVE_SAGEMAKER = (*DELETE, *SCALE, *TAG)
AUTOSCALING_WRITE = (
    "application-autoscaling:RegisterScalableTarget",
    "application-autoscaling:DeregisterScalableTarget",
    "application-autoscaling:PutScalingPolicy",
)
SAGEMAKER_SCALABLE_DIMENSIONS = (
    "sagemaker:variant:DesiredInstanceCount",
    "sagemaker:inference-component:DesiredCopyCount",
)
LEDGER_PREFIXES = ("ledger/", "reports/")


def sagemaker_arns(stack: Stack, regions: Sequence[str], resource_types: Sequence[str]) -> list[str]:
    """`arn:...:sagemaker:<region>:<this account>:<type>/*` for every scanned region and type."""
    return [
        stack.format_arn(service="sagemaker", region=region, resource=resource_type, resource_name="*",
                         arn_format=ArnFormat.SLASH_RESOURCE_NAME)
        for region in regions
        for resource_type in resource_types
    ]


def read_statements(stack: Stack, regions: Sequence[str]) -> list[iam.PolicyStatement]:
    """The scan: list, describe and read metrics, in the scanned regions of this account only."""
    return [
        iam.PolicyStatement(sid="ReadWithoutResourceLevelPermissions", actions=list(READ_WITHOUT_RESOURCE_LEVEL),
                            resources=["*"]),
        iam.PolicyStatement(sid="DescribeSageMakerHosting", actions=list(DESCRIBE),
                            resources=sagemaker_arns(stack, regions, DESCRIBED_TYPES)),
    ]


def act_statements(stack: Stack, regions: Sequence[str], tag_prefix: str) -> list[iam.PolicyStatement]:
    """Reclaim: only on resources tagged `<prefix>reclaim`, and only our own tags may be written."""
    reclaim_tag = f"aws:ResourceTag/{tag_prefix}reclaim"
    hosted = sagemaker_arns(stack, regions, ("endpoint", "inference-component"))
    opted_in_to = {
        "delete": {"StringEqualsIgnoreCase": {reclaim_tag: ["delete"]}},
        "any": {"StringEqualsIgnoreCase": {reclaim_tag: ["delete", "scale-down"]}},
    }
    return [
        iam.PolicyStatement(sid="DeleteOnlyWhatOwnersTaggedForDeletion", actions=list(DELETE), resources=hosted,
                            conditions=opted_in_to["delete"]),
        iam.PolicyStatement(sid="ScaleDownOnlyWhatOwnersTagged", actions=list(SCALE), resources=hosted,
                            conditions=opted_in_to["any"]),
        iam.PolicyStatement(
            sid="WriteOnlyOurTagsOnTaggedResources", actions=list(TAG), resources=hosted,
            conditions={
                **opted_in_to["any"],
                "ForAllValues:StringLike": {"aws:TagKeys": [f"{tag_prefix}*"]},
                # the owner's opt-in and opt-out tags are theirs alone
                "ForAllValues:StringNotEqualsIgnoreCase": {"aws:TagKeys": [f"{tag_prefix}reclaim",
                                                                           f"{tag_prefix}ignore"]},
            },
        ),
        iam.PolicyStatement(
            sid="AutoScalingOfSageMakerOnly", actions=list(AUTOSCALING_WRITE), resources=["*"],
            conditions={"StringEquals": {
                "application-autoscaling:service-namespace": "sagemaker",
                "application-autoscaling:scalable-dimension": list(SAGEMAKER_SCALABLE_DIMENSIONS),
            }},
        ),
    ]


def ledger_statements(bucket_arn: str) -> list[iam.PolicyStatement]:
    """Read and write restore records and run reports; never delete them (no s3:DeleteObject)."""
    objects = [f"{bucket_arn}/{prefix}*" for prefix in LEDGER_PREFIXES]
    return [
        iam.PolicyStatement(sid="LedgerReadWrite", actions=["s3:GetObject", "s3:PutObject"], resources=objects),
        iam.PolicyStatement(sid="LedgerList", actions=["s3:ListBucket"], resources=[bucket_arn]),
    ]


def publish_statements(topic_arn: str, key_arn: str) -> list[iam.PolicyStatement]:
    """Publish the digest to our topic only; SNS encrypts with the topic's key on the publisher's behalf."""
    return [
        iam.PolicyStatement(sid="PublishDigest", actions=["sns:Publish"], resources=[topic_arn]),
        iam.PolicyStatement(sid="EncryptDigest", actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[key_arn]),
    ]


class ScanPermissions(Construct):
    """The function's two policies: Read (always) and Act (only in act mode), each acknowledged for cdk-nag."""

    def __init__(self, scope: Construct, construct_id: str, *, role: iam.IRole, regions: Sequence[str],
                 ledger: s3.IBucket, topic: sns.ITopic, topic_key: kms.IKey, act_with_tag_prefix: str | None) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.read = iam.Policy(self, "Read", roles=[role], statements=[
            *read_statements(stack, regions),
            *ledger_statements(ledger.bucket_arn),
            *publish_statements(topic.topic_arn, topic_key.key_arn),
        ])
        acknowledge(self.read, "AwsSolutions-IAM5[Resource::*]",
                    "List*, CloudWatch metric reads, Application Auto Scaling describes and Pricing GetProducts "
                    "have no resource-level permissions in IAM; each action is listed by name.")
        for arn in sagemaker_arns(stack, regions, DESCRIBED_TYPES):
            acknowledge(self.read, f"AwsSolutions-IAM5[Resource::{nag_resource(stack, arn)}]",
                        "Describe/ListTags must reach every endpoint, config, model and inference component "
                        "of the scanned regions of this account: finding them is the point.")
        for prefix in LEDGER_PREFIXES:
            acknowledge(self.read, f"AwsSolutions-IAM5[Resource::{nag_resource(stack, ledger.bucket_arn)}/{prefix}*]",
                        f"Each run writes new objects under {prefix} of our own ledger bucket (restore records "
                        "under ledger/, run reports under reports/); their keys are not known in advance.")
        self.act: iam.Policy | None = None
        if act_with_tag_prefix is not None:
            self.act = iam.Policy(self, "Act", roles=[role],
                                  statements=act_statements(stack, regions, act_with_tag_prefix))
            acknowledge(self.act, "AwsSolutions-IAM5[Resource::*]",
                        "Application Auto Scaling scalable-target ARNs are opaque ids; the statement is "
                        "limited to the sagemaker service namespace and its scalable dimensions instead.")
            for arn in sagemaker_arns(stack, regions, ("endpoint", "inference-component")):
                acknowledge(self.act, f"AwsSolutions-IAM5[Resource::{nag_resource(stack, arn)}]",
                            "Which endpoints may be changed is decided by their owners' reclaim tag, "
                            "enforced by the aws:ResourceTag condition on every statement.")
