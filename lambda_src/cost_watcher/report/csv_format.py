"""CSV: one row per endpoint with a header, for a spreadsheet. Plain figures (no '$', no thousands
separators), ISO dates, an empty cell for unknown; the trend is one row per night.

A cell that a spreadsheet would run as a formula ('=', '+', '-', '@' first) is quoted with a
leading apostrophe (OWASP's advice on CSV injection): tag values and AWS messages reach reasons.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from cost_watcher.model import Finding, Report
from cost_watcher.record import iso
from cost_watcher.report.cells import View, listed

COLUMNS = ("account", "region", "name", "verdict", "score", "instance_type", "instance_count", "monthly_cost_usd",
           "reclaimable_usd", "last_invocation", "action", "reason", "action_result", "action_reason", "status",
           "kind", "created", "reclaim_tag", "idle_since", "reclaim_on", "price_source", "variants", "warnings",
           "account_name", "schedule", "schedule_savings_usd")
TREND_COLUMNS = ("day", "run_id", "generated_at", "dry_run", "endpoints", "idle", "underused", "monthly_cost_usd",
                 "reclaimable_usd", "actions_done", "errors", "location")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return "" if value is None else value


def endpoint_row(finding: Finding, account: str | None) -> list[Any]:
    types = list(dict.fromkeys(v.instance_type for v in finding.variants if v.instance_type))
    counts = [v.instance_count for v in finding.variants]
    count = None if not counts or any(c is None for c in counts) else sum(c or 0 for c in counts)
    return [getattr(finding, "account", None) or account, finding.region, finding.name, str(finding.verdict),
            finding.score, " + ".join(types), count, finding.monthly_cost_usd, round(finding.reclaimable_usd, 2),
            iso(finding.last_invocation), str(finding.action), finding.reason, finding.action_result,
            finding.action_reason, finding.status, finding.kind, iso(finding.created), finding.reclaim_tag,
            iso(finding.idle_since), iso(finding.reclaim_on), finding.price_source, len(finding.variants),
            " | ".join(finding.warnings), finding.account_name,
            finding.schedule.sentence if finding.schedule else None,
            finding.schedule.monthly_savings_usd if finding.schedule else None]


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180, what spreadsheets expect
    writer.writerow(header)
    writer.writerows([safe(cell) for cell in row] for row in rows)
    return out.getvalue()


def render_csv(report: Report, view: View) -> str:
    """Every endpoint (a spreadsheet filters for itself), most reclaimable first."""
    everything = View(show_all=True)
    return table(COLUMNS, (endpoint_row(f, view.account_id) for f in listed(report, everything)))


def render_trend_csv(nights: Sequence[Any]) -> str:
    return table(TREND_COLUMNS, ([getattr(n, c) for c in TREND_COLUMNS] for n in nights))

