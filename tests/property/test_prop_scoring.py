"""Properties of scoring.judge: traffic in the window is never idle; unreadable usage is
unknown and is never acted on."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from prop_strategies import NOW, endpoints, price, settings_values, usages

from cost_watcher.judge import policy
from cost_watcher.judge.scoring import judge
from cost_watcher.judge.window import Window
from cost_watcher.model import Action, Endpoint, EndpointUsage, Usage, Variant, Verdict
from cost_watcher.settings import Settings

QUICK = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
# a known failure (xfail) need not be shrunk to its smallest form on every test run
FIND_ONLY = settings(QUICK, phases=[Phase.explicit, Phase.generate])
NOT_SPENDING_TRAFFIC = (Verdict.IDLE, Verdict.NO_IDLE_COST)


@st.composite
def judged_with_traffic(draw: st.DrawFn, *, old_variants: bool = False):
    """An InService endpoint old enough to be judged, and usage as the scan reads it, with at
    least one invocation somewhere in the window. Variant names in the usage are the ones
    CloudWatch lists for the endpoint; with `old_variants`, also a variant of a previous
    endpoint config (its series outlive an UpdateEndpoint by 14 days)."""
    config = draw(settings_values)
    endpoint: Endpoint = draw(endpoints(in_service=True))
    endpoint.created = NOW - timedelta(days=config.lookback_days + draw(st.floats(0, 300)))
    true_names = [v.name for v in endpoint.variants]
    hosting = {c.variant_name for c in endpoint.components if c.variant_name}
    names = set(draw(st.lists(st.sampled_from(true_names), unique=True))) | hosting
    if old_variants and endpoint.described:
        names.add("previous-config-variant")
    per_variant = {name: draw(usages()) for name in sorted(names)}
    per_component = {c.name: draw(usages()) for c in endpoint.components}
    assume(any(u.invocations > 0 for u in [*per_variant.values(), *per_component.values()]))
    if not endpoint.described:
        endpoint.variants = []  # only DescribeEndpoint names the variants; the scan then goes by the metrics
    return endpoint, EndpointUsage(per_variant, per_component), config


@QUICK
@given(judged_with_traffic())
def test_any_invocation_in_the_window_is_never_idle(case):
    endpoint, usage, config = case
    finding = judge(endpoint, usage, config, Window.of(config, NOW), price)
    assert finding.verdict not in NOT_SPENDING_TRAFFIC, (finding.verdict, finding.reason)
    assert finding.invocations > 0


@FIND_ONLY
@given(judged_with_traffic(old_variants=True))
def test_traffic_on_a_replaced_variant_is_still_traffic(case):
    endpoint, usage, config = case
    finding = judge(endpoint, usage, config, Window.of(config, NOW), price)
    assert finding.verdict not in NOT_SPENDING_TRAFFIC, (finding.verdict, finding.reason)


def test_replaced_variant_example():
    """Updated two days ago from config v1 (variant 'blue', used three days ago) to v2
    (variant 'green', silent since): not idle, it was used within the 7-day window."""
    endpoint = Endpoint("ranker", "us-east-1", "InService", NOW - timedelta(days=90), described=True,
                        variants=[Variant("green", "ml.m5.large", 1)])
    three_days_ago = NOW - timedelta(days=3)
    usage = EndpointUsage(variants={"blue": Usage(400, 5, 120, three_days_ago), "green": Usage()})
    config = Settings(regions=("us-east-1",))
    finding = judge(endpoint, usage, config, Window.of(config, NOW), price)
    assert finding.verdict != Verdict.IDLE, finding.reason
    assert finding.last_invocation == three_days_ago


@QUICK
@given(endpoint=endpoints(), config=settings_values, error=st.text(min_size=1, max_size=40),
       errors_in_region=st.booleans(), usage_missing=st.booleans())
def test_unreadable_usage_is_unknown_and_never_acted_on(endpoint, config, error, errors_in_region, usage_missing):
    usage = None if usage_missing else EndpointUsage(error=error)
    finding = judge(endpoint, usage, config, Window.of(config, NOW), price)
    assert finding.verdict in (Verdict.UNKNOWN, Verdict.NOT_IN_SERVICE, Verdict.TOO_NEW)
    assert finding.reclaimable_usd == 0
    if finding.verdict == Verdict.UNKNOWN:
        assert "never treated as idle" in finding.reason
    # whatever the owner's tags say
    for tag in (None, "delete", "scale-down"):
        finding.reclaim_tag = tag
        for idle_since in (None, NOW.date() - timedelta(days=30)):
            finding.idle_since = idle_since
            assert policy.decide(finding, config, NOW, region_has_errors=errors_in_region).action == Action.NONE
