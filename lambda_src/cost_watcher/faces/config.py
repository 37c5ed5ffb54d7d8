"""One command's settings from the three places a person can give them, under one set of names:
`--config FILE` (the deployment's context keys, or cdk.json itself), `COST_WATCHER_*` variables
(what the deployed function reads), then flags. Later sources win: file < environment < flags.

A rejected value is told in the words the user typed: `--max-actions: -1 is not accepted ...`,
`COST_WATCHER_GRACE_DAYS: ...`, `'lookback_days' in night.json: ...`, never an internal key alone.

The CLI acts only when its own command line says so (`--apply` / `--mode act`): a `mode: act` in a
file or the environment is reported and not applied, so reproducing a deployed night from its
settings can never delete anything by itself.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cost_watcher.errors import SettingsError, UsageError
from cost_watcher.settings import ENV_PREFIX, SETTING_KEYS, Settings, from_mapping, validate_region

# Keys only a deployment has (infra/settings.py INFRA_KEYS; a test keeps the two lists equal):
# accepted in --config so a deployment's file works as it is, and meaningless on a laptop.
DEPLOY_ONLY_KEYS = ("log_level", "log_retention_days", "memory_mb", "notify_emails", "powertools_layer_version",
                    "reports_retention_days", "schedule", "slack_channel_id", "slack_workspace_id", "stack_name",
                    "timeout_minutes", "timezone",
                    # organization mode's deployment (on a laptop: --organization, --account, --role-name ...)
                    "delegated_admin", "exclude_accounts", "max_concurrency", "organization", "organization_id",
                    "organization_units", "owner_routes", "owner_tag", "spoke_external_id", "spoke_role_name",
                    "tolerated_failure_percentage")
FLAGS = {key: "--" + key.replace("_", "-") for key in SETTING_KEYS} | {
    "regions": "--region", "max_actions_per_run": "--max-actions", "dry_run": "--dry-run"}
ALIASES = {"max_actions_per_run": ("--max-actions", "--max-actions-per-run"),
           "mode": ("--mode", "--apply", "--dry-run")}
_OUR_STYLE = re.compile(r"^[a-z][a-z0-9_]*$")  # as infra/settings.py: CDK's own keys have ':' '@' or '-'
_NAMED = re.compile(r"setting '(\w+)'")
ALL_REGIONS = "all"


@dataclass
class Gathered:
    """What the command line asked for, beyond Settings: where the values came from and what to say."""

    settings: Settings
    all_regions: bool = False
    exclude: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)
    act: bool = False  # --apply / --mode act on the command line itself
    given: set[str] = field(default_factory=set)  # the keys somebody set (file, environment or flag)


def gather(args: argparse.Namespace, environ: Mapping[str, str], argv: Sequence[str]) -> Gathered:
    """Settings from --config, COST_WATCHER_* and flags (in that order of strength); SettingsError in the
    user's words."""
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    notes: list[str] = []
    if getattr(args, "config", None):
        path = args.config
        for key, value in read_config(path).items():
            values[key], origins[key] = value, f"'{key}' in {path}"
    for name, value in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX):
            continue
        key = name[len(ENV_PREFIX):].lower()
        if key in SETTING_KEYS:
            values[key], origins[key] = value, name
        else:
            notes.append(f"ignored {name}: not a setting (settings are {ENV_PREFIX}<KEY> for the keys of --config)")
    for key in SETTING_KEYS:
        value = getattr(args, key, None)
        if value is not None:
            values[key], origins[key] = value, typed_flag(key, argv)
    act = _mode(values, origins, notes)
    everywhere = _all_regions(values, origins)
    exclude = tuple(_region(r, "--exclude-region") for r in _split(getattr(args, "exclude_regions", None) or []))
    values["dry_run"] = not act
    try:
        settings = from_mapping(values, source="settings")
    except SettingsError as error:
        raise SettingsError(retell(str(error), origins)) from None
    return Gathered(settings, everywhere, exclude, notes, act, set(origins))


