"""The formatters every part writes with: money, counts, and how long ago. One copy each.

On the ground floor because reasons (judge), tables and digests (report) all say these
things, and they must say them the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime


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
