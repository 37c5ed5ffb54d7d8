"""Outcomes are data: the report and digest read their kind and why, the JSON keeps its strings."""

from __future__ import annotations

import pytest

from cost_watcher.model import Outcome, OutcomeKind


@pytest.mark.parametrize("text", ["planned", "done", "done: by an earlier attempt of run r-1",
                                  "skipped: deferred: at most 5 destructive actions a run",
                                  "failed: DeleteEndpoint failed: AccessDenied: no"])
def test_an_outcome_is_its_report_string_and_reads_back_as_itself(text):
    outcome = Outcome.parse(text)
    assert outcome == text and str(outcome) == text
    assert Outcome.parse(str(outcome)).kind == outcome.kind and Outcome.parse(str(outcome)).why == outcome.why


def test_kind_and_why_are_read_without_parsing_text():
    outcome = Outcome.skipped("re-check: 3 invocations: not idle any more")
    assert outcome.kind is OutcomeKind.SKIPPED
    assert outcome.why == "re-check: 3 invocations: not idle any more"  # colons in the why survive
    assert outcome.plus("mark removed") == "skipped: re-check: 3 invocations: not idle any more; mark removed"
    assert Outcome.done().plus("by an earlier attempt") == "done: by an earlier attempt"


def test_nothing_reads_back_as_none_and_a_string_we_never_write_is_refused():
    assert Outcome.parse(None) is None and Outcome.parse("") is None
    with pytest.raises(ValueError):
        Outcome.parse("exploded: why")
