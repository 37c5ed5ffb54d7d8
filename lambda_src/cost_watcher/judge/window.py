"""The judging window of one run, built once and passed down, and the score it gives.

Score (0-100, higher = more idle) = 70 x share of hours in the lookback window without a
single invocation + 30 x days since the last invocation / last_used_days (capped at 1;
never invoked counts as 1). Never invoked: 100. Busy every hour: close to 0.
The window is also the one age gate: an endpoint younger than it is never judged nor acted on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cost_watcher.model import Endpoint, EndpointUsage, Usage
from cost_watcher.settings import Settings

QUIET_WEIGHT, STALENESS_WEIGHT = 70, 30


@dataclass
class Window:
    """The judging window of one run."""

    now: datetime
    lookback_days: int
    last_used_days: int

    @property
    def hours(self) -> int:
        return self.lookback_days * 24

    @classmethod
    def of(cls, settings: Settings, now: datetime) -> Window:
        return cls(now, settings.lookback_days, settings.last_used_days)

    def too_new(self, created: datetime) -> bool:
        """The one age gate: younger than the window, so its traffic does not fill it yet."""
        return too_new(created, self.now, self.lookback_days)


def too_new(created: datetime, now: datetime, lookback_days: int) -> bool:
    """Whether an endpoint created then is younger than a window of `lookback_days` ending now."""
    return now - created < timedelta(days=lookback_days)


def score(usage: Usage, window: Window) -> int:
    quiet_share = 1 - min(usage.active_hours, window.hours) / window.hours
    if usage.last_invocation is None:
        staleness = 1.0
    else:
        days = max(0.0, (window.now - usage.last_invocation).total_seconds() / 86400)
        staleness = min(days, window.last_used_days) / window.last_used_days
    return round(QUIET_WEIGHT * quiet_share + STALENESS_WEIGHT * staleness)


def last_used_text(last: datetime | None, window: Window, what: str = "invocations") -> str:
    if last is None:
        return f"no {what} in {window.last_used_days}+ days"
    days = (window.now - last).days
    if days <= 0:
        return "last used today"
    return f"last used {days} day{'s' if days != 1 else ''} ago"


def combine(usages: list[Usage]) -> Usage:
    """Endpoint-level traffic from its variants' and components' traffic."""
    lasts = [u.last_invocation for u in usages if u.last_invocation]
    utilizations = [u.max_utilization_pct for u in usages if u.max_utilization_pct is not None]
    return Usage(
        invocations=sum(u.invocations for u in usages),
        active_hours=max((u.active_hours for u in usages), default=0),
        peak_hourly=sum(u.peak_hourly for u in usages),
        last_invocation=max(lasts, default=None),
        max_utilization_pct=max(utilizations, default=None),
    )


def variant_usage(endpoint: Endpoint, variant_name: str, usage: EndpointUsage) -> Usage:
    """A variant's traffic includes that of the inference components it hosts."""
    parts = [usage.variants.get(variant_name, Usage())]
    parts += [
        usage.components.get(c.name, Usage()) for c in endpoint.components if c.variant_name in (None, variant_name)
    ]
    own = combine(parts)
    own.max_utilization_pct = parts[0].max_utilization_pct
    return own


