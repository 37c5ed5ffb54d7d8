"""Properties across every kind of endpoint (signals.py): real-time with one or more variants,
shadow variants, asynchronous, serverless with and without provisioned concurrency, inference
components, and variants replaced by UpdateEndpoint whose series CloudWatch still has.

An endpoint with any work processed or queued in the window is never idle and never gets a
destructive action; the re-check right before acting reads the same signal as the verdict
(for an async endpoint what it processed and what waited, never `Invocations`), and work it
finds there stops the reclaim; only InService endpoints are ever acted on."""

from __future__ import annotations

import tempfile
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from prop_strategies import (
    ALL_STATUSES,
    KINDS,
    NOW,
    PREFIX,
    REGIONS,
    KindCase,
    concurrency_price,
    kind_cases,
    price,
    settings_values,
)
from test_prop_reclaim import DESTRUCTIVE_CALLS, FakeAWS, series_key

from cost_watcher.judge import policy, signals
from cost_watcher.judge.scoring import judge
from cost_watcher.judge.signals import INVOCATIONS
from cost_watcher.judge.window import Window
from cost_watcher.model import (
    DESTRUCTIVE_ACTIONS,
    Action,
    Component,
    Endpoint,
    EndpointUsage,
    Finding,
    Report,
    Usage,
    Variant,
    Verdict,
)
from cost_watcher.reclaim import apply as reclaim
from cost_watcher.reclaim.actions import Wait
from cost_watcher.scan import series, usage
from cost_watcher.scan.metrics import Query
from cost_watcher.settings import Settings

