"""Markdown: the run as a pipe table for a wiki page or a ticket, the totals first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cost_watcher.model import Report
from cost_watcher.report import cells
from cost_watcher.report.cells import View
from cost_watcher.words import money

HEADERS = ("Endpoint", "Region", "Verdict", "Score", "Last used", "Instances", "$/month", "Reclaimable", "Action")
RIGHT = {3, 6, 7}
TREND_HEADERS = ("Night", "Endpoints", "Idle", "Underused", "$/month", "Reclaimable", "Actions done", "Not seen")


def escape(text: str) -> str:
    """A cell on one line, with the characters Markdown would read as markup escaped."""
    text = " ".join(str(text).split())
    for char in "\\|*_`[]<>":
        text = text.replace(char, "\\" + char)
    return text


def pipe_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], right: set[int]) -> list[str]:
    rule = ["---:" if i in right else "---" for i in range(len(headers))]
    return ["| " + " | ".join(escape(h) for h in headers) + " |", "| " + " | ".join(rule) + " |",
            *("| " + " | ".join(escape(c) for c in r) + " |" for r in rows)]


def render_markdown(report: Report, view: View) -> str:
    shown = cells.listed(report, view)
    out = [f"## {escape(cells.title(report, view))}", "", f"_{escape(cells.subtitle(report))}_", ""]
    figures = cells.totals(report)
    out += [f"**{escape(figures[0])}**  ", *(f"{escape(line)}  " for line in figures[1:]), ""]
    out += [f"### {escape(cells.list_heading(report, view, len(shown)))}", ""]
    if shown:
        rows = [[f.name, f.region, str(f.verdict), f.score, cells.last_used_cell(f, report, view),
                 cells.instances_cell(f), cells.money_cell(f.monthly_cost_usd), cells.money_cell(f.reclaimable_usd),
                 cells.action_cell(f)] for f in shown]
        out += [*pipe_table(HEADERS, rows, RIGHT), "", "### Why", ""]
        for finding in shown:
            first, *more = cells.notes(finding)
            out.append(f"- **{escape(finding.name)}** ({escape(finding.region)}): {escape(first)}")
            out += [f"  - {escape(note)}" for note in more]
    if report.errors:
        out += ["", "### Could not be seen (nothing there was acted on)", ""]
        out += [f"- {escape(e.region)}: {escape(e.operation)}: {escape(e.message)}" for e in report.errors]
    footer = cells.footer(report)
    if footer:
        out += ["", *(f"{escape(line)}  " for line in footer)]
    return "\n".join(out) + "\n"


def render_trend_markdown(nights: Sequence[Any]) -> str:
    rows = [[n.day, n.endpoints, n.idle, n.underused, money(n.monthly_cost_usd), money(n.reclaimable_usd),
             n.actions_done, n.errors] for n in nights]
    out = ["## cost-watcher: the stored nights", ""]
    if not rows:
        return "\n".join([*out, "No stored report in that period."]) + "\n"
    return "\n".join(out + pipe_table(TREND_HEADERS, rows, {1, 2, 3, 4, 5, 6, 7})) + "\n"
