"""The formats a run can be shown in, by name: table (the screen), json (the report's contract,
unchanged), csv, markdown and html. One switch, so every command offers the same ones."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cost_watcher.model import Report
from cost_watcher.record import report_to_dict
from cost_watcher.report.cells import View
from cost_watcher.report.csv_format import render_csv, render_trend_csv
from cost_watcher.report.history import trend_document
from cost_watcher.report.html import render_html, render_trend_html
from cost_watcher.report.markdown import render_markdown, render_trend_markdown
from cost_watcher.report.table import render_table
from cost_watcher.report.trend import render_trend_table

FORMATS = ("table", "json", "csv", "markdown", "html")


def render(report: Report, fmt: str, view: View) -> str:
    """The whole output, ending with a newline."""
    if fmt == "json":
        return json_text(report_to_dict(report))
    if fmt == "csv":
        return render_csv(report, view)
    if fmt == "markdown":
        return render_markdown(report, view)
    if fmt == "html":
        return render_html(report, view)
    return render_table(report, view) + "\n"


def json_text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2) + "\n"


def render_trend(nights: Sequence[Any], fmt: str, view: View, where: str) -> str:
    if fmt == "json":
        return json_text(trend_document(list(nights)))
    if fmt == "csv":
        return render_trend_csv(nights)
    if fmt == "markdown":
        return render_trend_markdown(nights)
    if fmt == "html":
        return render_trend_html(nights, f"cost-watcher: the stored nights of {where}")
    return render_trend_table(nights, view, where) + "\n"
