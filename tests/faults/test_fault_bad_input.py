"""Bad input: malformed manual invokes and deployed settings are refused before any AWS call,
with a message that says what was wrong and what is accepted; odd names and tags, and an
empty account, run without harm."""

from __future__ import annotations

from datetime import timedelta

import pytest
from faultnet import Network
from faultworld import DUE, NOW, World, fleet, scheduled
from oracle import assert_only_reported_changes

from cost_watcher.faces import handler
from cost_watcher.reclaim.ledger import open_ledger
from cost_watcher.reclaim.restore import restore
from cost_watcher.settings import Settings, to_environment
from tests.support.fleet import spec
from tests.support.names import IGNORE, MARK, RECLAIM, REGION

TOPIC = "arn:aws:sns:us-east-1:123456789012:cost-watcher-digest"
DEPLOYED = to_environment(Settings(regions=(REGION,), dry_run=False, pricing="table", ledger="s3://cw-ledger/prod",
                                   topic_arn=TOPIC, max_actions_per_run=5))


class NoAWS:
    """Clients that fail the test on first use: a refused invocation must not reach AWS."""

    def __getattr__(self, name: str):
        raise AssertionError(f"a refused invocation used clients.{name}")


def _refused(event, environ) -> str:
    response = handler.handle(event, None, environ, NoAWS())
    assert response["status"] == "rejected", response
    assert set(response) == {"status", "error"}
    message = response["error"]
    assert "Traceback" not in message and len(message) < 400
    return message


@pytest.mark.parametrize(("event", "words"), [
    ("run please", ["event must be a JSON object, got str"]),
    (["overrides"], ["event must be a JSON object, got list"]),
    (42, ["got int"]),
    ({"overide": {"lookback_days": 3}}, ["unknown event key(s) 'overide'", "lookback_days"]),
    ({"overrides": "lookback_days=3"}, ["'overrides' must be an object", "regions"]),
    ({"overrides": {"lookback_days": "3 days"}}, ["'lookback_days'", "'3 days'", "a whole number"]),
    ({"overrides": {"lookback_days": 7.5}}, ["'lookback_days'", "7.5", "a whole number"]),
    ({"overrides": {"lookback_days": None}}, ["'lookback_days'", "None", "a whole number"]),
    ({"overrides": {"lookback_days": 0}}, ["'lookback_days'", "from 1 to 63"]),
    ({"overrides": {"lookback_days": 10**12}}, ["'lookback_days'", "from 1 to 63"]),
    ({"overrides": {"last_used_days": 3}}, ["'last_used_days'", "from 7 to 455"]),
    ({"overrides": {"regions": "mars-north-1"}}, ["'regions'", "'mars-north-1'", "us-east-1"]),
    ({"overrides": {"regions": ["us-east-1", 5]}}, ["'regions'", "a list of region names"]),
    ({"overrides": {"regions": {"us-east-1": True}}}, ["'regions'", "a list of region names"]),
    ({"overrides": {"notify": "sometimes"}}, ["'notify'", "always | findings | actions | never"]),
    ({"overrides": {"dry_run": "maybe"}}, ["'dry_run'", "true or false"]),
    ({"overrides": {"mode": "ACT"}}, ["'mode'", "report | act"]),
    ({"overrides": {"max_actions_per_run": -1}}, ["'max_actions_per_run'", "from 0 to 1000"]),
    ({"overrides": {"max_actions_per_run": 6}}, ["above the deployed cap 5", "only lower"]),
    ({"overrides": {"topic_arn": "arn:aws:sns:us-east-1:123456789012:elsewhere"}}, ["'topic_arn'",
                                                                                   "cannot be set by an invoke"]),
    ({"overrides": {"ledger": "s3://other-bucket"}}, ["'ledger'", "cannot be set by an invoke"]),
    ({"overrides": {"grace_days": 0}}, ["'grace_days'", "cannot be set by an invoke"]),
    ({"detail": {}, "overrides": {"unknown": 1}}, ["'unknown'", "accepted:"]),
])
def test_malformed_manual_invoke_is_refused_and_nothing_is_done(event, words):
    message = _refused(event, DEPLOYED)
    for word in words:
        assert word in message, message


