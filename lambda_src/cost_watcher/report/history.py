"""The stored reports of earlier nights, read back from the ledger: one report to show again, or
the trend of reclaimable $ and idle endpoints night by night.

Reports live at `reports/YYYY/MM/DD/<run id>.json` in the ledger's store (report/notify.py). A
night is a day's last run; a document that is not a report of our schema is left out, not fatal.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cost_watcher.aws import AwsClients
from cost_watcher.errors import HistoryError, StoreError
from cost_watcher.model import Report
from cost_watcher.record import SCHEMA
from cost_watcher.store import Store, location_of, open_store

REPORTS = "reports/"
TREND_SCHEMA = "cost-watcher/trend/v1"


@dataclass(frozen=True)
class Night:
    """One night's figures, from the summary of its stored report."""

    day: str
    run_id: str
    generated_at: str
    dry_run: bool
    endpoints: int
    idle: int
    underused: int
    monthly_cost_usd: float
    reclaimable_usd: float
    actions_done: int
    errors: int
    location: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def report_keys(store: Store) -> list[str]:
    """Every stored report's key, oldest day first."""
    return sorted(k for k in store.keys(REPORTS) if k.endswith(".json") and k.count("/") == 4)


def day_of(key: str) -> str:
    _, year, month, day, _ = key.split("/")
    return f"{year}-{month}-{day}"


def run_id_of(key: str) -> str:
    return key.rsplit("/", 1)[1].removesuffix(".json")


def load(store: Store, key: str) -> dict[str, Any] | None:
    try:
        doc = json.loads(store.get(key))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("schema") == SCHEMA else None


def find(store: Store, *, day: date | None = None, run_id: str | None = None) -> tuple[str, dict[str, Any]]:
    """The report of `run_id`, else the last of `day`, else the latest: (key, document)."""
    keys = report_keys(store)
    if run_id:
        keys = [k for k in keys if run_id_of(k) == run_id]
    elif day:
        keys = [k for k in keys if day_of(k) == day.isoformat()]
    found = [(k, d) for k in keys if (d := load(store, k)) is not None]
    if not found:
        asked = f"run {run_id!r}" if run_id else f"{day.isoformat()}" if day else "any night"
        held = report_keys(store)
        span = f"it holds {len(held)} from {day_of(held[0])} to {day_of(held[-1])}" if held else "it holds none"
        raise HistoryError(f"no stored report for {asked} in {store.location}/{REPORTS.rstrip('/')} ({span})")
    return max(found, key=lambda item: (day_of(item[0]), item[1].get("generated_at") or ""))


def nights(store: Store, since_days: int | None = None, today: date | None = None) -> list[Night]:
    """One Night per day (its last run), oldest first; only the last `since_days` days when given."""
    today = today or datetime.now(UTC).date()
    first = (today - timedelta(days=since_days)).isoformat() if since_days is not None else ""
    latest: dict[str, tuple[str, dict[str, Any]]] = {}
    for key in report_keys(store):
        if day_of(key) < first:
            continue
        doc = load(store, key)
        if doc is None:
            continue
        kept = latest.get(day_of(key))
        if kept is None or (doc.get("generated_at") or "") >= (kept[1].get("generated_at") or ""):
            latest[day_of(key)] = (key, doc)
    return [night(store, key, doc) for _, (key, doc) in sorted(latest.items())]


def night(store: Store, key: str, doc: dict[str, Any]) -> Night:
    summary = doc.get("summary", {})
    verdicts = summary.get("by_verdict", {})
    done = sum(n for action, n in summary.get("actions", {}).items() if action.endswith(":done"))
    return Night(day_of(key), run_id_of(key), doc.get("generated_at") or "", bool(doc.get("dry_run", True)),
                 int(summary.get("endpoints", 0)), int(verdicts.get("idle", 0)), int(verdicts.get("underused", 0)),
                 float(summary.get("monthly_cost_usd", 0.0)), float(summary.get("reclaimable_usd", 0.0)), done,
                 int(summary.get("errors", 0)), location_of(store, key))


def nights_from_ledger(report: Report, ledger: str | None, clients: AwsClients, days: int) -> list[Night]:
    """The trend an HTML report charts: the ledger's last `days` nights; none when it cannot be read."""
    if not ledger:
        return []
    try:
        return nights(open_store(ledger, clients), days, report.generated_at.date())
    except (StoreError, OSError, ValueError, ClientError, BotoCoreError):
        return []  # an unreadable history costs the chart, not the report


def trend_document(found: list[Night]) -> dict[str, Any]:
    return {"schema": TREND_SCHEMA, "nights": [n.to_dict() for n in found]}
