"""The organization's one report: every item's report merged, every account said seen or not seen.

An item whose report is missing (its task failed and the Distributed Map tolerated it, or it
could not store its report) makes its account and region not seen, with the reason. Totals,
call counts and errors add up; findings are sorted as one run sorts them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from cost_watcher.errors import describe_error
from cost_watcher.model import AccountSeen, RegionError, Report
from cost_watcher.organization.accounts import Account
from cost_watcher.organization.item import Item, item_report_key, seen_status
from cost_watcher.record import report_from_dict
from cost_watcher.settings import Settings
from cost_watcher.store import Store, is_missing


def merge(reports: Iterable[Report], accounts: Iterable[Account], settings: Settings, now: datetime,
          *, extra_errors: Iterable[RegionError] = ()) -> Report:
    """One report of many; `accounts` are all the run meant to see, in the order they are listed."""
    merged = Report(generated_at=now, lookback_days=settings.lookback_days, regions=[], dry_run=settings.dry_run)
    calls: Counter[str] = Counter()
    for report in reports:
        merged.findings.extend(report.findings)
        merged.errors.extend(report.errors)
        merged.ignored += report.ignored
        calls.update(report.api_calls)
        merged.regions += [region for region in report.regions if region not in merged.regions]
    merged.errors.extend(extra_errors)
    merged.api_calls = dict(calls)
    merged.findings.sort(key=lambda f: (-f.reclaimable_usd, f.account or "", f.region, f.name))
    merged.errors.sort(key=lambda e: (e.account or "", e.region, e.operation))
    merged.accounts = [AccountSeen(a.id, a.name, seen_status(a.id, merged.errors)) for a in accounts]
    return merged


def read_item_reports(store: Store, run_id: str, items: Iterable[Item],
                      scheduled: datetime) -> tuple[list[Report], list[RegionError]]:
    """Each item's stored report; an item without one is an error naming its account and region."""
    reports, missing = [], []
    for item in items:
        key = item_report_key(run_id, item, scheduled)
        try:
            reports.append(report_from_dict(json.loads(store.get(key))))
        except Exception as error:  # noqa: BLE001 - any unreadable item is reported, never fatal to the rest
            why = ("the item did not finish (its task failed; see the state machine's execution)"
                   if is_missing(error) else f"its report {key} could not be read: {describe_error(error)}")
            missing.append(RegionError(item.region, "states:DistributedMap", why, item.account.id))
    return reports, missing
