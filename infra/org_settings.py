"""The deployment keys of organization mode (`-c organization=true ...`), parsed with the engine's words.

infra/settings.py holds the fields; this module their parsers and the rules between them.
"""

from __future__ import annotations

from typing import Any

from cost_watcher.organization import config as org_config
from cost_watcher.settings import SettingsError
from infra.parsing import parse_bool as _bool
from infra.parsing import parse_int as _int

ORGANIZATION_ONLY = ("organization_id", "organization_units", "exclude_accounts", "spoke_role_name",
                     "spoke_external_id", "max_concurrency", "tolerated_failure_percentage", "owner_tag",
                     "owner_routes", "delegated_admin")


def check(settings: Any, given: set[str]) -> None:
    """Organization keys need organization=true, and organization mode needs the organization's id."""
    if not settings.organization:  # cdk.json lists every key with its default: only a changed one is stray
        defaults = type(settings)()
        stray = sorted(key for key in given & set(ORGANIZATION_ONLY)
                       if getattr(settings, key) != getattr(defaults, key))
        if stray:
            raise SettingsError(f"setting '{stray[0]}': only used in organization mode; add -c organization=true "
                                "or drop it")
        return
    if settings.organization_id is None:
        raise SettingsError("setting 'organization_id': missing; organization=true needs your organization's id "
                            "(o-...), from `aws organizations describe-organization --query Organization.Id`")
    if not settings.organization_units:
        raise SettingsError("setting 'organization_units': missing; organization=true needs the OUs whose accounts "
                            "get the spoke role, or your root id r-... for the whole organization "
                            "(`aws organizations list-roots --query Roots[0].Id`)")
    for owner, _ in settings.owner_routes:
        if not (org_config.ACCOUNT_ID.match(owner) or settings.owner_tag):
            raise SettingsError(f"setting 'owner_routes': {owner!r} is not an account id and no owner_tag is set; "
                                "expected 12-digit account ids, or owner tag values with -c owner_tag=KEY")



PARSERS: dict[str, Any] = {
    "delegated_admin": lambda v: _bool("delegated_admin", v),
        "organization": lambda v: _bool("organization", v),
        "organization_id": lambda v: org_config.parse_optional(
            "organization_id", v, org_config.ORGANIZATION_ID,
            "your organization's id, o- and 10-32 letters or digits (aws organizations describe-organization)"),
        "organization_units": lambda v: org_config.parse_units("organization_units", v),
        "exclude_accounts": lambda v: org_config.parse_accounts("exclude_accounts", v),
        "spoke_role_name": lambda v: org_config.parse_role_name("spoke_role_name", v),
        "spoke_external_id": lambda v: org_config.parse_optional(
            "spoke_external_id", v, org_config.EXTERNAL_ID, "2-1224 characters of letters, digits and +=,.@:/-"),
        "max_concurrency": lambda v: _int("max_concurrency", v, 1, 1000),
        "tolerated_failure_percentage": lambda v: _int("tolerated_failure_percentage", v, 0, 100),
        "owner_tag": lambda v: org_config.parse_optional("owner_tag", v, org_config.TAG_KEY,
                                                         "a tag key of 1-128 characters"),
        "owner_routes": lambda v: org_config.parse_routes("owner_routes", v, emails=True),
}
