"""An organization in moto for the organization tests: a management (hub) account with its ledger
bucket and topics, member accounts in OUs with endpoints, one member without the spoke role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cost_watcher.organization.accounts import Account
from cost_watcher.scan.clients import Clients
from cost_watcher.sim.organization import SimulatedOrganization, build_organization
from cost_watcher.sim.specs import VariantSpec, busy
from tests.support.fleet import spec
from tests.support.names import MARK, OTHER_REGION, RECLAIM, REGION

BUCKET, LEDGER = "cw-org-ledger", "s3://cw-org-ledger"
REGIONS = (REGION, OTHER_REGION)


@dataclass
class OrgWorld:
    hub: Clients
    org: SimulatedOrganization
    now: datetime
    topic: str
    team_topic: str  # team-a's own digest (routed by account)
    vision_topic: str  # the endpoints tagged team=vision (routed by owner tag)

    def account(self, name: str) -> Account:
        return self.org.accounts[name]


def build_world(now: datetime) -> OrgWorld:
    """team-a (OU ml): an opted-in endpoint due for deletion, an idle one owned by vision, a busy one;
    team-b (OU ml, nested OU ml/cv): idle endpoints in both regions; team-c (root): no spoke role."""
    due = (now - timedelta(days=5)).date().isoformat()
    hub = Clients()
    members = {
        "team-a": ("ml", [spec("a-churn", tags={RECLAIM: "delete", MARK: due}),
                          spec("a-vision", tags={"team": "vision"}),
                          spec("a-busy", variants=(VariantSpec(traffic=busy(120)),))]),
        "team-b": ("cv", [spec("b-east"), spec("b-west", region=OTHER_REGION, tags={RECLAIM: "delete", MARK: due})]),
        "team-c": (None, [spec("c-idle", tags={RECLAIM: "delete", MARK: due})]),
    }
    org = build_organization(hub, members, now, without_role=["team-c"], hub_specs=[spec("hub-idle")])
    organizations = hub.client("organizations", REGION)
    # cv is nested inside ml: an OU filter on ml reaches team-b too
    organizations.move_account(AccountId=org.accounts["team-b"].id, SourceParentId=org.units["cv"],
                               DestinationParentId=organizations.create_organizational_unit(
                                   ParentId=org.units["ml"], Name="cv-nested")["OrganizationalUnit"]["Id"])
    hub.s3().create_bucket(Bucket=BUCKET)
    sns = hub.sns(REGION)
    topics = [sns.create_topic(Name=name)["TopicArn"] for name in ("central", "team-a", "vision")]
    hub.calls.clear()
    return OrgWorld(hub, org, now, *topics)


def published(topic_arn: str) -> list[str]:
    """The e-mail text of every message published to a moto topic."""
    import json

    from moto.sns.models import sns_backends

    account, region = topic_arn.split(":")[4], topic_arn.split(":")[3]
    return [json.loads(message)["email"] for _, message, _, _, _ in
            sns_backends[account][region].topics[topic_arn].sent_notifications]