def read_config(path: str) -> dict[str, Any]:
    """The engine's keys of a JSON settings file: the deployment's context keys, or a cdk.json."""
    try:
        data = json.loads(Path(path).expanduser().read_text())
    except FileNotFoundError:
        raise UsageError(f"--config {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"--config {path}: cannot be read ({error})") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"--config {path}: not JSON ({error.msg} at line {error.lineno}); expected an object of "
                         "settings such as {\"lookback_days\": 14}") from None
    if isinstance(data, dict) and isinstance(data.get("context"), dict) and "app" in data:
        data = data["context"]  # cdk.json itself
    if not isinstance(data, dict):
        raise UsageError(f"--config {path}: expected a JSON object of settings, not {type(data).__name__}")
    ours = {key: value for key, value in data.items() if _OUR_STYLE.match(key)}
    unknown = sorted(set(ours) - set(SETTING_KEYS) - set(DEPLOY_ONLY_KEYS))
    if unknown:
        raise SettingsError(f"--config {path}: unknown key(s) {', '.join(map(repr, unknown))}; accepted keys are "
                            f"{', '.join(sorted((*SETTING_KEYS, *DEPLOY_ONLY_KEYS)))}")
    return {key: value for key, value in ours.items() if key in SETTING_KEYS}


def typed_flag(key: str, argv: Sequence[str]) -> str:
    """The spelling of the flag the user typed for `key` (an alias when that is what was typed)."""
    for spelling in ALIASES.get(key, ()):
        if any(arg == spelling or arg.startswith(spelling + "=") for arg in argv):
            return spelling
    return FLAGS.get(key, "--" + key.replace("_", "-"))


def retell(message: str, origins: Mapping[str, str]) -> str:
    """settings.py names its internal key; say instead what the user typed (or which default it was)."""
    match = _NAMED.search(message)
    if not match:
        return message
    key = match.group(1)
    key = "mode" if key == "dry_run" and "mode" in origins else key
    label = origins.get(key) or f"{FLAGS.get(key, key)} (not given: its default)"
    return message.replace(match.group(0), label, 1)


def _mode(values: dict[str, Any], origins: dict[str, str], notes: list[str]) -> bool:
    """Whether the command line itself asks to act; a file's or the environment's act is told, not obeyed."""
    act = False
    for key in ("mode", "dry_run"):
        if key not in values:
            continue
        raw, origin = values.pop(key), origins.pop(key)
        try:
            wants_act = not from_mapping({key: raw}, source="settings").dry_run
        except SettingsError as error:
            raise SettingsError(retell(str(error), {key: origin})) from None
        if origin.startswith("--"):
            act = wants_act
        elif wants_act:
            notes.append(f"{origin} asks to act; the command line acts only with --apply: this is a dry run")
    return act


def _all_regions(values: dict[str, Any], origins: dict[str, str]) -> bool:
    """`--region all` (or regions "all"): every enabled region, resolved once we know the account."""
    raw = values.get("regions")
    items = _split(raw if isinstance(raw, (list, tuple)) else [raw]) if raw is not None else []
    if ALL_REGIONS not in items:
        if isinstance(raw, (list, tuple)):
            values["regions"] = items
        return False
    if len(items) > 1:
        raise UsageError(f"{origins['regions']}: 'all' stands alone; leave regions out with --exclude-region R")
    del values["regions"]
    return True


def _split(items: Sequence[Any]) -> list[Any]:
    """Repeatable region flags also take comma-separated lists: --region us-east-1,eu-west-1."""
    out: list[Any] = []
    for item in items:
        out += [part.strip() for part in item.split(",") if part.strip()] if isinstance(item, str) else [item]
    return out


def _region(region: str, flag: str) -> str:
    try:
        return validate_region(region)
    except SettingsError as error:
        raise SettingsError(retell(str(error), {"regions": flag})) from None
