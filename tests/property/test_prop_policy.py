"""Properties of the reclaim policy (pure): no opt-in, no destructive action; unknown is never
acted on; a destructive action has every yes; the per-run cap is never exceeded."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prop_strategies import NOW, PREFIX, findings, settings_values, tag_values

from cost_watcher.judge import policy
from cost_watcher.judge.tags import RECLAIM_VALUES, parse_tags
from cost_watcher.model import DESTRUCTIVE_ACTIONS, Action, Verdict

QUICK = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
RECLAIM_KEY = PREFIX + "reclaim"
LOOKALIKE_KEYS = (RECLAIM_KEY, "Cost-Watcher:reclaim", " cost-watcher:reclaim", "cost-watcher:reclaim ",
                  "cost-watcher:Reclaim", "costwatcher:reclaim", "team")


@QUICK
@given(finding=findings(), config=settings_values, region_errors=st.booleans(),
       tags=st.dictionaries(st.sampled_from(LOOKALIKE_KEYS), tag_values, max_size=3))
def test_without_an_exact_opt_in_tag_no_destructive_action(finding, config, region_errors, tags):
    """Whatever the verdict, status, mark or settings: an endpoint whose tags hold no exact
    opt-in is at most marked-off (unmarked), never marked, deleted or scaled down."""
    state = parse_tags(tags, PREFIX)
    finding.reclaim_tag = state.reclaim
    decision = policy.decide(finding, config, NOW, region_has_errors=region_errors)
    if tags.get(RECLAIM_KEY) not in RECLAIM_VALUES:
        assert state.reclaim is None
        assert decision.action in (Action.NONE, Action.UNMARK), decision
        if RECLAIM_KEY in tags or any(k.strip().lower() == RECLAIM_KEY for k in tags):
            assert state.warnings, tags  # the owner is told why the tag does not count


@QUICK
@given(finding=findings(verdict=Verdict.UNKNOWN), config=settings_values, region_errors=st.booleans())
def test_unknown_never_leads_to_an_action(finding, config, region_errors):
    assert policy.decide(finding, config, NOW, region_has_errors=region_errors).action == Action.NONE


@QUICK
@given(finding=findings(), config=settings_values, region_errors=st.booleans())
def test_a_destructive_action_has_every_yes(finding, config, region_errors):
    decision = policy.decide(finding, config, NOW, region_has_errors=region_errors)
    if decision.action in DESTRUCTIVE_ACTIONS:
        endpoint = finding.endpoint
        assert finding.reclaim_tag in RECLAIM_VALUES
        assert finding.verdict == Verdict.IDLE or (
            finding.verdict == Verdict.UNDERUSED and config.underused_scale_down
            and decision.action == Action.SCALE_DOWN)
        assert decision.action != Action.DELETE or finding.reclaim_tag == "delete"
        assert endpoint.described and endpoint.status == finding.status == "InService"
        assert NOW - endpoint.created >= timedelta(days=config.lookback_days)
        assert finding.idle_since is not None and finding.idle_since + timedelta(days=config.grace_days) <= NOW.date()
        if decision.blocked is None:
            assert not region_errors and config.ledger
    if decision.action == Action.MARK:
        assert finding.reclaim_tag in RECLAIM_VALUES and finding.idle_since is None
        assert decision.blocked is None or region_errors


@settings(QUICK, max_examples=60)
@given(candidates=st.lists(findings(), max_size=8), limit=st.integers(0, 6))
def test_the_cap_is_never_exceeded_and_defers_the_least(candidates, limit):
    chosen, deferred = policy.apply_cap(candidates, limit)
    assert len(chosen) == min(limit, len(candidates))
    assert sorted(map(id, chosen + deferred)) == sorted(map(id, candidates))
    if chosen and deferred:
        assert max(map(policy.cap_order, chosen)) <= min(map(policy.cap_order, deferred))
        assert max(f.reclaimable_usd for f in deferred) <= max(f.reclaimable_usd for f in chosen)