QUICK = settings(max_examples=200, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
NOT_SPENDING_TRAFFIC = (Verdict.IDLE, Verdict.NO_IDLE_COST)
NOT_IN_SERVICE = tuple(s for s in ALL_STATUSES if s != "InService")
DUE_MARK = str(NOW.date() - timedelta(days=30))
VARIANT_DIMS = frozenset({"EndpointName", "VariantName"})
COMPONENT_DIMS = frozenset({"InferenceComponentName"})
ENDPOINT_DIMS = frozenset({"EndpointName"})

# a deployment that acts: every yes but the verdict is given (grace period 0-5 days, a ledger)
acting = st.builds(lambda config, grace, ledger: config.replace(dry_run=False, grace_days=grace, ledger=ledger),
                   settings_values, st.integers(0, 5), st.sampled_from(["s3://cw-ledger/prod", "s3://ledger/cw"]))


def _judge(case: KindCase, config: Settings) -> Finding:
    return judge(case.endpoint, case.usage, config, Window.of(config, NOW), price, concurrency_price)


def _judged(endpoint: Endpoint, config: Settings) -> bool:
    """Whether judge reaches the usage at all (else not-in-service, too-new or unknown)."""
    return (signals.serves(endpoint.status) and NOW - endpoint.created >= timedelta(days=config.lookback_days)
            and not endpoint.unsupported)


# --- (a) work in the window is never idle ---------------------------------------------------

@QUICK
@given(case=kind_cases(work=True), config=settings_values)
def test_work_processed_or_queued_in_the_window_is_never_idle(case, config):
    finding = _judge(case, config)
    event(f"{case.kind}: {finding.verdict}")
    if case.usage.queue and case.usage.queue.worked and not any(u.worked for u in case.usage.variants.values()):
        event("async: only requests waiting in the queue")
    assert finding.verdict not in NOT_SPENDING_TRAFFIC, (case.kind, finding.verdict, finding.reason)
    if _judged(case.endpoint, config):
        assert finding.verdict in policy.TRAFFIC_VERDICTS, (case.kind, finding.verdict, finding.reason)
        assert finding.kind == signals.kind_of(case.endpoint)


# --- (b) ... and never gets a destructive action ----------------------------------------------

@QUICK
@given(case=kind_cases(work=True), config=acting, region_errors=st.sampled_from([False, False, True]))
def test_work_in_the_window_never_gets_a_destructive_action(case, config, region_errors):
    """With underused_scale_down off (the default), whatever the opt-in, mark, grace period
    or ledger: never delete, never scale down. Blocked or not: the plan itself is never one."""
    config = config.replace(underused_scale_down=False)
    finding = _judge(case, config)
    decision = policy.decide(finding, config, NOW, region_has_errors=region_errors)
    event(f"{case.kind}: {decision.action}")
    assert decision.action not in DESTRUCTIVE_ACTIONS, (case.kind, finding.verdict, decision)


@QUICK
@given(case=kind_cases(work=True), config=acting)
def test_with_underused_scale_down_on_work_is_at_most_scaled_down(case, config):
    """The one designed exception: an underused endpoint its owner opted in to scale-down,
    where the deployment allows it. Never a delete, never for anything but underused."""
    config = config.replace(underused_scale_down=True)
    finding = _judge(case, config)
    decision = policy.decide(finding, config, NOW)
    if decision.action in DESTRUCTIVE_ACTIONS:
        assert decision.action == Action.SCALE_DOWN, (case.kind, finding.verdict, decision)
        assert finding.verdict == Verdict.UNDERUSED and finding.reclaim_tag == "scale-down", decision


# --- (c) the re-check reads the series the verdict read -------------------------------------

def _shape(query: Query) -> tuple:
    return query.namespace, query.metric, frozenset(dict(query.dimensions)), series.role_of(query), query.stat


@QUICK
@given(case=kind_cases(), period=st.integers(1, 3 * 24 * 60).map(lambda minutes: minutes * 60))
def test_recheck_reads_the_same_signal_as_the_verdict(case, period):
    endpoint = case.endpoint
    rechecked = series.work_queries(endpoint, period)
    assert rechecked and all(q.period == period for q in rechecked)
    for query in rechecked:  # exactly AWS's dimensions, with this endpoint's names as values
        dims = dict(query.dimensions)
        if "InferenceComponentName" in dims:
            assert dims["InferenceComponentName"] in {c.name for c in endpoint.components}
        else:
            assert dims["EndpointName"] == endpoint.name
    verdict_read = {_shape(q) for q in usage.detail_queries(endpoint, set())
                    if series.role_of(q)[0] in ("work", "queue")}
    assert {_shape(q) for q in rechecked} == verdict_read

    read = {(q.metric, frozenset(dict(q.dimensions)), series.role_of(q)[1]) for q in rechecked}
    if endpoint.asynchronous and not endpoint.components:
        assert signals.kind_of(endpoint) == signals.ASYNC
        assert read == {(signals.INVOCATIONS_PROCESSED, VARIANT_DIMS, f"variant:{v.name}") for v in endpoint.variants
                          } | {(signals.BACKLOG, ENDPOINT_DIMS, "endpoint")}
        assert INVOCATIONS not in {q.metric for q in rechecked}
        assert {q.stat for q in rechecked if q.metric == signals.BACKLOG} == {"Maximum"}
    else:
        assert read == {(INVOCATIONS, VARIANT_DIMS, f"variant:{v.name}") for v in endpoint.variants} | {
            (INVOCATIONS, COMPONENT_DIMS, f"component:{c.name}") for c in endpoint.components}
        assert {q.stat for q in rechecked} == {"Sum"}


# --- (d) work found by the re-check stops the reclaim --------------------------------------

RECLAIMABLE_KINDS = ("async", "async", "real-time", "real-time-multi", "shadow", "serverless-provisioned")


def _make_idle_at_scan(case: KindCase, draw: st.DrawFn) -> None:
    """Due for reclaim: old, opted in, marked 30 days ago, billing at rest (so idle, not no-idle-cost)."""
    endpoint = case.endpoint
    endpoint.created, endpoint.unsupported = NOW - timedelta(days=90), []
    endpoint.tags = {PREFIX + "reclaim": draw(st.sampled_from(["delete", "scale-down"])),
                     PREFIX + "idle-since": DUE_MARK}
    for variant in endpoint.variants:
        variant.pools = ()
        if not variant.serverless:
            variant.instance_type = variant.instance_type or "ml.m5.large"
    if not any(v.bills_at_rest for v in endpoint.variants):
        endpoint.variants[0].instance_count = endpoint.variants[0].desired_instance_count = 2


def _signal_series(endpoint: Endpoint) -> list[tuple]:
    """The series of the endpoint's own signal (as FakeAWS.work names them)."""
    signal = signals.signal_of(endpoint)
    keys = [series_key(endpoint.region, signal.work_metric, {"EndpointName": endpoint.name, "VariantName": v.name})
            for v in endpoint.variants]
    if signal.queue_metric:
        keys.append(series_key(endpoint.region, signal.queue_metric, {"EndpointName": endpoint.name}))
    return keys


@st.composite
def nights_with_work(draw: st.DrawFn, kinds: tuple[str, ...] = RECLAIMABLE_KINDS):
    """Endpoints idle at the scan and due for reclaim; on some, the re-check finds work in
    their own signal (for async: InvocationsProcessed on a variant and/or a backlog)."""
    cases: list[KindCase] = []
    for _ in range(draw(st.integers(1, 4))):
        case = draw(kind_cases(kind=draw(st.sampled_from(kinds)), work=False, status="InService"))
        if any((c.endpoint.region, c.endpoint.name) == (case.endpoint.region, case.endpoint.name) for c in cases):
            continue
        _make_idle_at_scan(case, draw)
        cases.append(case)
    work: dict[tuple, float] = {}
    worked: set[tuple[str, str]] = set()
    for case in cases:
        if draw(st.integers(0, 3)) == 0:
            continue  # silent since the scan: may be reclaimed (shows the fake lets a reclaim through)
        series = _signal_series(case.endpoint)
        for key in draw(st.lists(st.sampled_from(series), min_size=1, max_size=len(series), unique=True)):
            work[key] = draw(st.one_of(st.just(1.0), st.floats(0.001, 1e5)))
        worked.add((case.endpoint.region, case.endpoint.name))
    config = draw(acting).replace(max_actions_per_run=6)
    return cases, work, worked, config


def _run(cases: list[KindCase], work: dict[tuple, float], config: Settings) -> tuple[list[Finding], FakeAWS]:
    findings = [_judge(case, config) for case in cases]
    for case, finding in zip(cases, findings, strict=True):
        assert finding.verdict == Verdict.IDLE, (case.kind, finding.verdict, finding.reason)  # idle at the scan
    aws = FakeAWS(findings, work)
    report = Report(NOW, config.lookback_days, list(REGIONS), False, findings=findings)
    with tempfile.TemporaryDirectory() as ledger:
        reclaim.apply(findings, config.replace(ledger=ledger), aws, NOW, report, wait=Wait(0, 1),
                      clock=lambda: NOW + timedelta(minutes=5))
    return findings, aws


@QUICK
@given(nights_with_work())
def test_work_at_the_recheck_stops_every_destructive_call(night):
    cases, work, worked, config = night
    findings, aws = _run(cases, work, config)
    reclaimed = {(region, name) for region, operation, name in aws.calls if operation in DESTRUCTIVE_CALLS}
    event(f"silent endpoints reclaimed: {min(len(reclaimed), 2)}")
    assert not reclaimed & worked, (reclaimed & worked, [(f.name, f.action, f.action_result) for f in findings])
    asked = {series_key(region, m["MetricName"], {d["Name"]: d["Value"] for d in m["Dimensions"]})
             for region, m in aws.metric_queries}
    for case, finding in zip(cases, findings, strict=True):
        endpoint = case.endpoint
        if finding.action in DESTRUCTIVE_ACTIONS:  # the re-check read the endpoint's whole signal, nothing else
            assert set(_signal_series(endpoint)) <= asked, (case.kind, endpoint.name)
            if (endpoint.region, endpoint.name) in worked:
                assert "at the re-check: not idle any more" in (finding.action_result or ""), finding.action_result
                event(f"stopped at the re-check: {case.kind}")
        if endpoint.asynchronous:  # never judged by a metric AWS does not publish for its kind
            assert not [key for key in asked if key[:2] == (endpoint.region, INVOCATIONS)
                        and ("EndpointName", endpoint.name) in key[2]], endpoint.name


def _async_case(reclaim_tag: str = "delete") -> KindCase:
    endpoint = Endpoint("queue-ep", "us-east-1", "InService", NOW - timedelta(days=90),
                        arn="arn:aws:sagemaker:us-east-1:123456789012:endpoint/queue-ep", config_name="queue-ep-config",
                        variants=[Variant("AllTraffic", "ml.g4dn.xlarge", 1, 1)], asynchronous=True, described=True,
                        tags={PREFIX + "reclaim": reclaim_tag, PREFIX + "idle-since": DUE_MARK})
    return KindCase("async", endpoint, EndpointUsage({"AllTraffic": Usage()}, queue=Usage()))


@pytest.mark.parametrize(("metric", "dimensions", "reclaimed"), [
    (None, {}, True),  # silent since the scan: the fake lets the delete through
    (signals.BACKLOG, {"EndpointName": "queue-ep"}, False),
    (signals.INVOCATIONS_PROCESSED, {"EndpointName": "queue-ep", "VariantName": "AllTraffic"}, False),
    # a series AWS does not publish with these dimensions is not the async signal: no objection
    (signals.BACKLOG, {"EndpointName": "queue-ep", "VariantName": "AllTraffic"}, True),
])
def test_async_recheck_examples(metric, dimensions, reclaimed):
    work = {series_key("us-east-1", metric, dimensions): 3.0} if metric else {}
    config = Settings(regions=REGIONS, dry_run=False, grace_days=3, ledger="s3://cw-ledger/prod")
    (finding,), aws = _run([_async_case()], work, config)
    assert ((("us-east-1", "delete_endpoint", "queue-ep") in aws.calls) is reclaimed), finding.action_result
    if reclaimed:
        assert finding.action_result == "done", finding.action_result
    else:
        assert "at the re-check: not idle any more" in finding.action_result, finding.action_result


def test_work_of_a_component_on_a_variant_the_config_does_not_list_is_still_work():
    """ListInferenceComponents names the component's variant; DescribeEndpoint (read later) may
    list others (an UpdateEndpoint in between). The component's invocations are the endpoint's work."""
    endpoint = Endpoint("ic-ep", "us-east-1", "InService", NOW - timedelta(days=90), described=True,
                        variants=[Variant("AllTraffic", "ml.g5.xlarge", 1, 1)],
                        components=[Component("ic-ep-ic0", "ic-ep", "previous-variant", copy_count=1)])
    usage = EndpointUsage({"AllTraffic": Usage()}, {"ic-ep-ic0": Usage(400, 5, 120, NOW - timedelta(days=1))})
    finding = judge(endpoint, usage, Settings(regions=REGIONS), Window.of(Settings(regions=REGIONS), NOW), price)
    assert finding.verdict not in NOT_SPENDING_TRAFFIC, finding.reason


# --- (e) only InService endpoints are acted on ----------------------------------------------

@QUICK
@given(case=st.sampled_from(NOT_IN_SERVICE).flatmap(lambda status: kind_cases(status=status)), config=acting,
       force_idle=st.booleans(), scan_said_in_service=st.booleans())
def test_statuses_other_than_in_service_never_get_a_destructive_action(case, config, force_idle,
                                                                      scan_said_in_service):
    """Whatever the usage (even a verdict of idle), and whether the status changed between the
    scan and the plan: nothing destructive and no mark on an endpoint that is not InService."""
    finding = _judge(case, config.replace(underused_scale_down=True))
    if force_idle:
        finding.verdict = Verdict.IDLE
    if scan_said_in_service:
        finding.status = "InService"  # the endpoint itself (as read now) is not
    decision = policy.decide(finding, config.replace(underused_scale_down=True), NOW)
    event(f"{case.endpoint.status}: {decision.action}")
    assert decision.action in (Action.NONE, Action.UNMARK), (case.endpoint.status, finding.verdict, decision)


KIND_ROWS = {"real-time": signals.CLASSIC, "real-time-multi": signals.CLASSIC, "shadow": signals.CLASSIC,
             "async": signals.ASYNC, "serverless": signals.SERVERLESS, "serverless-provisioned": signals.SERVERLESS,
             "components": signals.COMPONENTS}


@settings(QUICK, max_examples=50)
@given(st.sampled_from(KINDS).flatmap(lambda kind: kind_cases(kind=kind, work=True)))
def test_every_kind_is_judged_by_its_row_of_the_signal_table(case):
    assert set(KIND_ROWS) == set(KINDS)
    assert signals.kind_of(case.endpoint) == KIND_ROWS[case.kind] and case.worked, case.kind
    event(case.kind)
