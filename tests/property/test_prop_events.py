"""Fuzzing the two doors settings come in by: a manual invoke's event and the deployed
environment. Any input is either accepted as valid settings or refused with a message
(EventError / SettingsError, both ValueError) — never a stack trace for a user mistake."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cost_watcher.errors import EventError, SettingsError
from cost_watcher.faces.handler import OVERRIDABLE, settings_for
from cost_watcher.settings import SETTING_KEYS, Settings, from_environment, validate

QUICK = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
DEPLOYED = Settings(regions=("us-east-1",), dry_run=False, max_actions_per_run=5, ledger="s3://cw-ledger/prod")

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True), st.text(max_size=20),
              st.sampled_from(["us-east-1", "eu-west-1", "act", "report", "true", "7", " 7 ", "always", "never"])),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children,
                                                                                 max_size=4)),
    max_leaves=12)
keys = st.one_of(st.sampled_from(SETTING_KEYS), st.sampled_from(OVERRIDABLE), st.text(max_size=12))
events = st.one_of(
    json_values,
    st.fixed_dictionaries({"overrides": st.dictionaries(keys, json_values, max_size=4)}),
    st.dictionaries(st.one_of(st.sampled_from(["overrides", "id", "detail", "source", "time"]), st.text(max_size=8)),
                    json_values, max_size=4),
)


def _accepted_or_told(call) -> Settings | str:
    try:
        return call()
    except (EventError, SettingsError) as error:
        message = str(error)
        assert message and "Traceback" not in message
        return message


@QUICK
@given(events)
def test_any_event_is_valid_narrowed_settings_or_a_clear_refusal(event):
    outcome = _accepted_or_told(lambda: settings_for(event, DEPLOYED))
    if isinstance(outcome, Settings):
        assert validate(outcome) is outcome
        assert outcome.max_actions_per_run <= DEPLOYED.max_actions_per_run
        assert (outcome.ledger, outcome.topic_arn, outcome.tag_prefix, outcome.grace_days) == (
            DEPLOYED.ledger, DEPLOYED.topic_arn, DEPLOYED.tag_prefix, DEPLOYED.grace_days)  # never widened
    else:
        assert any(word in outcome for word in ("expected", "accepted", "accepts", "must be", "cannot", "only lower"))


@QUICK
@given(st.dictionaries(st.one_of(st.sampled_from(SETTING_KEYS), st.text(max_size=10)).map(
    lambda key: "COST_WATCHER_" + key.upper()), st.text(max_size=24), max_size=5))
def test_any_environment_is_valid_settings_or_a_clear_refusal(environ):
    outcome = _accepted_or_told(lambda: from_environment(environ))
    if isinstance(outcome, Settings):
        assert validate(outcome) is outcome
    else:
        assert "setting" in outcome or "environment" in outcome


@pytest.mark.parametrize("overrides", [[], "", 0, False])
def test_overrides_of_the_wrong_type_are_refused_even_when_empty(overrides):
    with pytest.raises(EventError, match="'overrides' must be an object"):
        settings_for({"overrides": overrides}, DEPLOYED)
