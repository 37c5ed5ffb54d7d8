"""Organization mode end to end on a laptop's fan-out, in moto: Organizations lists the accounts,
STS lands each scan in its member account, and one report and one digest per owner come out.
Faults: a member without the spoke role, a throttled account, a region down in one account."""

from __future__ import annotations

import json

import pytest
from moto import mock_aws

from cost_watcher.organization.accounts import list_accounts
from cost_watcher.organization.config import OrgSettings
from cost_watcher.organization.pool import run_organization
from cost_watcher.reclaim.ledger import open_ledger
from cost_watcher.record import report_to_dict
from cost_watcher.settings import Settings
from tests.organization.world import LEDGER, REGIONS, build_world, published
from tests.support.names import OTHER_REGION, REGION


@pytest.fixture
def world(now):
    with mock_aws():
        yield build_world(now)


def settings_of(world, **changes) -> Settings:
    return Settings(regions=REGIONS, pricing="table", ledger=LEDGER, topic_arn=world.topic, **changes)


def endpoints_in(world, name: str, region: str = REGION) -> set[str]:
    """What is left in a member account, read from moto's side (not through the code under test)."""
    from moto.sagemaker.models import sagemaker_backends

    account = "123456789012" if name == "master" else world.account(name).id
    return set(sagemaker_backends[account][region].endpoints)


def test_accounts_are_the_active_ones_of_the_chosen_units_nested_ones_included_minus_exclusions(world):
    organizations = world.hub.client("organizations", REGION)
    everyone = {a.name for a in list_accounts(organizations, OrgSettings())}
    assert everyone == {"master", "team-a", "team-b", "team-c"}
    in_ml = list_accounts(organizations, OrgSettings(units=(world.org.units["ml"],)))
    assert {a.name for a in in_ml} == {"team-a", "team-b"}, "team-b sits in an OU nested under ml"
    excluded = list_accounts(organizations, OrgSettings(exclude_accounts=(world.account("team-a").id,)))
    assert "team-a" not in {a.name for a in excluded}
    organizations.close_account(AccountId=world.account("team-b").id)
    closing = {a.name for a in list_accounts(organizations, OrgSettings())}
    assert "team-b" not in closing, "a closing account is not ACTIVE"


def test_one_report_names_every_account_and_the_one_not_seen(world):
    accounts = list_accounts(world.hub.client("organizations", REGION), OrgSettings())
    report = run_organization(settings_of(world), OrgSettings(), world.hub, accounts, now=world.now)
    by_name = {(f.account_name, f.name) for f in report.findings}
    assert {("team-a", "a-churn"), ("team-a", "a-busy"), ("team-b", "b-west"), ("master", "hub-idle")} <= by_name
    assert all(f.account and len(f.account) == 12 for f in report.findings)
    seen = {a.name: a.seen for a in report.accounts}
    assert seen["team-a"] == seen["team-b"] == seen["master"] == "seen"
    assert seen["team-c"].startswith("not seen: ") and "AccessDenied" in seen["team-c"]
    assert {e.account for e in report.errors} == {world.account("team-c").id}
    doc = report_to_dict(report)
    assert doc["schema"] == "cost-watcher/report/v1" and len(doc["accounts"]) == 4
    assert doc["endpoints"][0]["account"] and doc["errors"][0]["account"] == world.account("team-c").id
    (digest,) = published(world.topic)
    assert digest.index("BY ACCOUNT") < digest.index("IDLE AND UNDERUSED"), "totals per account come first"
    assert f"{world.account('team-c').id} team-c: not seen" in digest


