"""Quiet hours: the hours of the week in which a variant's traffic sleeps, on every week seen. Pure.

The rule (README, "Quiet hours"), over the hourly invocations of the last
`schedule_lookback_days` (14 by default: `ListMetrics` lists only series with data in the
last 14 days, and an hourly datapoint is kept 455 days, so 21 or 28 may be read as well):

1. Only whole hours after the endpoint was created count, and they must cover two weeks at
   least, so every hour of the week is seen on two weeks (a daylight-saving hour that does
   not exist locally is seen once); and the variant must have worked in every one of those
   weeks: traffic that began (or stopped) two days ago is news, not a timetable.
2. Each UTC hour is put on its hour of the week *in the time zone* (Monday 00:00 = 0 ...
   Sunday 23:00 = 167) by zoneinfo: a daylight-saving change moves the UTC hour, never the
   local one, so "07:00 on weekdays" stays 07:00 all year.
3. Busy hours are the heaviest hours of the week; all the others together carry at most
   `schedule_quiet_share` % (default 0.1 %) of the invocations seen. So a stray call at
   03:00 on a busy endpoint does not wake the night, a regular one does.
4. The `schedule_margin_hours` (1) before each busy hour are not quiet: capacity is back an
   hour before traffic is.
5. A window is a run of quiet hours (around the week: Sunday night runs into Monday) of at
   least `schedule_min_window_hours` (4), and long enough that its silence is no accident:
   at the variant's average hourly rate it would have seen at least MIN_EXPECTED (10)
   invocations. Random sparse traffic has gaps, not a timetable.
6. A week without any invocation is `idle`, not a timetable: no windows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

HOURS_A_WEEK = 168
MIN_DAYS = 14
MIN_EXPECTED = 10.0
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
Points = Iterable[tuple[datetime, float]]


@dataclass(frozen=True)
class QuietWindow:
    """A run of quiet hours: it starts at `start` (hour of the week, Monday 00:00 = 0) and lasts `hours`."""

    start: int
    hours: int

    @property
    def hours_of_week(self) -> frozenset[int]:
        return frozenset((self.start + h) % HOURS_A_WEEK for h in range(self.hours))


@dataclass(frozen=True)
class Timetable:
    """What one variant's (or endpoint's) traffic says about the week, in one time zone."""

    timezone: str
    windows: tuple[QuietWindow, ...]
    busy: frozenset[int]  # hours of the week that carry the traffic (rule 3), before the margin
    weeks: float  # how many weeks were seen

    @property
    def quiet_hours(self) -> frozenset[int]:
        return frozenset(h for w in self.windows for h in w.hours_of_week)

    @property
    def quiet_hours_per_week(self) -> int:
        return sum(w.hours for w in self.windows)


def zone(name: str) -> tzinfo:
    """The time zone by its IANA name; UTC without the tz database (a runtime may lack it)."""
    return UTC if name == "UTC" else ZoneInfo(name)


@lru_cache(maxsize=8)
def hour_grid(start: datetime, end: datetime, timezone: str) -> tuple[tuple[datetime, int], ...]:
    """Every whole UTC hour from start to end with its hour of the week in the time zone (once a run)."""
    local_zone = zone(timezone)
    first = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if first < start:
        first += timedelta(hours=1)
    grid = []
    moment = first
    while moment + timedelta(hours=1) <= end:
        local = moment.astimezone(local_zone)
        grid.append((moment, local.weekday() * 24 + local.hour))
        moment += timedelta(hours=1)
    return tuple(grid)


def find(points: Points, start: datetime, end: datetime, created: datetime | None, timezone: str, *,
         quiet_share_pct: float, margin_hours: int, min_window_hours: int) -> Timetable | None:
    """The timetable of this traffic (all of a variant's series together), or None: seen for
    less than two weeks, a week of it without any invocation, or never invoked at all (idle, not quiet)."""
    counts: dict[datetime, float] = {}
    for stamp, value in points:
        hour = stamp.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        counts[hour] = counts.get(hour, 0.0) + float(value)
    born = created.astimezone(UTC) if created else None
    seen = [(hour, slot) for hour, slot in hour_grid(start, end, timezone) if born is None or hour >= born]
    if len(seen) < MIN_DAYS * 24:
        return None
    for week in range(len(seen) // HOURS_A_WEEK):  # traffic that began or stopped within the span is no timetable
        block = seen[len(seen) - (week + 1) * HOURS_A_WEEK:len(seen) - week * HOURS_A_WEEK]
        if sum(counts.get(hour, 0.0) for hour, _ in block) <= 0:
            return None
    per_slot = [0.0] * HOURS_A_WEEK
    for hour, slot in seen:
        per_slot[slot] += max(0.0, counts.get(hour, 0.0))
    total = sum(per_slot)
    if total <= 0:
        return None
    busy = _busy(per_slot, total * quiet_share_pct / 100)
    observed = {slot for _, slot in seen}
    woken = {(b - ahead) % HOURS_A_WEEK for b in busy for ahead in range(margin_hours + 1)}
    quiet = [slot in observed and slot not in woken for slot in range(HOURS_A_WEEK)]
    rate = total / len(seen)
    windows = tuple(w for w in _runs(quiet) if w.hours >= min_window_hours and rate * w.hours >= MIN_EXPECTED)
    return Timetable(timezone, windows, frozenset(busy), len(seen) / HOURS_A_WEEK)


def _busy(per_slot: list[float], allowance: float) -> set[int]:
    """The fewest, heaviest hours of the week such that the others carry at most `allowance`."""
    carried, busy = 0.0, set()
    for slot in sorted(range(HOURS_A_WEEK), key=lambda s: (per_slot[s], s)):
        if per_slot[slot] > 0 and carried + per_slot[slot] > allowance:
            busy.add(slot)
        else:
            carried += per_slot[slot]
    return busy


def _runs(quiet: list[bool]) -> list[QuietWindow]:
    """Maximal runs of quiet hours around the week; a week quiet throughout has no run (idle)."""
    if all(quiet) or not any(quiet):
        return []
    first_busy = quiet.index(False)
    runs, start = [], None
    for offset in range(1, HOURS_A_WEEK + 1):
        slot = (first_busy + offset) % HOURS_A_WEEK
        if quiet[slot] and start is None:
            start = slot
        elif not quiet[slot] and start is not None:
            runs.append(QuietWindow(start, (slot - start) % HOURS_A_WEEK))
            start = None
    return sorted(runs, key=lambda w: w.start)


# --- in words and in cron -----------------------------------------------------------------

def clock(slot: int) -> str:
    return f"{slot % 24:02d}:00"


def groups(windows: Iterable[QuietWindow]) -> list[dict]:
    """Windows that start at the same time of day and last as long, as one entry: days, from, to, hours."""
    merged: dict[tuple[int, int], list[int]] = {}
    for window in windows:
        merged.setdefault((window.start % 24, window.hours), []).append(window.start // 24)
    return [{"days": [DAYS[d] for d in sorted(days)], "from": clock(hour), "to": clock(hour + hours), "hours": hours}
            for (hour, hours), days in sorted(merged.items(), key=lambda item: (min(item[1]), item[0]))]


def day_range(days: list[str]) -> str:
    """Mon, Tue, Wed -> 'Mon-Wed'; Mon, Wed -> 'Mon, Wed'; every day -> 'daily'."""
    index = [DAYS.index(d) for d in days]
    if len(index) == len(DAYS):
        return "daily"
    if len(index) > 2 and index == list(range(index[0], index[-1] + 1)):
        return f"{days[0]}-{days[-1]}"
    return ", ".join(days)


def describe(group: dict) -> str:
    """One window in words: 'Mon-Thu 19:00-07:00' (overnight), or 'Fri 19:00-Mon 07:00' when it lasts a day or more."""
    if group["hours"] < 24:
        return f"{day_range(group['days'])} {group['from']}-{group['to']}"
    later = (int(group["from"][:2]) + group["hours"]) // 24
    ends = [DAYS[(DAYS.index(d) + later) % 7] for d in group["days"]]
    if len(group["days"]) == 1:
        return f"{group['days'][0]} {group['from']}-{ends[0]} {group['to']}"
    return f"{day_range(group['days'])} {group['from']} to {day_range(ends)} {group['to']}"


def cron_days(days: list[str], shift: int = 0) -> str:
    """Application Auto Scaling cron day-of-week names (MON..SUN), shifted by `shift` days."""
    return ",".join(DAYS[(DAYS.index(d) + shift) % 7].upper() for d in days)


def crons(group: dict) -> tuple[str, str]:
    """(scale-in, scale-out) cron expressions of one window group, in its own time zone."""
    hour = int(group["from"][:2])
    back = hour + group["hours"]
    return (f"cron(0 {hour} ? * {cron_days(group['days'])} *)",
            f"cron(0 {back % 24} ? * {cron_days(group['days'], back // 24)} *)")


def hours_of(groups_: Iterable[dict]) -> frozenset[int]:
    """The hours of the week the window groups cover (for the re-check of an applied schedule)."""
    return frozenset((DAYS.index(d) * 24 + int(g["from"][:2]) + h) % HOURS_A_WEEK
                     for g in groups_ for d in g["days"] for h in range(g["hours"]))
