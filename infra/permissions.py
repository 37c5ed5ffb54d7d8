"""What the function may do, written out action by action: the part a platform team reads first.

Read calls are listed explicitly. Destructive SageMaker calls exist only in `act` mode and
only on resources whose owner opted in with the `<prefix>reclaim` tag; the tag's value
decides which: `delete` allows deletion (and scale-down), `scale-down` allows scale-down.
The one tag the function writes is its own `<prefix>idle-since` mark; removing that mark needs
no opt-in (it can only delay a reclaim). Reads that only a reclaim needs (the restore record)
are in the act policy too. The `restore` command runs with the user's own credentials, so
nothing here can re-create. tests/infra/test_iam_covers_calls.py derives what is needed from
recorded runs and holds this module to it, in both directions.
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
    "tag:GetResources",  # every endpoint's tags for the scan (100 a page), and our idle-since mark on busy endpoints
    # AWS's second opinion (opinion.py), read only. Compute Optimizer defines no resource types in IAM
    # (Service Authorization Reference), and GetIdleRecommendations needs no other action.
    "compute-optimizer:GetIdleRecommendations",
)
# DescribeInferenceComponent: the scan reads each hosted component's copy count, which tells how
# many of the endpoint's instances host nothing (reported as waste).
DESCRIBE = ("sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig", "sagemaker:ListTags",
            "sagemaker:DescribeInferenceComponent")
DESCRIBED_TYPES = ("endpoint", "endpoint-config", "inference-component")
# Read only to write a restore record before a reclaim (act mode): a report run never needs it,
# and DescribeModel would show the containers' environment variables.
RECORD_DESCRIBE = ("sagemaker:DescribeModel",)
RECORD_DESCRIBED_TYPES = ("model",)
RECORD_READ_WITHOUT_RESOURCE_LEVEL = ("application-autoscaling:DescribeScheduledActions",)
DELETE = ("sagemaker:DeleteEndpoint", "sagemaker:DeleteInferenceComponent")
SCALE = ("sagemaker:UpdateEndpointWeightsAndCapacities", "sagemaker:UpdateInferenceComponentRuntimeConfig")
MARK = ("sagemaker:AddTags",)
UNMARK = ("sagemaker:DeleteTags",)
DESTRUCTIVE_SAGEMAKER = (*DELETE, *SCALE, *MARK, *UNMARK)
AUTOSCALING_WRITE = (
    "application-autoscaling:RegisterScalableTarget",
    "application-autoscaling:DeregisterScalableTarget",
    "application-autoscaling:DeleteScalingPolicy",
    "application-autoscaling:DeleteScheduledAction",
    # quiet hours (reclaim=schedule): our scheduled actions, named cost-watcher-quiet-*; AWS has no condition
    # key for the name, and scalable targets carry none of the endpoint's tags, so the endpoint's opt-in is
    # checked by the engine (and, for the mark, by AddTags below)
    "application-autoscaling:PutScheduledAction",
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


def read_statements(stack: Stack, regions: Sequence[str], *, prices: bool = True) -> list[iam.PolicyStatement]:
    """The scan: list, describe and read metrics, in the scanned regions of this account only.
    A spoke role reads no prices (`prices=False`): the hub asks the Price List API itself."""
    reads = [action for action in READ_WITHOUT_RESOURCE_LEVEL if prices or not action.startswith("pricing:")]
    return [
        iam.PolicyStatement(sid="ReadWithoutResourceLevelPermissions", actions=reads, resources=["*"]),
        iam.PolicyStatement(sid="DescribeSageMakerHosting", actions=list(DESCRIBE),
                            resources=sagemaker_arns(stack, regions, DESCRIBED_TYPES)),
    ]


def act_statements(stack: Stack, regions: Sequence[str], tag_prefix: str) -> list[iam.PolicyStatement]:
    """Reclaim: only on resources tagged `<prefix>reclaim`; the only tag written is our `<prefix>idle-since` mark."""
    reclaim_tag = f"aws:ResourceTag/{tag_prefix}reclaim"
    hosted = sagemaker_arns(stack, regions, ("endpoint", "inference-component"))
    endpoints = sagemaker_arns(stack, regions, ("endpoint",))
    # exact values, as the engine reads them: "Delete" or "delete " is no opt-in there, nor here
    opted_in_to = {
        "delete": {"StringEquals": {reclaim_tag: ["delete"]}},
        "any": {"StringEquals": {reclaim_tag: ["delete", "scale-down"]}},
    }
    only_our_mark = {
        "ForAllValues:StringEquals": {"aws:TagKeys": [f"{tag_prefix}idle-since"]},
        "Null": {"aws:TagKeys": "false"},  # ForAllValues alone would also pass a request naming no key
    }
    only_our_marks = {**only_our_mark, "ForAllValues:StringEquals": {
        "aws:TagKeys": [f"{tag_prefix}idle-since", f"{tag_prefix}quiet-since"]}}
    only_quiet_mark = {**only_our_mark, "ForAllValues:StringEquals": {"aws:TagKeys": [f"{tag_prefix}quiet-since"]}}
    return [
        iam.PolicyStatement(sid="ReadForRestoreRecords", actions=list(RECORD_DESCRIBE),
                            resources=sagemaker_arns(stack, regions, RECORD_DESCRIBED_TYPES)),
        # IAM checks the opt-in on each component, so a reclaim first reads it there (not half-done)
        iam.PolicyStatement(sid="ReadComponentOptIn", actions=["sagemaker:ListTags"],
                            resources=sagemaker_arns(stack, regions, ("inference-component",))),
        iam.PolicyStatement(sid="ReadScheduledActionsForRestoreRecords",
                            actions=list(RECORD_READ_WITHOUT_RESOURCE_LEVEL), resources=["*"]),
        iam.PolicyStatement(sid="DeleteOnlyWhatOwnersTaggedForDeletion", actions=list(DELETE), resources=hosted,
                            conditions=opted_in_to["delete"]),
        iam.PolicyStatement(sid="ScaleDownOnlyWhatOwnersTagged", actions=list(SCALE), resources=hosted,
                            conditions=opted_in_to["any"]),
        iam.PolicyStatement(sid="MarkOnlyOptedInEndpoints", actions=list(MARK), resources=endpoints,
                            conditions={**opted_in_to["any"], **only_our_mark}),
        # No opt-in condition: after an owner removes the reclaim tag, our mark must still be removable
        # when traffic returns. Removing it can only delay a reclaim, never cause one.
        iam.PolicyStatement(sid="RemoveOnlyOurMark", actions=list(UNMARK), resources=endpoints,
                            conditions=only_our_marks),
        # the grace-period mark of a quiet-hours schedule, on endpoints whose owner tagged reclaim=schedule
        iam.PolicyStatement(sid="MarkQuietHoursOnlyOfOptedInEndpoints", actions=list(MARK), resources=endpoints,
                            conditions={"StringEquals": {reclaim_tag: ["schedule"]}, **only_quiet_mark}),
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
                    "List*, CloudWatch metric reads, Application Auto Scaling describes, Pricing GetProducts, "
                    "tag:GetResources and Compute Optimizer GetIdleRecommendations have no resource-level "
                    "permissions in IAM; each action is listed by name.")
        for arn in sagemaker_arns(stack, regions, DESCRIBED_TYPES):
            acknowledge(self.read, f"AwsSolutions-IAM5[Resource::{nag_resource(stack, arn)}]",
                        "Describe/ListTags must reach every endpoint, endpoint config and inference component "
                        "of the scanned regions of this account: finding the idle ones among them is the point.")
        for prefix in LEDGER_PREFIXES:
            acknowledge(self.read, f"AwsSolutions-IAM5[Resource::{nag_resource(stack, ledger.bucket_arn)}/{prefix}*]",
                        f"Each run writes new objects under {prefix} of our own ledger bucket (restore records "
                        "under ledger/, run reports under reports/); their keys are not known in advance.")
        self.act: iam.Policy | None = None
        if act_with_tag_prefix is not None:
            self.act = iam.Policy(self, "Act", roles=[role],
                                  statements=act_statements(stack, regions, act_with_tag_prefix))
            acknowledge(self.act, "AwsSolutions-IAM5[Resource::*]",
                        "Application Auto Scaling scalable-target ARNs are opaque ids, so its writes are limited "
                        "to the sagemaker service namespace and its scalable dimensions instead; "
                        "DescribeScheduledActions has no resource-level permissions at all.")
            reasons = {
                "endpoint": "Which endpoints may be deleted, scaled down or marked is decided by their owners' "
                            "reclaim tag, enforced by an aws:ResourceTag condition; removing our own idle-since mark "
                            "needs none (it only delays a reclaim), and a restore record reads what will change.",
                "inference-component": "Which inference components may be deleted or scaled down is decided by "
                                       "their own reclaim tag (aws:ResourceTag condition); the restore record "
                                       "describes every component of an endpoint before it changes.",
                "model": "A restore record holds every model an endpoint serves, and their names are only "
                         "known from the endpoint config at run time.",
            }
            for resource_type, reason in reasons.items():
                for arn in sagemaker_arns(stack, regions, (resource_type,)):
                    acknowledge(self.act, f"AwsSolutions-IAM5[Resource::{nag_resource(stack, arn)}]", reason)