def test_invoke_cannot_switch_a_report_deployment_to_act():
    message = _refused({"overrides": {"mode": "act"}}, {**DEPLOYED, "COST_WATCHER_MODE": "report"})
    assert "report mode" in message and "redeploy with mode=act" in message


@pytest.mark.parametrize(("variable", "value", "words"), [
    ("COST_WATCHER_LOOKBACK_DAYS", "seven", ["'lookback_days'", "'seven'", "a whole number"]),
    ("COST_WATCHER_MODE", "ACT", ["'mode'", "report | act"]),
    ("COST_WATCHER_REGIONS", "us-east-1,mars-1", ["'regions'", "'mars-1'"]),
    ("COST_WATCHER_LOOKBAK_DAYS", "7", ["environment", "unknown key(s) 'lookbak_days'", "lookback_days"]),
    ("COST_WATCHER_GRACE_DAYS", "-1", ["'grace_days'", "from 0 to 90"]),
    ("COST_WATCHER_TOPIC_ARN", "digest-topic", ["'topic_arn'", "an SNS topic ARN"]),
    ("COST_WATCHER_UNDERUSED_MAX_UTILIZATION_PCT", "nan", ["'underused_max_utilization_pct'", "0 to 100"]),
    ("COST_WATCHER_UNDERUSED_SCALE_DOWN", "sometimes", ["'underused_scale_down'", "true or false"]),
    ("COST_WATCHER_MAX_ACTIONS_PER_RUN", "5.0", ["'max_actions_per_run'", "a whole number"]),
    ("COST_WATCHER_TAG_PREFIX", "aws:cw:", ["'tag_prefix'", "'aws:'"]),
    ("COST_WATCHER_PRICING", "cheap", ["'pricing'", "auto | table"]),
])
def test_malformed_deployed_settings_are_refused_before_any_call(variable, value, words):
    message = _refused(scheduled(), {**DEPLOYED, variable: value})
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("ledger", ["ftp://cw-ledger/prod", "s3://CW_Ledger/prod", "s3://"])
def test_malformed_ledger_location_is_refused_before_any_call(world: World, ledger, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where a misread location would be written to
    world.build(*fleet()[:3])
    before = world.state()
    response = world.handle_raw(scheduled(), to_environment(world.settings(ledger=ledger)))
    assert world.state() == before, "the run went ahead and changed the account"
    assert response["status"] == "rejected", response
    message = response["error"]
    assert "'ledger'" in message and "s3://bucket" in message


LONGEST = "a" + "-b" * 31  # 63 characters, SageMaker's limit, hyphen after hyphen-separated character


def test_names_at_the_length_limit_and_with_hyphens(world: World, net: Network):
    """63-character and hyphen-heavy names, and a name that is a prefix of another: each is
    judged, recorded, reported and restored as itself."""
    assert len(LONGEST) == 63
    names = [LONGEST, "churn--model---v2", "churn", "churn-v2"]
    world.build(*(spec(name, tags={RECLAIM: "delete", MARK: DUE}) for name in names),
                spec(LONGEST[:-2] + "-c", traffic=None, tags={RECLAIM: "delete"}))
    before = world.state()
    outcome = world.invoke(max_actions_per_run=10)

    happened = assert_only_reported_changes(world, before, outcome)
    assert happened == {**{name: {"deleted"} for name in names}, LONGEST[:-2] + "-c": {"marked"}}
    for name in names:
        [key] = world.records(name)
        assert key.split("/")[3] == name and world.record(key)["endpoint"]["EndpointName"] == name
    ledger = open_ledger("s3://cw-ledger/prod", world.clients)
    with net.paused():
        for name in ("churn", LONGEST):
            assert restore(name, REGION, ledger, world.clients).status == "restored"
        restored = world.state()
    assert restored["churn"]["config"] == "churn-config" and "churn-v2" not in restored
    assert restored[LONGEST]["config"] == f"{LONGEST}-config"
    [text] = world.digest_texts()
    assert f"cost-watcher restore {LONGEST} --region {REGION} --ledger s3://cw-ledger/prod" in text


ODD_OPT_INS = {
    "upper-case": {RECLAIM: "Delete"},
    "shouting": {RECLAIM: "DELETE"},
    "leading-space": {RECLAIM: " delete"},
    "trailing-space": {RECLAIM: "delete "},
    "newline": {RECLAIM: "delete\n"},
    "underscore": {RECLAIM: "scale_down"},
    "tab": {RECLAIM: "scale-down\t"},
    "accent": {RECLAIM: "délete"},
    "empty": {RECLAIM: ""},
    "key-case": {"Cost-Watcher:reclaim": "delete"},
    "key-space": {" cost-watcher:reclaim": "delete"},
}


def test_odd_case_or_whitespace_in_the_opt_in_is_never_an_opt_in(world: World, net: Network):
    world.build(*(spec(f"odd-{name}", tags={**tags, MARK: DUE}) for name, tags in ODD_OPT_INS.items()))
    before = world.state()
    for night in range(2):
        world.clock.move_to(NOW + timedelta(days=night))
        outcome = world.invoke(scheduled(f"night-{night}"))
        assert assert_only_reported_changes(world, before, outcome) == {}
        for name in ODD_OPT_INS:
            finding = outcome.finding(f"odd-{name}")
            assert (finding["verdict"], finding["action"], finding["reclaim_tag"]) == ("idle", "none", None)
            assert any("not an opt-in" in w or "not spelled exactly" in w for w in finding["warnings"]), finding
    assert world.records() == []


@pytest.mark.parametrize("value", ["TRUE", " true", "yes"])
def test_odd_ignore_tag_on_an_opted_in_endpoint_blocks_reclaim(world: World, net: Network, value: str):
    world.build(spec("keep-me", tags={RECLAIM: "delete", MARK: DUE, IGNORE: value}), *fleet()[:1])
    outcome = world.invoke()

    assert "keep-me" in world.state()
    assert any("not recognised" in w for w in outcome.finding("keep-me")["warnings"])


def test_odd_but_readable_marks(world: World, net: Network):
    """Our own mark, edited by hand: padded dates are read, unreadable ones restart the grace
    period (re-marked today), future ones keep the endpoint waiting."""
    world.build(spec("padded", tags={RECLAIM: "delete", MARK: f"  {DUE} "}),
                spec("slashes", tags={RECLAIM: "delete", MARK: DUE.replace("-", "/")}),
                spec("future", tags={RECLAIM: "delete", MARK: "2099-01-01"}), *fleet()[:1])
    before = world.state()
    outcome = world.invoke()

    assert assert_only_reported_changes(world, before, outcome) == {"padded": {"deleted"}, "slashes": {"marked"}}
    slashes = outcome.finding("slashes")
    assert slashes["action"] == "mark" and any("not a date" in w for w in slashes["warnings"])
    assert world.state()["slashes"]["tags"][MARK] == NOW.date().isoformat()
    assert outcome.finding("future")["action"] == "none" and "in its grace period" in \
        outcome.finding("future")["action_reason"]


def test_empty_account(world: World, net: Network):
    world.regions = (REGION, "eu-west-1")
    outcome = world.invoke(notify="findings")

    assert outcome.status == "ok" and outcome.report["endpoints"] == [] and outcome.report["errors"] == []
    assert outcome.report["notification"] == "skipped: notify=findings and nothing to report"
    assert world.digests() == [] and world.records() == []
    mutations = [name for name in net.delivered if name.split(":")[1].startswith(("Add", "Delete", "Update",
                                                                                   "Register", "Deregister"))]
    assert mutations == []
    assert net.delivered["sagemaker:ListEndpoints"] == 2  # one per region, nothing more to read
