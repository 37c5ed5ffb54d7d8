"""HTML: one self-contained page (inline CSS and SVG, nothing fetched), to mail or attach: the
totals, a chart of where the money goes, the nights' trend when stored reports are there, and
the endpoints that need attention (or all of them)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from cost_watcher.model import Report
from cost_watcher.report import cells
from cost_watcher.report.cells import View
from cost_watcher.report.charts import money_chart, trend_chart
from cost_watcher.words import money

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#212529;margin:24px auto;
max-width:1100px;padding:0 16px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}.sub{color:#495057;margin:0 0 16px}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #dee2e6;border-radius:6px;padding:10px 14px}
.card b{display:block;font-size:20px}.red{color:#c92a2a}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #e9ecef;padding:5px 8px;text-align:left;
vertical-align:top;white-space:nowrap}th{background:#f8f9fa}td.n{text-align:right;font-variant-numeric:tabular-nums}
.v-idle{color:#c92a2a;font-weight:600}.v-underused{color:#e67700;font-weight:600}.v-active{color:#2b8a3e}
.why{color:#495057;font-size:13px;white-space:normal}.empty{color:#495057}.errors li{color:#862e9c}
"""


def _page(heading: str, sub: str, body: list[str]) -> str:
    return "\n".join(["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
                      '<meta name="viewport" content="width=device-width, initial-scale=1">',
                      f"<title>{escape(heading)}</title><style>{STYLE}</style></head><body>",
                      f"<h1>{escape(heading)}</h1>", f'<p class="sub">{escape(sub)}</p>', *body,
                      "</body></html>", ""])


def _cards(items: Sequence[tuple[str, str, bool]]) -> str:
    return '<div class="cards">' + "".join(
        f'<div class="card"><b class="{"red" if red else ""}">{escape(value)}</b>{escape(label)}</div>'
        for value, label, red in items) + "</div>"


def render_html(report: Report, view: View) -> str:
    from cost_watcher.record import summarize

    summary = summarize(report)
    shown = cells.listed(report, view)
    idle = summary["by_verdict"].get("idle", 0)
    body = [_cards([(money(summary["reclaimable_usd"]), "reclaimable per month", True),
                    (money(summary["monthly_cost_usd"]), "per month in all", False),
                    (str(summary["endpoints"]), "endpoints", False), (str(idle), "idle", idle > 0),
                    (str(summary["by_verdict"].get("underused", 0)), "underused", False),
                    (str(len(report.errors)), "parts not seen", bool(report.errors))]),
            f'<p>{"<br>".join(escape(line) for line in cells.totals(report)[1:])}</p>',
            "<h2>Where the money goes</h2>", money_chart(report.findings)]
    if view.history:
        body += ["<h2>Night by night</h2>", trend_chart(view.history)]
    body.append(f"<h2>{escape(cells.list_heading(report, view, len(shown)))}</h2>")
    if shown:
        body.append("<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in (
            "Endpoint", "Region", "Verdict", "Score", "Last used", "Instances", "$/month", "Reclaimable", "Action",
            "Why")) + "</tr></thead><tbody>")
        for f in shown:
            why = "<br>".join(escape(note) for note in cells.notes(f))
            body.append(
                f"<tr><td>{escape(f.name)}</td><td>{escape(f.region)}</td>"
                f'<td class="v-{escape(str(f.verdict))}">{escape(str(f.verdict))}</td><td class="n">{f.score}</td>'
                f"<td>{escape(cells.last_used_cell(f, report, view))}</td><td>{escape(cells.instances_cell(f))}</td>"
                f'<td class="n">{escape(cells.money_cell(f.monthly_cost_usd))}</td>'
                f'<td class="n">{escape(cells.money_cell(f.reclaimable_usd))}</td>'
                f"<td>{escape(cells.action_cell(f))}</td><td class=\"why\">{why}</td></tr>")
        body.append("</tbody></table>")
    if report.errors:
        body.append("<h2>Could not be seen (nothing there was acted on)</h2><ul class=\"errors\">")
        body += [f"<li>{escape(e.region)}: {escape(e.operation)}: {escape(e.message)}</li>" for e in report.errors]
        body.append("</ul>")
    body += [f'<p class="sub">{escape(line)}</p>' for line in cells.footer(report)]
    return _page(cells.title(report, view), cells.subtitle(report), body)


def render_trend_html(nights: Sequence[Any], heading: str) -> str:
    body = ["<h2>Reclaimable $ and idle endpoints, night by night</h2>", trend_chart(nights)]
    if nights:
        body.append("<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in (
            "Night", "Endpoints", "Idle", "Underused", "$/month", "Reclaimable", "Actions done", "Not seen"))
            + "</tr></thead><tbody>")
        body += [f"<tr><td>{escape(n.day)}</td><td class=\"n\">{n.endpoints}</td><td class=\"n\">{n.idle}</td>"
                 f"<td class=\"n\">{n.underused}</td><td class=\"n\">{money(n.monthly_cost_usd)}</td>"
                 f"<td class=\"n\">{money(n.reclaimable_usd)}</td><td class=\"n\">{n.actions_done}</td>"
                 f"<td class=\"n\">{n.errors}</td></tr>" for n in nights]
        body.append("</tbody></table>")
    return _page(heading, f"{len(nights)} stored nights", body)
