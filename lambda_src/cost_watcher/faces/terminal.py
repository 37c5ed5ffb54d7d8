"""What the person's terminal allows: how wide, whether colour, and a progress line on stderr.

Colour only on a terminal, never with NO_COLOR (https://no-color.org) or TERM=dumb; progress only
when stderr is a terminal, so pipes, --json and CI logs stay clean.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from collections.abc import Callable
from typing import TextIO

PIPED_WIDTH = 120  # no terminal to fit: wide enough for every column, as a file or a pager wants


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def width() -> int:
    """The person's terminal's columns (COLUMNS wins, as shells set it), even when stdout goes to a
    pager or a file from that terminal; PIPED_WIDTH when no terminal is there at all."""
    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    for stream in (sys.stdout, sys.stderr, sys.stdin):
        try:
            return os.get_terminal_size(stream.fileno()).columns
        except (AttributeError, ValueError, OSError):
            continue
    return PIPED_WIDTH


def colour(stream: TextIO = sys.stdout) -> bool:
    return is_terminal(stream) and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


class ProgressLine:
    """One line on stderr, rewritten in place as the run goes, cleared when done."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream, self.on = stream, is_terminal(stream)
        self._lock = threading.Lock()

    def __call__(self, message: str) -> None:
        if not self.on:
            return
        columns = shutil.get_terminal_size((80, 24)).columns - 1
        text = f"cost-watcher: {message}"
        text = text if len(text) <= columns else text[: columns - 1] + "…"
        with self._lock:
            self.stream.write(f"\r\x1b[K{text}")
            self.stream.flush()

    def done(self) -> None:
        if self.on:
            with self._lock:
                self.stream.write("\r\x1b[K")
                self.stream.flush()

    def callback(self) -> Callable[[str], None] | None:
        return self if self.on else None
