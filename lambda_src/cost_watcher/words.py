"""The formatters every part writes with: money, counts, how long ago, instances. One copy each.

On the ground floor because reasons (judge), tables and digests (report) all say these
things, and they must say them the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cost_watcher.model import VariantFinding


TIMES = "\N{MULTIPLICATION SIGN}"  # '4 TIMES ml.g5.xlarge' on the screen: read as "times"


def money(value: float | None, *, unknown: str = "?", suffix: str = "") -> str:
    """'$1,075' (rounded to the dollar), `unknown` when there is no figure."""
    return unknown if value is None else f"${value:,.0f}{suffix}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 endpoint', '3 endpoints' (or `many` when the plural is irregular)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def utc(moment: datetime) -> datetime:
    """An aware UTC time, whether `moment` came naive (moto) or aware (AWS)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def days_since(moment: datetime, now: datetime) -> int:
    """Whole days from `moment` to `now` (0 on the same day or in the future)."""
    return max(0, (utc(now) - utc(moment)).days)


def last_used(moment: datetime | None, now: datetime, *, never: str = "-", short: bool = False) -> str:
    """'today', '3 days ago' ('3d ago' when `short`, for narrow tables); `never` with no moment.

    What to say for "never" depends on the verdict and the window, so the caller decides it."""
    if moment is None:
        return never
    days = days_since(moment, now)
    if days == 0:
        return "today"
    return f"{days} d ago" if short else plural(days, "day") + " ago"


def instances(variants: Sequence[VariantFinding], *, per_variant: bool = False) -> str:
    """What an endpoint runs on: '4 x ml.c5.xlarge' ('6 instances' when types mix, 'none', '?' when a
    count is unknown), or `per_variant` for the table: '1 TIMES ml.g5.2xlarge + 2 TIMES ml.m5.large'
    ('-' if none is known)."""
    if per_variant:
        counted = [v for v in variants if v.instance_count is not None]
        if not counted:
            return "-"
        return " + ".join(f"{v.instance_count} {TIMES} {v.instance_type or '?'}" for v in counted)
    if not variants or any(v.instance_count is None for v in variants):
        return "?"
    billed = [v for v in variants if v.instance_count]
    if not billed:
        return "none"
    types = {v.instance_type for v in billed}
    count = sum(int(v.instance_count or 0) for v in billed)
    return f"{count} x {types.pop()}" if len(types) == 1 else plural(count, "instance")
