"""The tag contract: how owners opt in or out, and the grace-period mark we write.

Opt-in must be exact. A value in odd case, with stray whitespace, or unknown is NOT an
opt-in: a destructive action on a typo is worse than a missed saving. It earns a warning
on the finding so the owner can fix the tag.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from cost_watcher.settings import TagKeys

RECLAIM_VALUES = ("delete", "scale-down", "schedule")  # schedule: scale in on its quiet hours (judge/schedule.py)


@dataclass
class TagState:
    reclaim: str | None = None
    ignore: bool = False
    idle_since: date | None = None
    quiet_since: date | None = None  # the grace-period mark of a schedule (reclaim=schedule)
    warnings: list[str] = field(default_factory=list)


def parse_tags(tags: dict[str, str], prefix: str) -> TagState:
    """Read our three tags from an endpoint's tags; never raises on odd values."""
    state = TagState()
    keys = TagKeys(prefix)
    reclaim_key, ignore_key, mark_key = keys.reclaim, keys.ignore, keys.idle_since

    if reclaim_key in tags:
        value = tags[reclaim_key]
        if value in RECLAIM_VALUES:
            state.reclaim = value
        else:
            state.warnings.append(
                f"tag {reclaim_key}={value!r} is not an opt-in: use exactly "
                f"{' or '.join(RECLAIM_VALUES)} (lower case, no spaces)"
            )

    if ignore_key in tags:
        value = tags[ignore_key]
        if value == "true":
            state.ignore = True
        else:
            # the owner meant something by it: never reclaim on a guess
            state.warnings.append(
                f"tag {ignore_key}={value!r} is not recognised: use exactly 'true' to leave it out; "
                "until it is fixed the endpoint is reported but never reclaimed"
            )
            state.reclaim = None

    if mark_key in tags:
        try:
            state.idle_since = date.fromisoformat(tags[mark_key].strip())
        except ValueError:
            state.warnings.append(
                f"tag {mark_key}={tags[mark_key]!r} is not a date (YYYY-MM-DD); the grace period starts again"
            )

    if keys.quiet_since in tags:
        try:
            state.quiet_since = date.fromisoformat(tags[keys.quiet_since].strip())
        except ValueError:
            state.warnings.append(f"tag {keys.quiet_since}={tags[keys.quiet_since]!r} is not a date (YYYY-MM-DD); "
                                  "the schedule's grace period starts again")

    for key in tags:
        if key != reclaim_key and key.strip().lower() == reclaim_key.lower():
            state.warnings.append(
                f"tag key {key!r} looks like {reclaim_key!r} but is not spelled exactly so: no opt-in"
            )
    return state
