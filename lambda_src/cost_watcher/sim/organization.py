"""A simulated AWS Organization in moto: member accounts in OUs, the spoke role in each, endpoints.

moto's AssumeRole hands out credentials for any role ARN, even one that does not exist; AWS
refuses with AccessDenied ("... is not authorized to perform: sts:AssumeRole on resource ...")
when the role is missing or its trust policy does not admit the caller.
https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
`refuse_missing_roles` makes moto answer as AWS does, for the tests, the benchmarks and the demo.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.awsrequest import AWSResponse

from cost_watcher.organization.accounts import Account, Identity
from cost_watcher.organization.assumed import assume
from cost_watcher.scan.clients import Clients
from cost_watcher.sim.account import build_account
from cost_watcher.sim.specs import EndpointSpec

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                  "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}


@dataclass
class SimulatedOrganization:
    id: str
    root: str
    units: dict[str, str] = field(default_factory=dict)  # OU name -> id
    accounts: dict[str, Account] = field(default_factory=dict)  # account name -> account


def _access_denied(role_arn: str) -> tuple[AWSResponse, dict[str, Any]]:
    body = {"Error": {"Code": "AccessDenied", "Message": f"User: arn:aws:sts::123456789012:assumed-role/hub is not "
                      f"authorized to perform: sts:AssumeRole on resource: {role_arn}"},
            "ResponseMetadata": {"HTTPStatusCode": 403}}
    return AWSResponse("https://sts.amazonaws.com", 403, {}, None), body


def refuse_missing_roles(clients: Clients) -> None:
    """AssumeRole of a role that does not exist in its account is AccessDenied, as on AWS (register it
    after build_organization, which reaches members through the role Organizations creates)."""
    from moto.iam.models import iam_backends

    def answer(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        arn = params["body"]["RoleArn"]  # STS speaks the query protocol: the body is the form
        account, name = arn.split(":")[4], arn.rsplit("/", 1)[-1]
        roles = iam_backends[account]["global"].roles.values()
        return None if any(role.name == name for role in roles) else _access_denied(arn)

    clients.register("before-call.sts.AssumeRole", answer)


def build_organization(hub: Clients, members: Mapping[str, tuple[str | None, Iterable[EndpointSpec]]],
                       now: datetime, *, role_name: str = "CostWatcherSpoke",
                       without_role: Iterable[str] = (),
                       hub_specs: Iterable[EndpointSpec] = ()) -> SimulatedOrganization:
    """An organization whose management account is the hub's, with `members` (name -> (OU name or None
    for the root, endpoints)); every member gets the spoke role except those named in `without_role`."""
    organizations = hub.client("organizations", hub.default_region)
    info = organizations.create_organization(FeatureSet="ALL")["Organization"]
    org = SimulatedOrganization(info["Id"], organizations.list_roots()["Roots"][0]["Id"])
    identity = Identity.of(hub.client("sts", hub.default_region))
    missing = set(without_role)
    for name, (unit, specs) in members.items():
        account_id = organizations.create_account(Email=f"{name}@example.com", AccountName=name)[
            "CreateAccountStatus"]["AccountId"]
        if unit:
            if unit not in org.units:
                org.units[unit] = organizations.create_organizational_unit(ParentId=org.root, Name=unit)[
                    "OrganizationalUnit"]["Id"]
            organizations.move_account(AccountId=account_id, SourceParentId=org.root,
                                       DestinationParentId=org.units[unit])
        org.accounts[name] = Account(account_id, name)
        member = assume(hub, identity, account_id, "OrganizationAccountAccessRole")  # what Organizations creates
        if name not in missing:
            member.client("iam").create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(TRUST))
        build_account(member, specs, now)
    build_account(hub, list(hub_specs), now)
    hub.calls.clear()
    return org
