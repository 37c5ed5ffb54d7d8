"""The parsers the deployment's own keys share (infra/settings.py and infra/org_settings.py), in the
engine's wording (cost_watcher.settings.rejected)."""

from __future__ import annotations

import re
from typing import Any

from cost_watcher.settings import rejected


def parse_int(key: str, raw: Any, low: int, high: int) -> int:
    if isinstance(raw, str) and re.fullmatch(r"\s*\d+\s*", raw):
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        raise rejected(key, raw, f"a whole number from {low} to {high}")
    return raw


def parse_bool(key: str, raw: Any) -> bool:
    text = str(raw).strip().lower()
    if isinstance(raw, bool) or text in ("true", "false"):
        return raw if isinstance(raw, bool) else text == "true"
    raise rejected(key, raw, "true or false")
