"""Organization mode under faults: one account throttled past every retry, one region down in one
account, an account without the spoke role. The rest is reported and acted on; nothing is acted
on where it was not seen, and each unseen part names its account."""

from __future__ import annotations

import pytest
from faultnet import Network

from cost_watcher.organization.accounts import list_accounts
from cost_watcher.organization.config import OrgSettings
from cost_watcher.organization.pool import run_organization
from cost_watcher.settings import Settings
from tests.organization.world import LEDGER, REGIONS, build_world
from tests.support.names import OTHER_REGION, REGION


@pytest.fixture
def org_world(net: Network, now):
    from moto import mock_aws

    with mock_aws():
        yield build_world(now)


def remaining(world, name: str, region: str = REGION) -> set[str]:
    from moto.sagemaker.models import sagemaker_backends

    return set(sagemaker_backends[world.account(name).id][region].endpoints)


def test_a_throttled_account_and_a_region_down_leave_the_rest_reported_and_acted_on(org_world, net):
    world = org_world
    team_a, team_b = world.account("team-a").id, world.account("team-b").id
    net.throttle(1.0, seed=12, match=lambda r: r.account == team_a and r.service == "sagemaker")
    net.unreachable(lambda r: r.account == team_b and r.region == REGION)
    settings = Settings(regions=REGIONS, pricing="table", ledger=LEDGER, topic_arn=world.topic, dry_run=False)
    accounts = list_accounts(world.hub.client("organizations", REGION), OrgSettings())
    report = run_organization(settings, OrgSettings(), world.hub, accounts, now=world.now)

    seen = {a.name: a.seen for a in report.accounts}
    assert seen["master"] == "seen"
    assert seen["team-a"].startswith("not seen: ") and "Throttling" in seen["team-a"]
    assert seen["team-b"].startswith(f"not seen: {REGION}: ") and OTHER_REGION not in seen["team-b"]
    assert seen["team-c"].startswith("not seen: ") and "AccessDenied" in seen["team-c"]
    assert {e.account for e in report.errors} == {team_a, team_b, world.account("team-c").id}
    # acted on where seen: team-b's other region; nothing where not seen
    done = {f.name for f in report.findings if f.action_result and f.action_result.kind == "done"}
    assert done == {"b-west"}
    assert "b-west" not in remaining(world, "team-b", OTHER_REGION)
    assert "a-churn" in remaining(world, "team-a") and "c-idle" in remaining(world, "team-c")
    assert not any(f.account == team_a for f in report.findings), "a throttled account yields no guessed verdicts"
