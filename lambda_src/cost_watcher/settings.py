"""Settings of one run: one dataclass, one validator, one parser for text sources.

The CLI flags, the Lambda environment, a manual invoke's overrides and the CDK
context all end up here, so every face of the tool accepts and rejects the same
values with the same words.
"""

from __future__ import annotations

import dataclasses
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cost_watcher.errors import SettingsError, unknown_keys

NOTIFY_MODES = ("always", "findings", "actions", "never")
MODES = ("report", "act")
PRICING_SOURCES = ("auto", "table")
MIN_LOOKBACK_DAYS, MAX_LOOKBACK_DAYS = 1, 63
REGION_PATTERN = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
TAG_PREFIX_PATTERN = re.compile(r"^[\w.:/=+\-@ ]{1,64}$")
TOPIC_ARN_PATTERN = re.compile(r"^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]{1,256}$")
ENV_PREFIX = "COST_WATCHER_"



@dataclass(frozen=True)
class TagKeys:
    """Every tag key of the tag contract, built in one place from the configured prefix."""

    prefix: str

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    @property
    def reclaim(self) -> str:
        """The owner's opt-in: reclaim=delete | scale-down."""
        return self.key("reclaim")

    @property
    def ignore(self) -> str:
        """The owner's opt-out from reports: ignore=true."""
        return self.key("ignore")

    @property
    def idle_since(self) -> str:
        """Our grace-period mark: idle-since=YYYY-MM-DD."""
        return self.key("idle-since")

    @property
    def quiet_since(self) -> str:
        """Our grace-period mark of a timetable (reclaim=schedule): quiet-since=YYYY-MM-DD."""
        return self.key("quiet-since")


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know; defaults are the documented defaults."""

    regions: tuple[str, ...] = ()
    lookback_days: int = 7
    last_used_days: int = 30
    dry_run: bool = True
    grace_days: int = 3
    max_actions_per_run: int = 5
    tag_prefix: str = "cost-watcher:"
    notify: str = "findings"
    topic_arn: str | None = None
    ledger: str | None = None
    underused_scale_down: bool = False
    underused_max_daily_invocations: int = 50
    underused_max_utilization_pct: float = 10.0
    pricing: str = "auto"
    max_workers: int = 8
    timezone: str = "UTC"  # the schedule's: quiet hours are found and applied in it
    schedule_lookback_days: int = 14
    schedule_quiet_share: float = 0.1  # % of the invocations seen that the quiet hours may carry together
    schedule_margin_hours: int = 1
    schedule_min_window_hours: int = 4

    @property
    def mode(self) -> str:
        return "report" if self.dry_run else "act"

    @property
    def tags(self) -> TagKeys:
        return TagKeys(self.tag_prefix)


    def replace(self, **changes: Any) -> Settings:
        return validate(dataclasses.replace(self, **changes))


def rejected(key: str, value: Any, accepted: str) -> SettingsError:
    """The one wording of a refused setting, shared by every face (CLI, Lambda, CDK context)."""
    return SettingsError(f"setting '{key}': {value!r} is not accepted; expected {accepted}")


def _check_int(key: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise rejected(key, value, f"a whole number from {low} to {high}")


def validate_region(region: str) -> str:
    if not isinstance(region, str) or not REGION_PATTERN.match(region):
        raise rejected("regions", region, "AWS region names such as us-east-1 or eu-west-1")
    return region


S3_BUCKET_PATTERN = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def validate_ledger(location: str) -> str:
    """`s3://bucket[/prefix]` with a valid bucket name, or a local directory path."""
    accepted = "s3://bucket[/prefix] (a valid S3 bucket name) or a directory path"
    if location.startswith("s3://"):
        bucket = location[len("s3://"):].partition("/")[0]
        if not S3_BUCKET_PATTERN.fullmatch(bucket):
            raise rejected("ledger", location, accepted)
    elif "://" in location or not location.strip():
        raise rejected("ledger", location, accepted)
    return location


def validate(settings: Settings) -> Settings:
    """Return the settings unchanged if every value is acceptable, else raise SettingsError."""
    for region in settings.regions:
        validate_region(region)
    _check_int("lookback_days", settings.lookback_days, MIN_LOOKBACK_DAYS, MAX_LOOKBACK_DAYS)
    _check_int("last_used_days", settings.last_used_days, settings.lookback_days, 455)
    _check_int("grace_days", settings.grace_days, 0, 90)
    _check_int("max_actions_per_run", settings.max_actions_per_run, 0, 1000)
    _check_int("underused_max_daily_invocations", settings.underused_max_daily_invocations, 0, 10**6)
    _check_int("max_workers", settings.max_workers, 1, 64)
    if not 0 <= settings.underused_max_utilization_pct <= 100:
        raise rejected("underused_max_utilization_pct", settings.underused_max_utilization_pct, "0 to 100")
    if not isinstance(settings.tag_prefix, str) or not TAG_PREFIX_PATTERN.match(settings.tag_prefix):
        raise rejected("tag_prefix", settings.tag_prefix, "1-64 characters of letters, digits, spaces and _.:/=+-@")
    if settings.tag_prefix.lower().startswith("aws:"):
        raise rejected("tag_prefix", settings.tag_prefix, "a prefix that does not start with 'aws:' (reserved by AWS)")
    if settings.ledger is not None:
        validate_ledger(settings.ledger)
    validate_schedule(settings)
    if settings.notify not in NOTIFY_MODES:
        raise rejected("notify", settings.notify, " | ".join(NOTIFY_MODES))
    if settings.pricing not in PRICING_SOURCES:
        raise rejected("pricing", settings.pricing, " | ".join(PRICING_SOURCES))
    if settings.topic_arn is not None and not TOPIC_ARN_PATTERN.match(settings.topic_arn):
        raise rejected("topic_arn", settings.topic_arn,
                       "an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:name")
    return settings


def validate_schedule(settings: Settings) -> None:
    """The quiet-hours settings (judge/timetable.py): a time zone zoneinfo knows, whole weeks of history."""
    try:
        settings.timezone == "UTC" or zoneinfo.ZoneInfo(settings.timezone)  # UTC needs no tz database
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise rejected("timezone", settings.timezone, "an IANA time zone such as UTC or Europe/Paris") from None
    if settings.schedule_lookback_days not in (14, 21, 28):
        raise rejected("schedule_lookback_days", settings.schedule_lookback_days, "14, 21 or 28 (whole weeks)")
    if not 0 <= settings.schedule_quiet_share <= 5:
        raise rejected("schedule_quiet_share", settings.schedule_quiet_share, "a percentage from 0 to 5")
    _check_int("schedule_margin_hours", settings.schedule_margin_hours, 0, 6)
    _check_int("schedule_min_window_hours", settings.schedule_min_window_hours, 1, 24)


# --- text sources: environment variables, manual-invoke overrides, CDK context -------------


def _parse_bool(key: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise rejected(key, raw, "true or false")


def _parse_int(key: str, raw: Any) -> int:
    if isinstance(raw, bool):
        raise rejected(key, raw, "a whole number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"\s*-?\d+\s*", raw):
        return int(raw)
    raise rejected(key, raw, "a whole number")


def _parse_regions(key: str, raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        items = [part.strip() for part in raw.split(",") if part.strip()]
    elif isinstance(raw, (list, tuple)) and all(isinstance(item, str) for item in raw):
        items = [item.strip() for item in raw]
    else:
        raise rejected(key, raw, "a list of region names or a comma-separated string")
    return tuple(dict.fromkeys(validate_region(item) for item in items))


def _parse_mode(key: str, raw: Any) -> bool:
    if raw not in MODES:
        raise rejected(key, raw, " | ".join(MODES))
    return raw == "report"


def _parse_optional_str(key: str, raw: Any) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise rejected(key, raw, "a string")
    return raw


def _parse_str(key: str, raw: Any) -> str:
    if not isinstance(raw, str):
        raise rejected(key, raw, "a string")
    return raw


def _parse_float(key: str, raw: Any) -> float:
    try:
        if isinstance(raw, bool):
            raise ValueError
        return float(raw)
    except (TypeError, ValueError):
        raise rejected(key, raw, "a number") from None


# key -> (Settings field, parser). `mode` is the deployed word for dry_run.
_PARSERS: dict[str, tuple[str, Any]] = {
    "regions": ("regions", _parse_regions),
    "lookback_days": ("lookback_days", _parse_int),
    "last_used_days": ("last_used_days", _parse_int),
    "mode": ("dry_run", _parse_mode),
    "dry_run": ("dry_run", _parse_bool),
    "grace_days": ("grace_days", _parse_int),
    "max_actions_per_run": ("max_actions_per_run", _parse_int),
    "tag_prefix": ("tag_prefix", _parse_str),
    "notify": ("notify", _parse_str),
    "topic_arn": ("topic_arn", _parse_optional_str),
    "ledger": ("ledger", _parse_optional_str),
    "underused_scale_down": ("underused_scale_down", _parse_bool),
    "underused_max_daily_invocations": ("underused_max_daily_invocations", _parse_int),
    "underused_max_utilization_pct": ("underused_max_utilization_pct", _parse_float),
    "pricing": ("pricing", _parse_str),
    "max_workers": ("max_workers", _parse_int),
    "timezone": ("timezone", _parse_str),
    "schedule_quiet_share": ("schedule_quiet_share", _parse_float),
    **{key: (key, _parse_int) for key in ("schedule_lookback_days", "schedule_margin_hours",
                                          "schedule_min_window_hours")},
}
SCHEDULE_KEYS = tuple(key for key in _PARSERS if key == "timezone" or key.startswith("schedule_"))
SETTING_KEYS = tuple(_PARSERS)


def from_mapping(values: Mapping[str, Any], base: Settings | None = None, *, source: str = "settings") -> Settings:
    """Parse `values` (strings or JSON types) over `base`; unknown keys are an error, not ignored."""
    unknown = sorted(set(values) - set(_PARSERS))
    if unknown:
        raise unknown_keys(source, unknown, SETTING_KEYS)
    changes: dict[str, Any] = {}
    for key, raw in values.items():
        field_name, parser = _PARSERS[key]
        changes[field_name] = parser(key, raw)
    return validate(dataclasses.replace(base or Settings(), **changes))


def from_environment(environ: Mapping[str, str]) -> Settings:
    """Settings from COST_WATCHER_* variables, as the deployed function receives them."""
    values = {name[len(ENV_PREFIX) :].lower(): value for name, value in environ.items() if name.startswith(ENV_PREFIX)}
    return from_mapping(values, source="environment")


def to_environment(settings: Settings) -> dict[str, str]:
    """The inverse of from_environment: what the stack writes into the function's environment."""
    env = {
        "regions": ",".join(settings.regions),
        "lookback_days": str(settings.lookback_days),
        "last_used_days": str(settings.last_used_days),
        "mode": settings.mode,
        "grace_days": str(settings.grace_days),
        "max_actions_per_run": str(settings.max_actions_per_run),
        "tag_prefix": settings.tag_prefix,
        "notify": settings.notify,
        "topic_arn": settings.topic_arn or "",
        "ledger": settings.ledger or "",
        "underused_scale_down": str(settings.underused_scale_down).lower(),
        "underused_max_daily_invocations": str(settings.underused_max_daily_invocations),
        "underused_max_utilization_pct": str(settings.underused_max_utilization_pct),
        "pricing": settings.pricing,
        **{key: str(getattr(settings, key)) for key in SCHEDULE_KEYS},
    }
    return {ENV_PREFIX + key.upper(): value for key, value in env.items()}
