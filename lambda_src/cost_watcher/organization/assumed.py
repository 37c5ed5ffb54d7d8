"""Clients for one member account: its SageMaker, CloudWatch and Auto Scaling through the spoke role,
while the ledger (S3), the digest (SNS) and the Price List stay the hub's.

The role is assumed with the hub's own STS client (so its calls are counted and retried like every
other), and the credentials refresh themselves before they expire: botocore's
RefreshableCredentials, the mechanism its own assume-role provider uses.
https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
"""

from __future__ import annotations

import re
from typing import Any

import boto3
from botocore.credentials import RefreshableCredentials
from botocore.session import get_session

from cost_watcher.errors import AssumeRoleError, describe_error
from cost_watcher.organization.accounts import Identity
from cost_watcher.scan.clients import Clients

SESSION_SECONDS = 3600  # the default maximum session of a role; refreshed before it ends


def role_arn(identity: Identity, account: str, role_name: str) -> str:
    return f"arn:{identity.partition}:iam::{account}:role/{role_name}"


def session_name(run_id: str | None) -> str:
    """RoleSessionName (2-64 of [\\w+=,.@-]): names the run in the member account's CloudTrail."""
    return re.sub(r"[^\w+=,.@-]", "-", f"cost-watcher-{run_id or 'scan'}")[:64]


class AccountClients(Clients):
    """A member account's clients: its own for what is scanned and changed, the hub's for the
    ledger, the digest and prices (they live in the hub, and the spoke role grants none of them).
    `account` keys the account's restore records in the hub's ledger (reclaim/ledger.py)."""

    def __init__(self, session: boto3.session.Session, hub: Clients, account: str, *, max_workers: int = 8) -> None:
        super().__init__(session, max_workers=max_workers)
        self.hub, self.account = hub, account
        for event, handler in hub._handlers:  # the hub's instrumentation (tests, demo) applies here too
            self.register(event, handler)

    def s3(self) -> Any:
        return self.hub.s3()

    def sns(self, region: str | None = None) -> Any:
        return self.hub.sns(region)

    def pricing(self) -> Any:
        return self.hub.pricing()


def assume(hub: Clients, identity: Identity, account: str, role_name: str, *, run_id: str | None = None,
           external_id: str | None = None, max_workers: int = 8) -> AccountClients:
    """Clients acting in `account` through its spoke role; AssumeRoleError (one line) when it cannot be assumed."""
    arn = role_arn(identity, account, role_name)
    request: dict[str, Any] = {"RoleArn": arn, "RoleSessionName": session_name(run_id),
                               "DurationSeconds": SESSION_SECONDS}
    if external_id:
        request["ExternalId"] = external_id
    sts = hub.client("sts", hub.default_region)

    def fetch() -> dict[str, str]:
        try:
            credentials = sts.assume_role(**request)["Credentials"]
        except Exception as error:
            raise AssumeRoleError(f"could not assume {arn}: {describe_error(error)}") from error
        return {"access_key": credentials["AccessKeyId"], "secret_key": credentials["SecretAccessKey"],
                "token": credentials["SessionToken"], "expiry_time": credentials["Expiration"].isoformat()}

    botocore_session = get_session()
    # the hub's loader: service models are parsed once per run, not once per account (tens of MiB each)
    botocore_session.register_component("data_loader", hub.session._session.get_component("data_loader"))
    botocore_session._credentials = RefreshableCredentials.create_from_metadata(
        metadata=fetch(), refresh_using=fetch, method="sts-assume-role")
    session = boto3.session.Session(botocore_session=botocore_session, region_name=hub.default_region)
    return AccountClients(session, hub, account, max_workers=max_workers)
