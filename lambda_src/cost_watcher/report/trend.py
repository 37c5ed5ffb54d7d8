"""The screen of the stored nights: one row a night, oldest first, and what changed since the first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cost_watcher.report.cells import View
from cost_watcher.report.layout import Column, fit, lines
from cost_watcher.words import money, plural

COLUMNS = (Column("NIGHT"), Column("ENDPOINTS", right=True), Column("IDLE", right=True),
           Column("UNDERUSED", right=True, drop=2), Column("$/MONTH", right=True, drop=3),
           Column("RECLAIMABLE", right=True), Column("DONE", right=True, drop=1),
           Column("NOT SEEN", right=True, drop=4), Column("MODE", drop=5))


def render_trend_table(nights: Sequence[Any], view: View, where: str) -> str:
    out = [f"cost-watcher · the stored nights of {where}"]
    if not nights:
        return "\n".join([*out, "", "No stored report in that period."])
    first, last = nights[0], nights[-1]
    out += [f"  {plural(len(nights), 'night')} from {first.day} to {last.day}: reclaimable "
            f"{money(first.reclaimable_usd)} -> {money(last.reclaimable_usd)}/month, idle {first.idle} -> {last.idle}",
            ""]
    rows = [[n.day, str(n.endpoints), str(n.idle), str(n.underused), money(n.monthly_cost_usd),
             money(n.reclaimable_usd), str(n.actions_done), str(n.errors), "dry run" if n.dry_run else "act"]
            for n in nights]
    return "\n".join(out + lines(fit(COLUMNS, rows, max(40, view.width)), view.colour))
