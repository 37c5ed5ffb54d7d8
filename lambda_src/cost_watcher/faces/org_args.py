"""The command line of organization mode: its flags and its two commands, hooked into cli.py.

    cost-watcher scan --organization [--ou OU ...] [--exclude-account ID ...] [--role-name NAME]
    cost-watcher scan --account ID [--account ID ...] --role-name NAME
    cost-watcher restore NAME --region R --account ID [--role-name NAME]

The scan runs every (account, region) item in a bounded pool with the caller's credentials
(organization/pool.py); exit 3 when part of the organization was not seen, as for a region.
`restore --account` reads the record from that account's part of the hub's ledger and
re-creates through a role in the member account: the spoke role cannot create anything (by
design), so the default is the role AWS Organizations creates for administrators.
"""

from __future__ import annotations

import argparse
from typing import Any

from cost_watcher.errors import AssumeRoleError, OrganizationError, UsageError
from cost_watcher.model import Report
from cost_watcher.organization import config
from cost_watcher.organization.accounts import Identity, list_accounts, named
from cost_watcher.organization.assumed import AccountClients, assume
from cost_watcher.organization.pool import run_organization
from cost_watcher.scan.clients import Clients
from cost_watcher.settings import Settings

RESTORE_ROLE = "OrganizationAccountAccessRole"


def add_organization_arguments(scan: argparse.ArgumentParser, restore: argparse.ArgumentParser) -> None:
    group = scan.add_argument_group("organization mode (every account through a role in it)")
    who = group.add_mutually_exclusive_group()
    who.add_argument("--organization", action="store_true",
                     help="scan every ACTIVE account of your AWS Organization (run from the management or a "
                          "delegated administrator account)")
    who.add_argument("--account", action="append", dest="org_accounts", metavar="ID",
                     help="scan this member account (repeatable)")
    group.add_argument("--role-name", dest="org_role_name", metavar="NAME",
                       help=f"role to assume in each account (default {config.DEFAULT_ROLE_NAME})")
    group.add_argument("--ou", action="append", dest="org_units", metavar="OU",
                       help="with --organization: only accounts in this OU, nested OUs included (repeatable)")
    group.add_argument("--exclude-account", action="append", dest="org_exclude", metavar="ID",
                       help="leave this account out (repeatable)")
    group.add_argument("--accounts-at-once", dest="org_workers", metavar="N",
                       help="accounts scanned at the same time, 1-64 (default 8)")
    restore.add_argument("--account", dest="org_account", metavar="ID",
                         help="restore into this member account (the record is in its folder of the ledger)")
    restore.add_argument("--role-name", dest="org_role_name", metavar="NAME",
                         help=f"role to assume in that account, one allowed to re-create (default {RESTORE_ROLE})")


def wants_organization(args: argparse.Namespace) -> bool:
    """Any organization flag (one without --organization or --account is then refused, not ignored)."""
    return any(getattr(args, name, None) for name in
               ("organization", "org_accounts", "org_units", "org_exclude", "org_role_name", "org_workers"))


def org_settings(args: argparse.Namespace) -> config.OrgSettings:
    if not (args.organization or args.org_accounts):
        raise UsageError("--ou, --exclude-account, --role-name and --accounts-at-once need --organization or "
                         "--account ID")
    if args.org_units and not args.organization:
        raise UsageError("--ou needs --organization (with --account the accounts are named already)")
    values: dict[str, Any] = {"role_name": args.org_role_name, "units": args.org_units,
                              "exclude_accounts": args.org_exclude, "max_workers": args.org_workers}
    return config.from_mapping({k: v for k, v in values.items() if v is not None}, source="flags")


def organization_report(args: argparse.Namespace, settings: Settings, hub: Clients, caller_arn: str,
                        progress: Any = None) -> Report:
    """`scan --organization` / `scan --account ...`: the per-account scans as one report (an account
    whose role cannot be assumed is in it as not seen, and makes the exit 3). `caller_arn` is who
    the command already found we are (faces/identity.py), so STS is not asked again."""
    if getattr(args, "demo", False):
        raise UsageError("--demo simulates one account; organization mode needs real accounts")
    org = org_settings(args)
    try:
        identity = Identity.from_arn(caller_arn)
        organizations = hub.client("organizations", hub.default_region)
        if args.organization:
            accounts = list_accounts(organizations, org)
        else:
            config.parse_accounts("--account", args.org_accounts)
            accounts = [a for a in named(args.org_accounts, organizations) if a.id not in set(org.exclude_accounts)]
    except (OrganizationError, AssumeRoleError) as error:
        raise UsageError(str(error)) from None
    if not accounts:
        raise UsageError("no account to scan: the organization (or OU) has no ACTIVE account left after exclusions")
    return run_organization(settings, org, hub, accounts, progress=progress, identity=identity)


def restore_target(args: argparse.Namespace, clients: Clients, caller_arn: str) -> Clients:
    """The clients of a restore: the caller's own, or (--account) a member account's, whose records
    the ledger keeps under that account (reclaim/ledger.py opens that part for them)."""
    if not getattr(args, "org_account", None):
        if getattr(args, "org_role_name", None):
            raise UsageError("--role-name needs --account (the member account to restore into)")
        return clients
    account = config.parse_accounts("--account", [args.org_account])[0]
    role = config.parse_role_name("--role-name", args.org_role_name or RESTORE_ROLE)
    identity = Identity.from_arn(caller_arn)
    try:
        member = AccountClients(clients.session, clients, account) if account == identity.account \
            else assume(clients, identity, account, role, run_id="restore")
    except AssumeRoleError as error:
        raise UsageError(f"{error}; pass --role-name with a role in {account} that may re-create endpoints") from None
    return member
