"""Inline SVG charts for the HTML report: where the money goes, and the nights' trend. Plain SVG
drawn here (no script, no library, no network), so the page is one self-contained file.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from cost_watcher.model import Finding
from cost_watcher.words import money

RECLAIMABLE, IN_USE, TREND_BARS, IDLE_LINE, INK, GRID = "#e03131", "#adb5bd", "#f08c00", "#1971c2", "#212529", "#dee2e6"
WIDTH, ROW, LABEL, MAX_BARS = 760, 26, 230, 12


def _shorten(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def money_chart(findings: Sequence[Finding]) -> str:
    """One bar per endpoint by $/month (the most expensive first): its reclaimable part in red."""
    priced = sorted((f for f in findings if (f.monthly_cost_usd or 0) > 0), key=lambda f: -(f.monthly_cost_usd or 0))
    if not priced:
        return '<p class="empty">No endpoint costs anything at rest.</p>'
    shown, rest = priced[:MAX_BARS], priced[MAX_BARS:]
    bars: list[tuple[str, float, float]] = [(f"{f.name} ({f.region})", f.monthly_cost_usd or 0.0,
                                             min(f.reclaimable_usd, f.monthly_cost_usd or 0.0)) for f in shown]
    if rest:
        bars.append((f"{len(rest)} more endpoints", sum(f.monthly_cost_usd or 0 for f in rest),
                     sum(min(f.reclaimable_usd, f.monthly_cost_usd or 0) for f in rest)))
    top = max(cost for _, cost, _ in bars)
    span = WIDTH - LABEL - 90
    height = ROW * len(bars) + 34
    parts = [f'<svg class="chart" role="img" aria-label="Monthly cost by endpoint, reclaimable part in red" '
             f'xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">']
    for i, (name, cost, reclaimable) in enumerate(bars):
        y = 6 + i * ROW
        whole, red = span * cost / top, span * reclaimable / top
        parts += [
            f'<text x="{LABEL - 8}" y="{y + 15}" text-anchor="end" font-size="12" fill="{INK}">'
            f'{escape(_shorten(name, 34))}</text>',
            f'<rect x="{LABEL}" y="{y}" width="{max(whole, 1):.1f}" height="{ROW - 8}" fill="{IN_USE}"/>',
            f'<rect x="{LABEL}" y="{y}" width="{red:.1f}" height="{ROW - 8}" fill="{RECLAIMABLE}"/>' if red else "",
            f'<text x="{LABEL + whole + 6:.1f}" y="{y + 15}" font-size="12" fill="{INK}">{money(cost)}</text>',
        ]
    legend_y = height - 10
    parts += [f'<rect x="{LABEL}" y="{legend_y - 10}" width="12" height="12" fill="{RECLAIMABLE}"/>',
              f'<text x="{LABEL + 18}" y="{legend_y}" font-size="12" fill="{INK}">reclaimable $/month</text>',
              f'<rect x="{LABEL + 160}" y="{legend_y - 10}" width="12" height="12" fill="{IN_USE}"/>',
              f'<text x="{LABEL + 178}" y="{legend_y}" font-size="12" fill="{INK}">in use $/month</text>', "</svg>"]
    return "".join(parts)


def trend_chart(nights: Sequence[Any]) -> str:
    """Reclaimable $ a night (bars, left axis) and idle endpoints a night (line, right axis)."""
    if not nights:
        return '<p class="empty">No stored nights to chart yet (reports are stored in the ledger).</p>'
    height, left, right, top_pad, bottom = 260, 70, 50, 16, 40
    plot_w, plot_h = WIDTH - left - right, height - top_pad - bottom
    most = max(max(n.reclaimable_usd for n in nights), 1.0)
    idle_most = max(max(n.idle for n in nights), 1)
    step = plot_w / len(nights)
    bar = min(40.0, max(2.0, step * 0.6))
    parts = [f'<svg class="chart" role="img" aria-label="Reclaimable dollars and idle endpoints night by night" '
             f'xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">',
             f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{left + plot_w}" y2="{top_pad + plot_h}" '
             f'stroke="{GRID}"/>',
             f'<text x="{left - 6}" y="{top_pad + 10}" text-anchor="end" font-size="11" fill="{INK}">'
             f'{money(most)}</text>',
             f'<text x="{left + plot_w + 6}" y="{top_pad + 10}" font-size="11" fill="{IDLE_LINE}">'
             f'{idle_most} idle</text>']
    points = []
    for i, n in enumerate(nights):
        x = left + i * step + (step - bar) / 2
        h = plot_h * n.reclaimable_usd / most
        parts.append(f'<rect x="{x:.1f}" y="{top_pad + plot_h - h:.1f}" width="{bar:.1f}" height="{max(h, 0):.1f}" '
                     f'fill="{TREND_BARS}"><title>{escape(n.day)}: {money(n.reclaimable_usd)}/month reclaimable, '
                     f'{n.idle} idle</title></rect>')
        points.append((left + i * step + step / 2, top_pad + plot_h - plot_h * n.idle / idle_most))
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{IDLE_LINE}" stroke-width="2.5"/>')
    parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{IDLE_LINE}"/>' for x, y in points]
    parts += [f'<text x="{left}" y="{height - 20}" font-size="11" fill="{INK}">{escape(nights[0].day)}</text>',
              f'<text x="{left + plot_w}" y="{height - 20}" text-anchor="end" font-size="11" fill="{INK}">'
              f'{escape(nights[-1].day)}</text>',
              f'<rect x="{left}" y="{height - 12}" width="12" height="10" fill="{TREND_BARS}"/>',
              f'<text x="{left + 18}" y="{height - 3}" font-size="11" fill="{INK}">reclaimable $/month</text>',
              f'<rect x="{left + 170}" y="{height - 8}" width="12" height="3" fill="{IDLE_LINE}"/>',
              f'<text x="{left + 188}" y="{height - 3}" font-size="11" fill="{INK}">idle endpoints</text>', "</svg>"]
    return "".join(parts)
