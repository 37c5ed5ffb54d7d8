"""Deployment settings: cdk.json context and `-c key=value`, validated before anything is built.

The keys the engine also knows (regions, lookback_days, mode, ...) are parsed and
validated by `cost_watcher.settings`, so `cdk deploy`, the CLI and the function's
environment accept and reject the same values with the same words. This module adds
the keys only a deployment has (schedule, timezone, subscribers, sizing ...).
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cost_watcher.organization import config as org_config
from cost_watcher.settings import SETTING_KEYS, Settings, SettingsError, from_mapping
from cost_watcher.settings import rejected as _fail
from infra import org_settings
from infra.parsing import parse_int as _int

# Engine keys a deployment may set. topic_arn and ledger are the stack's own resources,
# dry_run is spelled `mode` here, and max_workers does not reach the function's environment.
ENGINE_KEYS = tuple(key for key in SETTING_KEYS if key not in ("topic_arn", "ledger", "dry_run", "max_workers"))

# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MIN_RATE_MINUTES = 60

_RATE = re.compile(r"^rate\((?P<value>\d+) (?P<unit>minutes?|hours?|days?)\)$")
_CRON = re.compile(r"^cron\((?P<fields>[^()]*)\)$")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# The six fields of an EventBridge Scheduler cron expression: name, lowest, highest, names.
_CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minutes", 0, 59, ()),
    ("hours", 0, 23, ()),
    ("day-of-month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _WEEKDAYS),
    ("year", 1970, 2199, ()),
)
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_SLACK_WORKSPACE = re.compile(r"^[0-9A-Z]{1,255}$")
_SLACK_CHANNEL = re.compile(r"^[A-Za-z0-9]{1,255}$")
_STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,127}$")
# Context keys written in our style (lower snake case); CDK's own keys have ':' '@' or '-'.
_OUR_STYLE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class DeploySettings:
    """One deployment: the engine's settings plus what only the stack needs. Defaults are cdk.json's."""

    engine: Settings = field(default_factory=Settings)
    stack_name: str = "CostWatcher"
    schedule: str = "cron(0 2 * * ? *)"
    timezone: str = "UTC"
    notify_emails: tuple[str, ...] = ()
    slack_workspace_id: str | None = None
    slack_channel_id: str | None = None
    memory_mb: int = 2048  # bench: 5,000 endpoints peaked at 623 MiB; 10,000 need about twice that
    timeout_minutes: int = 15
    log_level: str = "INFO"
    log_retention_days: int = 90
    reports_retention_days: int = 90
    powertools_layer_version: int = 27
    # organization mode (infra/organization.py): one hub deployment watching every account
    organization: bool = False
    organization_id: str | None = None  # o-...: the spoke role admits the hub only from this organization
    organization_units: tuple[str, ...] = ()  # the StackSet's and the scan's OUs; none = the whole organization
    exclude_accounts: tuple[str, ...] = ()
    spoke_role_name: str = org_config.DEFAULT_ROLE_NAME
    spoke_external_id: str | None = None
    max_concurrency: int = 20  # Distributed Map items (account x region) running at once
    tolerated_failure_percentage: int = 10  # of the items, before the Map (not the digest) fails
    owner_tag: str | None = None
    owner_routes: tuple[tuple[str, Any], ...] = ()  # account id or owner tag value -> topic ARN or e-mails
    delegated_admin: bool = False  # deployed in a delegated administrator account, not the management account

    @property
    def org(self) -> org_config.OrgSettings:
        """What the organization function reads from its ORGANIZATION_* environment."""
        return org_config.OrgSettings(
            role_name=self.spoke_role_name, units=self.organization_units, exclude_accounts=self.exclude_accounts,
            external_id=self.spoke_external_id, owner_tag=self.owner_tag,
            owner_routes=tuple((key, value) for key, value in self.owner_routes if isinstance(value, str)))

    @property
    def act(self) -> bool:
        return not self.engine.dry_run

    @property
    def slack(self) -> bool:
        return self.slack_workspace_id is not None


# --- parsers for the deployment-only keys -------------------------------------------------

def _optional_id(key: str, raw: Any, pattern: re.Pattern[str], accepted: str) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not pattern.match(raw):
        raise _fail(key, raw, accepted)
    return raw


def _cron_value(text: str, low: int, high: int, names: tuple[str, ...]) -> bool:
    return (text.isdigit() and low <= int(text) <= high) or text.upper() in names


def _cron_field(index: int, text: str) -> bool:
    """Whether one field of a cron expression is well formed (values, ranges, lists, steps, L W #)."""
    _, low, high, names = _CRON_FIELDS[index]
    if index == 0:  # a single minute, so the watcher runs at most once an hour
        return _cron_value(text, low, high, names)
    if text == "?":
        return index in (2, 4)
    if (index == 2 and text in ("L", "LW")) or (index == 4 and re.fullmatch(r"[1-7]L|[1-7]#[1-5]", text)):
        return True
    for item in text.split(","):
        base, slash, step = item.partition("/")
        if slash and not (step.isdigit() and int(step) >= 1):
            return False
        if base == "*":
            continue
        if index == 2 and base.endswith("W") and not slash:
            base = base[:-1]
        first, dash, last = base.partition("-")
        if not all(_cron_value(part, low, high, names) for part in ((first, last) if dash else (first,))):
            return False
    return True


def parse_schedule(raw: Any) -> str:
    """An EventBridge Scheduler cron(...) or rate(...) expression that runs at most hourly."""
    accepted = ("cron(minute hour day-of-month month day-of-week year) with a single minute and one of the "
                "two day fields '?', e.g. cron(0 2 * * ? *), or rate(N minutes|hours|days) of at least 1 hour, "
                "e.g. rate(1 day)")
    if not isinstance(raw, str):
        raise _fail("schedule", raw, accepted)
    text = raw.strip()
    rate = _RATE.match(text)
    if rate:
        value, unit = int(rate["value"]), rate["unit"]
        minutes = value * {"minute": 1, "hour": 60, "day": 1440}[unit.rstrip("s")]
        if value < 1 or unit.endswith("s") == (value == 1) or minutes < MIN_RATE_MINUTES:
            raise _fail("schedule", raw, accepted)
        return text
    cron = _CRON.match(text)
    fields = cron["fields"].split() if cron else []
    if len(fields) != len(_CRON_FIELDS):
        raise _fail("schedule", raw, accepted)
    for index, value in enumerate(fields):
        if not _cron_field(index, value):
            raise _fail("schedule", raw, f"a valid {_CRON_FIELDS[index][0]} field, not {value!r}; {accepted}")
    if (fields[2] == "?") == (fields[4] == "?"):
        raise _fail("schedule", raw, f"exactly one of day-of-month and day-of-week set to '?'; {accepted}")
    return text


def parse_timezone(raw: Any) -> str:
    if not isinstance(raw, str) or raw not in zoneinfo.available_timezones():
        raise _fail("timezone", raw, "an IANA time zone name such as UTC, Europe/Paris or America/New_York")
    return raw


def parse_emails(raw: Any) -> tuple[str, ...]:
    accepted = "a list of e-mail addresses or a comma-separated string of them"
    if raw is None or raw == "":
        return ()
    if isinstance(raw, str):
        items = [part.strip() for part in raw.split(",") if part.strip()]
    elif isinstance(raw, (list, tuple)) and all(isinstance(item, str) for item in raw):
        items = [item.strip() for item in raw]
    else:
        raise _fail("notify_emails", raw, accepted)
    for item in items:
        if not _EMAIL.match(item):
            raise _fail("notify_emails", item, "an e-mail address such as ops@example.com")
    return tuple(dict.fromkeys(items))


def _infra_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Parse the deployment-only keys present in `values` into DeploySettings fields."""
    parsers: dict[str, Any] = {
        "stack_name": _stack_name,
        "schedule": parse_schedule,
        "timezone": parse_timezone,
        "notify_emails": parse_emails,
        "slack_workspace_id": lambda v: _optional_id("slack_workspace_id", v, _SLACK_WORKSPACE,
                                                     "a Slack workspace (team) id such as T0123ABCD"),
        "slack_channel_id": lambda v: _optional_id("slack_channel_id", v, _SLACK_CHANNEL,
                                                   "a Slack channel id such as C0123ABCD"),
        "memory_mb": lambda v: _int("memory_mb", v, 128, 10240),
        "timeout_minutes": lambda v: _int("timeout_minutes", v, 1, 15),
        "log_level": _log_level,
        "log_retention_days": _log_retention,
        "reports_retention_days": lambda v: _int("reports_retention_days", v, 1, 3650),
        "powertools_layer_version": lambda v: _int("powertools_layer_version", v, 1, 10**6),
        **org_settings.PARSERS,
    }
    return {key: parsers[key](raw) for key, raw in values.items() if key in parsers}


def _stack_name(raw: Any) -> str:
    if not isinstance(raw, str) or not _STACK_NAME.match(raw):
        raise _fail("stack_name", raw, "a CloudFormation stack name: a letter, then letters, digits and hyphens, "
                                       "at most 128 characters")
    return raw


def _log_level(raw: Any) -> str:
    text = raw.upper() if isinstance(raw, str) else raw
    if text not in LOG_LEVELS:
        raise _fail("log_level", raw, " | ".join(LOG_LEVELS))
    return text


def _log_retention(raw: Any) -> int:
    accepted = "one of the CloudWatch Logs retention periods: " + ", ".join(map(str, LOG_RETENTION_DAYS))
    try:
        days = _int("log_retention_days", raw, 1, 3653)
    except SettingsError:
        raise _fail("log_retention_days", raw, accepted) from None
    if days not in LOG_RETENTION_DAYS:
        raise _fail("log_retention_days", raw, accepted)
    return days


INFRA_KEYS = tuple(DeploySettings.__dataclass_fields__.keys() - {"engine"})
CONTEXT_KEYS = tuple(sorted({*ENGINE_KEYS, *INFRA_KEYS}))  # timezone is both: the schedule's and the quiet hours'


def load(context: Mapping[str, Any]) -> DeploySettings:
    """DeploySettings from CDK context (cdk.json plus -c); raise SettingsError naming key, value, accepted."""
    ours = {key: value for key, value in context.items() if _OUR_STYLE.match(key)}
    unknown = sorted(set(ours) - set(CONTEXT_KEYS))
    if unknown:
        raise SettingsError(
            f"cdk context: unknown key(s) {', '.join(map(repr, unknown))}; accepted keys are {', '.join(CONTEXT_KEYS)}"
        )
    engine = from_mapping({key: ours[key] for key in ENGINE_KEYS if key in ours}, source="cdk context")
    settings = DeploySettings(engine=engine, **_infra_values(ours))
    org_settings.check(settings, set(ours))
    if (settings.slack_workspace_id is None) != (settings.slack_channel_id is None):
        given = "slack_workspace_id" if settings.slack_workspace_id else "slack_channel_id"
        missing = "slack_channel_id" if settings.slack_workspace_id else "slack_workspace_id"
        raise SettingsError(
            f"setting '{missing}': missing while '{given}' is set; expected both Slack ids or neither"
        )
    return settings
