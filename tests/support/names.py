"""The words every moto-backed test fleet is tagged with, and the waits that keep tests fast."""

from __future__ import annotations

from cost_watcher.reclaim.actions import Wait

REGION, OTHER_REGION = "us-east-1", "eu-west-1"
PREFIX = "cost-watcher:"
RECLAIM, MARK, IGNORE = PREFIX + "reclaim", PREFIX + "idle-since", PREFIX + "ignore"
FAST = Wait(delay=0, attempts=1)  # an Updating endpoint is waited for 0 s, not a minute
