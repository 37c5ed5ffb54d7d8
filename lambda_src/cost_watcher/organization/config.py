"""Settings of organization mode: which accounts, through which role, and whose digest goes where.

They sit beside the engine's Settings (which know nothing of accounts) and are parsed with the
same words, so `cdk deploy -c ...`, the function's environment and the CLI flags accept and
reject the same values. The function reads them from ORGANIZATION_* variables.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cost_watcher.errors import SettingsError
from cost_watcher.settings import TOPIC_ARN_PATTERN
from cost_watcher.settings import rejected as _fail

ENV_PREFIX = "ORGANIZATION_"
DEFAULT_ROLE_NAME = "CostWatcherSpoke"
ACCOUNT_ID = re.compile(r"^\d{12}$")
# IAM role names: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
# Organizations ids: https://docs.aws.amazon.com/organizations/latest/APIReference/API_OrganizationalUnit.html
UNIT_ID = re.compile(r"^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$")
ORGANIZATION_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
TAG_KEY = re.compile(r"^[\w.:/=+\-@ ]{1,128}$")


@dataclass(frozen=True)
class OrgSettings:
    """Organization mode's own settings; defaults are the documented defaults."""

    role_name: str = DEFAULT_ROLE_NAME
    units: tuple[str, ...] = ()  # OUs (or the root) whose accounts are watched; none = every account
    exclude_accounts: tuple[str, ...] = ()
    external_id: str | None = None  # sts:ExternalId the spoke role's trust asks for, when set
    owner_tag: str | None = None  # tag key on an endpoint naming its owner, for routing
    owner_routes: tuple[tuple[str, str], ...] = ()  # (account id or owner tag value, SNS topic ARN)
    max_workers: int = 8  # the laptop pool: accounts scanned at once

    def route_of(self, key: str | None) -> str | None:
        return dict(self.owner_routes).get(key) if key else None


def _items(key: str, raw: Any, accepted: str) -> list[str]:
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(raw, (list, tuple)) and all(isinstance(item, str) for item in raw):
        return [item.strip() for item in raw]
    raise _fail(key, raw, accepted)


def parse_accounts(key: str, raw: Any) -> tuple[str, ...]:
    accepted = "12-digit AWS account ids, as a list or a comma-separated string"
    items = _items(key, raw, accepted)
    for item in items:
        if not ACCOUNT_ID.match(item):
            raise _fail(key, item, "a 12-digit AWS account id such as 123456789012")
    return tuple(dict.fromkeys(items))


def parse_units(key: str, raw: Any) -> tuple[str, ...]:
    items = _items(key, raw, "organizational unit ids (ou-...) or the root id (r-...), comma-separated")
    for item in items:
        if not UNIT_ID.match(item):
            raise _fail(key, item, "an organizational unit id such as ou-ab12-cd34ef56 or a root id such as r-ab12")
    return tuple(dict.fromkeys(items))


def parse_role_name(key: str, raw: Any) -> str:
    if not isinstance(raw, str) or not ROLE_NAME.match(raw):
        raise _fail(key, raw, "an IAM role name: 1-64 letters, digits and +=,.@_-")
    return raw


def parse_optional(key: str, raw: Any, pattern: re.Pattern[str], accepted: str) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not pattern.match(raw):
        raise _fail(key, raw, accepted)
    return raw


def parse_routes(key: str, raw: Any, *, emails: bool = False) -> tuple[tuple[str, Any], ...]:
    """{"123456789012": "arn:aws:sns:...", "team-a": "arn:..."}: an account id or an owner tag value
    to an SNS topic ARN (the deployment also accepts a list of e-mail addresses: it makes the topic)."""
    accepted = ('a JSON object mapping an account id or owner tag value to an SNS topic ARN'
                + (' or a list of e-mail addresses' if emails else '')
                + ', e.g. {"123456789012": "arn:aws:sns:us-east-1:123456789012:team-a"}')
    if raw is None or raw == "":
        return ()
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise _fail(key, raw, accepted) from None
    if not isinstance(raw, Mapping) or not all(isinstance(k, str) and k for k in raw):
        raise _fail(key, raw, accepted)
    routes = []
    for owner, target in raw.items():
        is_topic = isinstance(target, str) and TOPIC_ARN_PATTERN.match(target)
        is_list = emails and isinstance(target, (list, tuple)) and target and all(
            isinstance(item, str) and "@" in item for item in target)
        if not (is_topic or is_list):
            raise _fail(key, {owner: target}, accepted)
        routes.append((owner, tuple(target) if is_list else target))
    return tuple(routes)


def _parse_workers(key: str, raw: Any) -> int:
    value = int(raw) if isinstance(raw, str) and raw.strip().isdigit() else raw
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 64:
        raise _fail(key, raw, "a whole number from 1 to 64")
    return value


_PARSERS: dict[str, tuple[str, Any]] = {
    "role_name": ("role_name", parse_role_name),
    "units": ("units", parse_units),
    "exclude_accounts": ("exclude_accounts", parse_accounts),
    "external_id": ("external_id", lambda k, v: parse_optional(k, v, EXTERNAL_ID, "2-1224 characters of "
                                                                "letters, digits and +=,.@:/-")),
    "owner_tag": ("owner_tag", lambda k, v: parse_optional(k, v, TAG_KEY, "a tag key of 1-128 characters")),
    "owner_routes": ("owner_routes", parse_routes),
    "max_workers": ("max_workers", _parse_workers),
}


def from_mapping(values: Mapping[str, Any], *, source: str = "organization settings") -> OrgSettings:
    unknown = sorted(set(values) - set(_PARSERS))
    if unknown:
        raise SettingsError(f"{source}: unknown key(s) {', '.join(map(repr, unknown))}; "
                            f"accepted keys are {', '.join(_PARSERS)}")
    return OrgSettings(**{_PARSERS[key][0]: _PARSERS[key][1](key, raw) for key, raw in values.items()})


def from_environment(environ: Mapping[str, str]) -> OrgSettings:
    """OrgSettings from ORGANIZATION_* variables, as the deployed function receives them."""
    values = {name[len(ENV_PREFIX):].lower(): value for name, value in environ.items() if name.startswith(ENV_PREFIX)}
    return from_mapping(values, source="environment")


def to_environment(org: OrgSettings) -> dict[str, str]:
    """The inverse of from_environment (topic ARNs only: e-mail lists became topics at deploy time)."""
    values = {
        "role_name": org.role_name,
        "units": ",".join(org.units),
        "exclude_accounts": ",".join(org.exclude_accounts),
        "external_id": org.external_id or "",
        "owner_tag": org.owner_tag or "",
        "owner_routes": json.dumps(dict(org.owner_routes), sort_keys=True) if org.owner_routes else "",
    }
    return {ENV_PREFIX + key.upper(): value for key, value in values.items()}
