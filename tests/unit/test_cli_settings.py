"""Reproduce a deployed night: every setting under the deployment's name, as a flag, in --config FILE
and as COST_WATCHER_* (file < environment < flag), and errors in the words the user typed."""

from __future__ import annotations

import json

import pytest

from cost_watcher.faces.cli import EXIT_USAGE, build_parser, main
from cost_watcher.faces.config import DEPLOY_ONLY_KEYS, FLAGS, gather
from cost_watcher.settings import SETTING_KEYS


def settings_of(argv, environ=None):
    args = build_parser().parse_args(argv)
    return gather(args, environ or {}, argv)


def test_every_deployment_setting_has_a_flag_of_the_same_name():
    scan = build_parser()._subparsers._group_actions[0].choices["scan"]
    options = set(scan._option_string_actions)
    for key in SETTING_KEYS:
        if key not in ("dry_run", "regions", "mode"):
            assert "--" + key.replace("_", "-") in options, key
    assert {"--region", "--mode", "--apply", "--dry-run", "--profile", "--exclude-region", "--config"} <= options
    assert FLAGS["max_actions_per_run"] == "--max-actions"


def test_the_deployment_only_keys_are_the_deployments():
    from infra.settings import INFRA_KEYS

    assert sorted(DEPLOY_ONLY_KEYS) == sorted(INFRA_KEYS)


def test_file_then_environment_then_flags(tmp_path):
    config = tmp_path / "night.json"
    config.write_text(json.dumps({"lookback_days": 14, "grace_days": 5, "max_actions_per_run": 2,
                                  "underused_max_daily_invocations": 20, "schedule": "cron(0 2 * * ? *)"}))
    got = settings_of(["scan", "--config", str(config), "--grace-days", "9"],
                      {"COST_WATCHER_GRACE_DAYS": "7", "COST_WATCHER_MAX_ACTIONS_PER_RUN": "3"}).settings
    assert (got.lookback_days, got.grace_days, got.max_actions_per_run, got.underused_max_daily_invocations) == \
        (14, 9, 3, 20)


def test_cdk_json_itself_is_a_config_file(tmp_path):
    from pathlib import Path

    cdk = Path(__file__).resolve().parents[2] / "cdk.json"
    got = settings_of(["scan", "--config", str(cdk)]).settings
    context = json.loads(cdk.read_text())["context"]
    assert got.lookback_days == context["lookback_days"] and got.tag_prefix == context["tag_prefix"]


def test_every_setting_works_as_an_environment_variable():
    env = {"COST_WATCHER_LAST_USED_DAYS": "45", "COST_WATCHER_UNDERUSED_SCALE_DOWN": "true",
           "COST_WATCHER_UNDERUSED_MAX_UTILIZATION_PCT": "5", "COST_WATCHER_REGIONS": "eu-west-1,us-east-1",
           "COST_WATCHER_PRICING": "table", "COST_WATCHER_TAG_PREFIX": "cw:"}
    got = settings_of(["scan"], env).settings
    assert (got.last_used_days, got.underused_scale_down, got.underused_max_utilization_pct, got.regions,
            got.pricing, got.tag_prefix) == (45, True, 5.0, ("eu-west-1", "us-east-1"), "table", "cw:")


def test_act_from_a_file_or_the_environment_is_not_obeyed(tmp_path):
    config = tmp_path / "c.json"
    config.write_text('{"mode": "act"}')
    gathered = settings_of(["scan", "--config", str(config)], {"COST_WATCHER_MODE": "act"})
    assert gathered.settings.dry_run and not gathered.act
    assert any("--apply" in note for note in gathered.notes)
    assert not settings_of(["scan", "--mode", "act"]).settings.dry_run
    assert not settings_of(["scan", "--apply"]).settings.dry_run


def test_regions_all_and_exclusions():
    gathered = settings_of(["scan", "--region", "all", "--exclude-region", "eu-west-1"])
    assert gathered.all_regions and gathered.exclude == ("eu-west-1",) and gathered.settings.regions == ()
    assert settings_of(["scan", "--region", "us-east-1,eu-west-1"]).settings.regions == ("us-east-1", "eu-west-1")


@pytest.mark.parametrize(("argv", "env", "words"), [
    (["scan", "--max-actions", "-1"], {}, "--max-actions: -1 is not accepted"),
    (["scan", "--max-actions-per-run", "-1"], {}, "--max-actions-per-run: -1 is not accepted"),
    (["scan", "--last-used-days", "3"], {}, "--last-used-days: 3 is not accepted"),
    (["scan", "--lookback-days", "40"], {}, "--last-used-days (not given: its default): 30"),
    (["scan", "--underused-max-utilization-pct", "120"], {}, "--underused-max-utilization-pct: 120.0"),
    (["scan"], {"COST_WATCHER_GRACE_DAYS": "-1"}, "COST_WATCHER_GRACE_DAYS: -1 is not accepted"),
    (["scan"], {"COST_WATCHER_MODE": "ACT"}, "COST_WATCHER_MODE: 'ACT' is not accepted"),
    (["scan", "--region", "mars-1"], {}, "--region: 'mars-1' is not accepted"),
    (["scan", "--region", "all,us-east-1"], {}, "'all' stands alone"),
    (["scan", "--exclude-region", "moon"], {}, "--exclude-region: 'moon' is not accepted"),
])
def test_errors_name_what_the_user_typed(argv, env, words, capsys, monkeypatch):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(argv) == EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err, err
    assert "max_actions_per_run" not in err and "setting '" not in err


def test_config_file_errors_name_the_file_and_the_key(tmp_path, capsys):
    config = tmp_path / "night.json"
    config.write_text('{"lookback_days": 99}')
    assert main(["scan", "--config", str(config)]) == EXIT_USAGE
    assert f"'lookback_days' in {config}: 99 is not accepted" in capsys.readouterr().err
    config.write_text('{"lookbak_days": 7}')
    assert main(["scan", "--config", str(config)]) == EXIT_USAGE
    assert "unknown key(s) 'lookbak_days'" in capsys.readouterr().err
    config.write_text("{nope")
    assert main(["scan", "--config", str(config)]) == EXIT_USAGE
    assert "not JSON" in capsys.readouterr().err
    assert main(["scan", "--config", str(tmp_path / "absent.json")]) == EXIT_USAGE
    assert "no such file" in capsys.readouterr().err
