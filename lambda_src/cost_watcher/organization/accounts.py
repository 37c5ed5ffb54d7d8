"""Which accounts an organization run watches: the ACTIVE accounts of the organization (or of the
chosen OUs, nested OUs included), minus the exclusions. Read with the Organizations API's
paginators from the management or a delegated administrator account.

An account's lifecycle is its `State` (ACTIVE, SUSPENDED, PENDING_CLOSURE, ...); `Status` was
retired on 9 September 2026, so it is only read when `State` is absent.
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_account_state.html
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from cost_watcher.errors import OrganizationError, describe_error
from cost_watcher.organization.config import OrgSettings

ACTIVE = "ACTIVE"


@dataclass(frozen=True)
class Account:
    id: str
    name: str


@dataclass(frozen=True)
class Identity:
    """Who the run is: its account and partition (the spoke role ARNs are built in that partition)."""

    account: str
    partition: str = "aws"

    @classmethod
    def of(cls, sts: Any) -> Identity:
        return cls.from_arn(sts.get_caller_identity()["Arn"])

    @classmethod
    def from_arn(cls, arn: str) -> Identity:
        """From the caller's ARN, arn:<partition>:sts::<account>:assumed-role/... (or :iam::...:user/...)."""
        return cls(arn.split(":")[4], arn.split(":")[1])


def _state(account: dict[str, Any]) -> str | None:
    return account.get("State") or account.get("Status")


def _accounts_under(organizations: Any, parent: str) -> Iterator[dict[str, Any]]:
    """Accounts of one OU and of every OU nested below it (Organizations nests up to five levels)."""
    todo = [parent]
    while todo:
        unit = todo.pop()
        for page in organizations.get_paginator("list_accounts_for_parent").paginate(ParentId=unit):
            yield from page["Accounts"]
        for page in organizations.get_paginator("list_children").paginate(
                ParentId=unit, ChildType="ORGANIZATIONAL_UNIT"):
            todo += [child["Id"] for child in page["Children"]]


def _everyone(organizations: Any) -> Iterable[dict[str, Any]]:
    for page in organizations.get_paginator("list_accounts").paginate():
        yield from page["Accounts"]


def list_accounts(organizations: Any, org: OrgSettings) -> list[Account]:
    """The ACTIVE accounts to watch, by id; OrganizationError when the organization cannot be read."""
    try:
        found = [account for unit in org.units for account in _accounts_under(organizations, unit)] \
            if org.units else list(_everyone(organizations))
    except Exception as error:
        raise OrganizationError(
            f"could not list the organization's accounts: {describe_error(error)}; run from the management "
            "account or a delegated administrator, with organizations:ListAccounts, ListAccountsForParent "
            "and ListChildren") from error
    excluded = set(org.exclude_accounts)
    chosen = {a["Id"]: Account(a["Id"], a.get("Name") or a["Id"]) for a in found
              if _state(a) == ACTIVE and a["Id"] not in excluded}
    return sorted(chosen.values(), key=lambda account: account.id)


def named(ids: Iterable[str], organizations: Any | None = None) -> list[Account]:
    """Accounts given by id (the CLI's --account): named from Organizations when it answers,
    else by their id (a member account may not read the organization)."""
    ids = list(dict.fromkeys(ids))
    names: dict[str, str] = {}
    if organizations is not None:
        for account_id in ids:
            try:
                names[account_id] = organizations.describe_account(AccountId=account_id)["Account"]["Name"]
            except Exception:  # noqa: BLE001 - a name is a nicety; the id is what the scan needs
                break
    return [Account(account_id, names.get(account_id, account_id)) for account_id in ids]
