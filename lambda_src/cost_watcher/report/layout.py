"""Fitting a table into a terminal: no row ever wraps. Long names are shortened with '…', then the
least needed columns are left out (and the screen says which), then names shorten further.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

GAP = 2
ELLIPSIS = "…"


@dataclass(frozen=True)
class Column:
    header: str
    right: bool = False
    soft: int | None = None  # shortened to this first, when the table is too wide
    hard: int | None = None  # and to this at the last
    drop: int = 0  # 0: always shown; otherwise left out when too wide, the highest number first
    paint: Callable[[str, str], str] | None = None  # (padded cell, raw cell) -> coloured cell


@dataclass
class Fitted:
    columns: list[Column]
    rows: list[list[str]]
    widths: list[int]
    hidden: list[str]


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + ELLIPSIS


def fit(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int) -> Fitted:
    """Choose the columns and their widths so that every line is at most `width` characters."""
    keep = list(range(len(columns)))
    natural = {i: max([len(columns[i].header), *(len(r[i]) for r in rows)]) for i in keep}
    widths = dict(natural)

    def total() -> int:
        return sum(widths[i] for i in keep) + GAP * (len(keep) - 1)

    def squeeze(limit: str) -> None:
        for i in reversed(keep):  # the right-hand columns give way first: the name is what a person reads
            floor = getattr(columns[i], limit)
            if floor is not None and total() > width:
                widths[i] = min(widths[i], max(floor, len(columns[i].header), widths[i] - (total() - width)))

    squeeze("soft")
    dropped: list[int] = []
    while total() > width and any(columns[i].drop for i in keep):
        dropped.append(max((i for i in keep if columns[i].drop), key=lambda i: columns[i].drop))
        keep.remove(dropped[-1])
    for i in reversed(dropped):  # a wide column left out may leave room for a narrower one
        if total() + GAP + widths[i] <= width:
            keep = sorted([*keep, i])
    squeeze("hard")
    spare = width - total()
    for i in keep:  # what leaving columns out freed goes back to the shortened ones
        grow = max(0, min(natural[i] - widths[i], spare))
        widths[i] += grow
        spare -= grow
    return Fitted([columns[i] for i in keep], [[shorten(r[i], widths[i]) for i in keep] for r in rows],
                  [widths[i] for i in keep], [columns[i].header for i in range(len(columns)) if i not in keep])


def lines(fitted: Fitted, colour: bool) -> list[str]:
    """Header, rule and rows, padded (and coloured after padding, so colour never shifts a column)."""

    def line(cells: Sequence[str], paint: bool) -> str:
        out = []
        for column, cell, w in zip(fitted.columns, cells, fitted.widths, strict=True):
            padded = cell.rjust(w) if column.right else cell.ljust(w)
            out.append(column.paint(padded, cell) if paint and colour and column.paint else padded)
        return (" " * GAP).join(out).rstrip()

    head = line([c.header for c in fitted.columns], False)
    rule = line(["-" * w for w in fitted.widths], False)
    if colour:
        head = bold(head)
    return [head, rule] + [line(r, True) for r in fitted.rows]


def ansi(code: str, text: str) -> str:
    return f"\x1b[{code}m{text}\x1b[0m"


def bold(text: str) -> str:
    return ansi("1", text)