def test_act_mode_reclaims_in_the_member_accounts_seen_and_nothing_where_not_seen(world):
    accounts = list_accounts(world.hub.client("organizations", REGION), OrgSettings())
    report = run_organization(settings_of(world, dry_run=False), OrgSettings(), world.hub, accounts, now=world.now)
    done = {(f.account_name, f.name) for f in report.findings if f.action_result and f.action_result.kind == "done"}
    assert done == {("team-a", "a-churn"), ("team-b", "b-west")}
    assert "a-churn" not in endpoints_in(world, "team-a")
    assert "b-west" not in endpoints_in(world, "team-b", OTHER_REGION)
    assert "c-idle" in endpoints_in(world, "team-c"), "team-c was not seen: its due, opted-in endpoint stays"
    assert "hub-idle" in endpoints_in(world, "master"), "no opt-in, no reclaim"
    # the restore records are the hub's, keyed by account: the same endpoint name in two accounts cannot collide
    keys = open_ledger(LEDGER, world.hub).store.keys("ledger/")
    assert any(k.startswith(f"ledger/{world.account('team-a').id}/{REGION}/a-churn/") for k in keys)


def test_restore_into_a_member_account_through_the_cli(world, capsys):
    from cost_watcher.faces.cli import main

    accounts = list_accounts(world.hub.client("organizations", REGION), OrgSettings())
    run_organization(settings_of(world, dry_run=False), OrgSettings(), world.hub, accounts, now=world.now)
    team_a = world.account("team-a").id
    assert main(["restore", "a-churn", "--region", REGION, "--ledger", LEDGER]) == 2, \
        "without --account the record is looked for in the hub's own account"
    capsys.readouterr()
    assert main(["restore", "a-churn", "--region", REGION, "--ledger", LEDGER, "--account", team_a,
                 "--role-name", "CostWatcherSpoke"]) == 0
    assert "a-churn" in endpoints_in(world, "team-a")
    assert main(["restore", "a-churn", "--region", REGION, "--ledger", LEDGER, "--account", "12345"]) == 2
    assert "12-digit" in capsys.readouterr().err


def test_each_owner_gets_its_own_endpoints_and_the_central_topic_the_roll_up(world):
    team_a = world.account("team-a").id
    org = OrgSettings(owner_tag="team", owner_routes=((team_a, world.team_topic), ("vision", world.vision_topic)))
    accounts = list_accounts(world.hub.client("organizations", REGION), org)
    run_organization(settings_of(world, notify="always"), org, world.hub, accounts, now=world.now)
    (team,), (vision,), (central,) = published(world.team_topic), published(world.vision_topic), published(world.topic)
    assert "a-churn" in team and "a-vision" not in team and "b-east" not in team, \
        "team-a's digest lists its account's endpoints, except the one its owner tag routes elsewhere"
    assert "a-vision" in vision and "a-churn" not in vision
    assert all(name in central for name in ("a-churn", "a-vision", "b-east", "hub-idle"))


def test_owner_digests_are_sent_once_per_run(world):
    """A retried run (same run id) sends no owner digest twice, as for the central one."""
    team_a = world.account("team-a").id
    org = OrgSettings(owner_routes=((team_a, world.team_topic),))
    accounts = list_accounts(world.hub.client("organizations", REGION), org)
    for _ in range(2):
        run_organization(settings_of(world, notify="always"), org, world.hub, accounts, now=world.now,
                         run_id="night-1")
    assert len(published(world.team_topic)) == 1 and len(published(world.topic)) == 1


def test_scan_organization_from_the_command_line_exits_3_when_an_account_was_not_seen(world, capsys):
    from cost_watcher.faces.cli import main

    code = main(["scan", "--organization", "--region", REGION, "--pricing", "table", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 3
    assert {a["name"]: a["seen"] == "seen" for a in doc["accounts"]} == {
        "master": True, "team-a": True, "team-b": True, "team-c": False}
    team_a = world.account("team-a").id
    assert main(["scan", "--account", team_a, "--region", REGION, "--pricing", "table", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {e["account"] for e in doc["endpoints"]} == {team_a}
    assert main(["scan", "--account", "not-an-id"]) == 2
    assert "12-digit" in capsys.readouterr().err
    assert main(["scan", "--ou", "ou-ab12-cd34ef56"]) == 2
