"""The nouns of `restore`: what it shares between its steps, and what it hands back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cost_watcher.reclaim.actions import Wait


@dataclass
class RestoreResult:
    endpoint: str
    region: str
    dry_run: bool
    record: str = ""  # where the record used lives
    record_action: str = ""
    recorded_at: str = ""
    status: str = ""  # restored | planned | already restored | incomplete | failed
    steps: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("restored", "planned", "already restored")


@dataclass(frozen=True)
class RestoreContext:
    """One restore's clients and bounds. `started` tells this restore's own endpoint (created
    since) from somebody else's when a create's answer is lost."""

    sagemaker: Any
    autoscaling: Any
    prefix: str  # the tag prefix the record was written with
    wait: Wait
    started: datetime


def created_since(live: dict[str, Any], config_name: str, moment: datetime | None) -> bool:
    """Whether this endpoint runs `config_name` and was created at or after `moment` (compared
    to the second: AWS keeps milliseconds, a local clock may be a little ahead)."""
    created = live.get("CreationTime")
    return (live.get("EndpointConfigName") == config_name and isinstance(created, datetime)
            and moment is not None and created >= moment.replace(microsecond=0))
