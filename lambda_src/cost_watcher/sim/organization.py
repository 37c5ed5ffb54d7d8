"""A simulated AWS Organization in moto: member accounts in OUs, the spoke role in each, endpoints.

moto's AssumeRole hands out credentials for any role ARN, even one that does not exist; AWS
refuses with AccessDenied ("... is not authorized to perform: sts:AssumeRole on resource ...")
when the role is missing or its trust policy does not admit the caller.
https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
`refuse_missing_roles` makes moto answer as AWS does, for the tests and the benchmarks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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


ADMIN_ROLE = "OrganizationAccountAccessRole"  # what Organizations creates in an account it creates


def refuse_missing_roles() -> None:
    """AssumeRole of a role that does not exist in its account is AccessDenied, as on AWS (for the
    whole process, idempotent: part of the moto-as-AWS layer for organization mode)."""
    from moto.iam.models import iam_backends
    from moto.sts.exceptions import STSClientError
    from moto.sts.models import STSBackend

    original = getattr(STSBackend.assume_role, "_cost_watcher_original", STSBackend.assume_role)

    def assume_role(self: Any, *args: Any, **kwargs: Any) -> Any:
        arn = kwargs.get("role_arn") or args[2]
        account, name = arn.split(":")[4], arn.rsplit("/", 1)[-1]
        if not any(role.name == name for role in iam_backends[account]["global"].roles.values()):
            raise STSClientError("AccessDenied", f"User: arn:aws:sts::{self.account_id}:assumed-role/hub is not "
                                                 f"authorized to perform: sts:AssumeRole on resource: {arn}")
        return original(self, *args, **kwargs)

    assume_role._cost_watcher_original = original  # type: ignore[attr-defined]
    STSBackend.assume_role = assume_role  # type: ignore[method-assign]


def _create_role(account: str, name: str) -> None:
    """A role made in a member account from moto's side (as the StackSet would make the spoke role)."""
    from moto.iam.models import iam_backends

    backend = iam_backends[account]["global"]
    if not any(role.name == name for role in backend.roles.values()):  # moto makes Organizations' admin role
        backend.create_role(name, json.dumps(TRUST), "/", None, "", [], None)


def build_organization(hub: Clients, members: Mapping[str, tuple[str | None, Iterable[EndpointSpec]]],
                       now: datetime, *, role_name: str = "CostWatcherSpoke",
                       without_role: Iterable[str] = (),
                       hub_specs: Iterable[EndpointSpec] = ()) -> SimulatedOrganization:
    """An organization whose management account is the hub's, with `members` (name -> (OU name or None
    for the root, endpoints)); every member gets Organizations' admin role, and the spoke role except
    those named in `without_role`. AssumeRole then refuses a missing role, as on AWS."""
    refuse_missing_roles()
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
        _create_role(account_id, ADMIN_ROLE)
        if name not in missing:
            _create_role(account_id, role_name)
        member = assume(hub, identity, account_id, ADMIN_ROLE)
        build_account(member, specs, now)
    build_account(hub, list(hub_specs), now)
    hub.calls.clear()
    return org
