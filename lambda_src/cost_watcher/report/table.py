"""The screen of one run, for a person at a terminal: who and where, the totals first, then the
endpoints that need attention (most reclaimable first), why, and what could not be seen.

It fits the terminal: no row wraps at 80 columns (names shorten with '…', the least needed
columns are left out and the screen says so). Colour only when asked (a terminal without
NO_COLOR: the CLI decides). A view, not a contract: scripts read --output json or csv.
"""

from __future__ import annotations

import textwrap

from cost_watcher.model import Finding, Report, Verdict
from cost_watcher.report import cells
from cost_watcher.report.cells import View
from cost_watcher.report.layout import Column, ansi, bold, fit, lines

VERDICT_COLOURS = {Verdict.IDLE: "31", Verdict.UNDERUSED: "33", Verdict.ACTIVE: "32", Verdict.UNKNOWN: "35",
                   Verdict.NOT_IN_SERVICE: "35"}


def _verdict_paint(padded: str, raw: str) -> str:
    code = VERDICT_COLOURS.get(Verdict(raw)) if raw in {v.value for v in Verdict} else None
    return ansi(code, padded) if code else padded


def _money_paint(padded: str, raw: str) -> str:
    return bold(padded) if raw not in ("-", "$0") else padded


COLUMNS = (
    Column("ENDPOINT", soft=28, hard=14),
    Column("REGION", drop=3),
    Column("VERDICT", paint=_verdict_paint),
    Column("SCORE", right=True, drop=4),
    Column("LAST USED"),
    Column("INSTANCES", soft=22, hard=12),
    Column("$/MONTH", right=True, drop=2),
    Column("RECLAIMABLE", right=True, paint=_money_paint),
    Column("ACTION", soft=18, hard=10, drop=1),
)


def row(finding: Finding, report: Report, view: View) -> list[str]:
    return [finding.name, finding.region, str(finding.verdict), str(finding.score),
            cells.last_used_cell(finding, report, view), cells.instances_cell(finding),
            cells.money_cell(finding.monthly_cost_usd), cells.money_cell(finding.reclaimable_usd),
            cells.action_cell(finding)]


def render_table(report: Report, view: View | None = None) -> str:
    """The whole screen as text; every line at most `view.width` characters."""
    view = view or View()
    width = max(40, view.width)
    wrap = _wrapper(width)
    out = [*wrap(cells.title(report, view)), *wrap(cells.subtitle(report)), ""]
    figures = cells.totals(report)
    out += wrap(bold(figures[0]) if view.colour else figures[0], "  ")
    for line in figures[1:]:
        out += wrap(line, "  ")
    shown = cells.listed(report, view)
    out += ["", *wrap(cells.list_heading(report, view, len(shown)))]
    if shown:
        fitted = fit(COLUMNS, [row(f, report, view) for f in shown], width)
        out += lines(fitted, view.colour)
        if fitted.hidden:
            out += wrap(f"({', '.join(fitted.hidden)} left out to fit {width} columns; "
                        "--output csv has every field)")
        out += ["", "Why:"]
        for finding in shown:
            out += wrap(f"{finding.name}: {finding.reason}", "  ", "      ")
            for note in cells.notes(finding)[1:]:
                out += wrap(note, "    ", "      ")
    if report.errors:
        out += ["", "Could not be seen (nothing there was acted on):"]
        for error in report.errors:
            out += wrap(f"{error.region}: {error.operation}: {error.message}", "  ", "      ")
    footer = cells.footer(report)
    if footer:
        out += ["", *(line for text in footer for line in wrap(text))]
    return "\n".join(out)


def _wrapper(width: int):
    def wrap(text: str, first: str = "", rest: str | None = None) -> list[str]:
        return textwrap.wrap(text, width, initial_indent=first, subsequent_indent=first if rest is None else rest,
                             break_long_words=True, break_on_hyphens=False) or [""]
    return wrap
