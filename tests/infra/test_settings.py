"""Deployment settings: cdk.json defaults, what is accepted, and how a bad value is reported."""

from __future__ import annotations

import pytest

from cost_watcher.errors import SettingsError
from cost_watcher.settings import Settings
from infra.settings import CONTEXT_KEYS, DeploySettings, load, parse_schedule
from tests.infra.synthesis import cdk_context


def test_cdk_json_holds_every_setting_with_the_code_defaults():
    context = cdk_context()
    ours = {key for key in context if key.replace("_", "").isalnum() and key.islower()}
    assert ours == set(CONTEXT_KEYS)
    assert load(context) == DeploySettings()


def test_report_mode_is_the_default():
    settings = load(cdk_context())
    assert settings.engine.mode == "report" and not settings.act


def test_shared_keys_are_parsed_by_the_engine_from_strings_as_given_with_dash_c():
    settings = load({"regions": "eu-west-1, us-east-1", "lookback_days": "14", "mode": "act",
                     "underused_scale_down": "true", "tag_prefix": "team-x:"})
    assert settings.engine == Settings(regions=("eu-west-1", "us-east-1"), lookback_days=14, dry_run=False,
                                       underused_scale_down=True, tag_prefix="team-x:")


def test_deployment_keys_accept_strings_as_given_with_dash_c():
    settings = load({"memory_mb": "2048", "timeout_minutes": "10", "log_retention_days": "30",
                     "notify_emails": "a@example.com, b@example.org,a@example.com", "log_level": "debug"})
    assert (settings.memory_mb, settings.timeout_minutes, settings.log_retention_days) == (2048, 10, 30)
    assert settings.notify_emails == ("a@example.com", "b@example.org")
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize("expression", [
    "cron(0 2 * * ? *)",
    "cron(30 1-5/2 ? * MON-FRI *)",
    "cron(15 6 L * ? *)",
    "cron(0 8 ? * 2#1 *)",
    "cron(0 */6 * * ? *)",
    "cron(0 0 1,15 JAN-JUN ? 2027-2030)",
    "rate(1 day)",
    "rate(12 hours)",
    "rate(60 minutes)",
])
def test_schedules_eventbridge_scheduler_accepts(expression):
    assert parse_schedule(expression) == expression


@pytest.mark.parametrize(("expression", "why"), [
    ("daily", "cron(minute hour"),
    ("cron(0 2 * * ?)", "cron(minute hour"),  # five fields: Unix cron, not Scheduler's
    ("cron(0,30 2 * * ? *)", "minutes field"),  # more than once an hour
    ("cron(0 24 * * ? *)", "hours field"),
    ("cron(0 2 * * * *)", "exactly one of day-of-month and day-of-week"),
    ("cron(0 2 ? * ? *)", "exactly one of day-of-month and day-of-week"),
    ("cron(0 2 * FOO ? *)", "month field"),
    ("rate(1 days)", "rate(N"),
    ("rate(2 hour)", "rate(N"),
    ("rate(30 minutes)", "at least 1 hour"),
    ("rate(0 days)", "rate(N"),
])
def test_bad_schedules_are_refused_with_what_is_accepted(expression, why):
    with pytest.raises(SettingsError) as raised:
        load({"schedule": expression})
    message = str(raised.value)
    assert message.startswith(f"setting 'schedule': {expression!r} is not accepted; expected")
    assert why in message


@pytest.mark.parametrize(("context", "key", "value", "accepted"), [
    ({"timezone": "Mars/Olympus"}, "timezone", "'Mars/Olympus'", "IANA time zone"),
    ({"timezone": "CET "}, "timezone", "'CET '", "IANA time zone"),
    ({"notify_emails": "ops@example.com,not-an-address"}, "notify_emails", "'not-an-address'", "e-mail address"),
    ({"notify_emails": ["ops@example"]}, "notify_emails", "'ops@example'", "e-mail address"),
    ({"notify_emails": 42}, "notify_emails", "42", "comma-separated"),
    ({"lookback_days": "99"}, "lookback_days", "99", "from 1 to 63"),
    ({"mode": "destroy"}, "mode", "'destroy'", "report | act"),
    ({"regions": "eu-west-1,moon-1"}, "regions", "'moon-1'", "AWS region names"),
    ({"tag_prefix": "aws:x"}, "tag_prefix", "'aws:x'", "does not start with 'aws:'"),
    ({"notify": "sometimes"}, "notify", "'sometimes'", "always | findings | actions | never"),
    ({"underused_scale_down": "maybe"}, "underused_scale_down", "'maybe'", "true or false"),
    ({"slack_workspace_id": "t-lower", "slack_channel_id": "C1"}, "slack_workspace_id", "'t-lower'", "workspace"),
    ({"memory_mb": "64"}, "memory_mb", "64", "from 128 to 10240"),
    ({"timeout_minutes": 16}, "timeout_minutes", "16", "from 1 to 15"),
    ({"log_retention_days": 10}, "log_retention_days", "10", "retention periods"),
    ({"log_level": "LOUD"}, "log_level", "'LOUD'", "DEBUG | INFO | WARNING | ERROR"),
    ({"stack_name": "1st"}, "stack_name", "'1st'", "CloudFormation stack name"),
    ({"powertools_layer_version": 0}, "powertools_layer_version", "0", "whole number"),
])
def test_a_bad_value_names_key_value_and_what_is_accepted(context, key, value, accepted):
    with pytest.raises(SettingsError) as raised:
        load(context)
    message = str(raised.value)
    assert message.startswith(f"setting '{key}': {value} is not accepted; expected")
    assert accepted in message
    assert "\n" not in message


@pytest.mark.parametrize("given", ["slack_workspace_id", "slack_channel_id"])
def test_slack_ids_come_in_pairs(given):
    value = "T0123ABCD" if given == "slack_workspace_id" else "C0123ABCD"
    with pytest.raises(SettingsError, match="expected both Slack ids or neither"):
        load({given: value})


def test_both_slack_ids_or_neither_is_fine():
    assert load({"slack_workspace_id": "T0123ABCD", "slack_channel_id": "C0123ABCD"}).slack
    assert not load({"slack_workspace_id": "", "slack_channel_id": ""}).slack


def test_a_misspelt_key_is_an_error_not_a_silent_default():
    with pytest.raises(SettingsError) as raised:
        load({"lookbak_days": 3})
    assert "unknown key(s) 'lookbak_days'" in str(raised.value)
    assert "lookback_days" in str(raised.value)


def test_keys_owned_by_the_stack_cannot_be_set_from_context():
    for key in ("topic_arn", "ledger", "dry_run", "max_workers"):
        with pytest.raises(SettingsError, match=f"unknown key\\(s\\) '{key}'"):
            load({key: "x"})


def test_cdk_own_context_keys_are_left_alone():
    assert load({"@aws-cdk/core:target-partitions": ["aws"], "cli-telemetry": False,
                 "aws:cdk:enable-path-metadata": True}) == DeploySettings()


def test_main_prints_one_line_and_exits_non_zero_on_a_bad_setting(capsys):
    from infra.entry import main

    assert main({"lookback_days": "99"}) == 2
    err = capsys.readouterr().err
    assert err == "cost-watcher: setting 'lookback_days': 99 is not accepted; expected a whole number from 1 to 63\n"
