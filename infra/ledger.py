"""The ledger bucket: restore records (kept for ever) and run reports (expire).

Restore records are what makes a deletion undoable, so the bucket is versioned, kept
when the stack is deleted, and its lifecycle rule touches `reports/` only.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.checks import acknowledge

REPORTS_PREFIX = "reports/"
RECORDS_PREFIX = "ledger/"


class LedgerBucket(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, reports_retention_days: int) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self, "Bucket",
            versioned=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireRunReports",
                    prefix=REPORTS_PREFIX,
                    expiration=Duration.days(reports_retention_days),
                    noncurrent_version_expiration=Duration.days(1),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
            ],
        )
        acknowledge(
            self.bucket, "AwsSolutions-S1",
            "Only the watcher's own role writes here, a few objects a night; object-level audit is what "
            "CloudTrail data events are for, so a second bucket of access logs would add cost, not insight.",
        )

    @property
    def url(self) -> str:
        """The value of COST_WATCHER_LEDGER: s3://<bucket>."""
        return f"s3://{self.bucket.bucket_name}"

