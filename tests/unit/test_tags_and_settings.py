"""The tag contract and settings validation: exact opt-in, clear errors."""

from __future__ import annotations

from datetime import date

import pytest

from cost_watcher.errors import SettingsError
from cost_watcher.judge.tags import parse_tags
from cost_watcher.settings import Settings, from_environment, from_mapping, to_environment

P = "cost-watcher:"


@pytest.mark.parametrize("value", ["delete", "scale-down"])
def test_exact_opt_in(value):
    state = parse_tags({P + "reclaim": value}, P)
    assert state.reclaim == value and state.warnings == []


@pytest.mark.parametrize("value", ["Delete", "DELETE", " delete", "delete ", "scale_down", "yes", ""])
def test_odd_values_are_no_opt_in_and_warn(value):
    state = parse_tags({P + "reclaim": value}, P)
    assert state.reclaim is None
    assert len(state.warnings) == 1 and repr(value) in state.warnings[0]


def test_misspelt_key_warns():
    state = parse_tags({"Cost-Watcher:Reclaim": "delete"}, P)
    assert state.reclaim is None and "not spelled exactly" in state.warnings[0]


def test_ignore_and_mark():
    state = parse_tags({P + "ignore": "true", P + "idle-since": "2026-11-01"}, P)
    assert state.ignore and state.idle_since == date(2026, 11, 1)
    assert not parse_tags({P + "ignore": "True"}, P).ignore
    broken = parse_tags({P + "idle-since": "last tuesday"}, P)
    assert broken.idle_since is None and "not a date" in broken.warnings[0]


def test_prefix_is_configurable():
    assert parse_tags({"finops/reclaim": "delete"}, "finops/").reclaim == "delete"
    assert parse_tags({P + "reclaim": "delete"}, "finops/").reclaim is None


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"lookback_days": 0}, "'lookback_days': 0 is not accepted; expected a whole number from 1 to 63"),
        ({"lookback_days": 64}, "from 1 to 63"),
        ({"lookback_days": "seven"}, "a whole number"),
        ({"regions": "us-east-1,moon-1"}, "'moon-1'"),
        ({"mode": "delete-everything"}, "report | act"),
        ({"notify": "sometimes"}, "always | findings | actions | never"),
        ({"tag_prefix": "aws:cw:"}, "reserved by AWS"),
        ({"underused_scale_down": "maybe"}, "true or false"),
        ({"colour": "blue"}, "unknown key(s) 'colour'"),
    ],
)
def test_bad_values_say_what_is_accepted(values, words):
    with pytest.raises(SettingsError) as caught:
        from_mapping(values)
    assert words in str(caught.value)


def test_environment_round_trip():
    settings = Settings(
        regions=("us-east-1", "eu-west-1"),
        lookback_days=14,
        dry_run=False,
        grace_days=5,
        tag_prefix="finops/",
        notify="always",
        ledger="s3://bucket/prefix",
        topic_arn="arn:aws:sns:us-east-1:123456789012:cost-watcher",
        underused_scale_down=True,
    )
    assert from_environment(to_environment(settings)) == settings
    assert from_environment({}) == Settings()
