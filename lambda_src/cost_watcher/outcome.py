"""What became of a planned action, as data: `Outcome(kind, why)`, which is also the report's JSON string."""

from __future__ import annotations

from enum import StrEnum


class OutcomeKind(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


class Outcome(str):
    """What became of a planned action: its kind and why, read as data by the report and digest.

    It is the report's JSON string itself ("planned", "done", "skipped: why", "failed: why"),
    so the schema stays as it is; `parse` reads one back (journal, stored reports)."""

    kind: OutcomeKind
    why: str

    def __new__(cls, kind: OutcomeKind | str, why: str = "") -> Outcome:
        kind = OutcomeKind(kind)
        outcome = super().__new__(cls, f"{kind}: {why}" if why else str(kind))
        outcome.kind, outcome.why = kind, why
        return outcome

    @classmethod
    def planned(cls) -> Outcome:
        return cls(OutcomeKind.PLANNED)

    @classmethod
    def done(cls, why: str = "") -> Outcome:
        return cls(OutcomeKind.DONE, why)

    @classmethod
    def skipped(cls, why: str) -> Outcome:
        return cls(OutcomeKind.SKIPPED, why)

    @classmethod
    def failed(cls, why: str) -> Outcome:
        return cls(OutcomeKind.FAILED, why)

    @classmethod
    def parse(cls, text: str | None) -> Outcome | None:
        """The outcome a stored string says; None for none. Raises ValueError for a string we never write."""
        if not text:
            return None
        kind, _, why = text.partition(":")
        return cls(kind.strip(), why.strip())

    def plus(self, more: str) -> Outcome:
        """The same outcome with more said about it."""
        return Outcome(self.kind, f"{self.why}; {more}" if self.why else more)
