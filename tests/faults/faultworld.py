"""A moto account for whole nightly runs at a frozen clock: the fleet of test endpoints, the
invocation through the Lambda handler (shared by tests/faults and tests/soak; the safety
oracle every fault test ends with is in oracle.py)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from faultnet import Network, Request, call
from moto.core import DEFAULT_ACCOUNT_ID

from cost_watcher.faces import handler
from cost_watcher.reclaim import actions
from cost_watcher.scan.clients import Clients
from cost_watcher.settings import Settings, to_environment
from cost_watcher.sim.account import build_account
from cost_watcher.sim.moto_fidelity import make_moto_behave_like_aws, simulate_inference_components
from cost_watcher.sim.specs import EndpointSpec, VariantSpec, busy, trickle
from tests.support.fleet import spec
from tests.support.names import FAST, MARK, RECLAIM, REGION

NOW = datetime(2025, 3, 10, 2, 0, tzinfo=UTC)  # the nightly schedule's hour
BUCKET, LEDGER = "cw-ledger", "s3://cw-ledger/prod"
DUE = (NOW - timedelta(days=5)).date().isoformat()  # marked long enough ago: reclaimed this run
YESTERDAY = (NOW - timedelta(days=1)).date().isoformat()  # marked yesterday: in its grace period


def reclaim_starts(request: Request) -> bool:
    """Reclaim's first call: it looks for our mark on busy endpoints with the tagging API (every
    fleet here has busy endpoints). The scan's own tag listing asks for every tag, not for a key."""
    return request.operation == "GetResources" and bool(request.params().get("TagFilters"))


def after_scan(net: Network, action: Callable[[], None]) -> None:
    """Run `action` once, when the scan is over and reclaim starts."""
    net.before(call("resourcegroupstaggingapi:GetResources", when=reclaim_starts), lambda _: action(), times=1)


def sagemaker_backend(region: str = REGION) -> Any:
    from moto.sagemaker.models import sagemaker_backends

    return sagemaker_backends[DEFAULT_ACCOUNT_ID][region]


# --- the account ------------------------------------------------------------------------------

def fleet(region: str = REGION, suffix: str = "") -> list[EndpointSpec]:
    """One endpoint for every path through a nightly run in act mode (expected outcome in the name)."""
    s = suffix
    return [
        spec(f"busy-api{s}", region=region, traffic=busy(120), tags={RECLAIM: "delete"}),
        spec(f"busy-marked{s}", region=region, traffic=busy(120), tags={RECLAIM: "delete", MARK: DUE}),
        spec(f"idle-due{s}", region=region, tags={RECLAIM: "delete", MARK: DUE}, autoscaling=(1, 2, 50)),
        spec(f"idle-due-scale{s}", region=region, count=3, tags={RECLAIM: "scale-down", MARK: DUE},
             autoscaling=(2, 4, 100)),
        spec(f"idle-fresh{s}", region=region, instance_type="ml.m5.xlarge", tags={RECLAIM: "delete"}),
        spec(f"idle-grace{s}", region=region, tags={RECLAIM: "delete", MARK: YESTERDAY}),
        spec(f"idle-untagged{s}", region=region, tags={"team": "growth"}),
        spec(f"idle-typo{s}", region=region, tags={RECLAIM: "Delete "}),
        spec(f"trickle-underused{s}", region=region, tags={RECLAIM: "scale-down"},
             variants=(VariantSpec(count=3, traffic=trickle(12), cpu_pct=4),)),
        spec(f"too-new{s}", region=region, age_days=2, tags={RECLAIM: "delete"}),
    ]


# What a fault-free nightly run in act mode does with `fleet()`: (verdict, action, result).
FLEET_OUTCOME = {
    "busy-api": ("active", "none", None),
    "busy-marked": ("active", "unmark", "done"),
    "idle-due": ("idle", "delete", "done"),
    "idle-due-scale": ("idle", "scale-down", "done"),
    "idle-fresh": ("idle", "mark", "done"),
    "idle-grace": ("idle", "none", None),
    "idle-typo": ("idle", "none", None),
    "idle-untagged": ("idle", "none", None),
    "too-new": ("too-new", "none", None),
    "trickle-underused": ("underused", "none", None),
}
FLEET_CHANGES = {"busy-marked": {"unmarked"}, "idle-due": {"deleted"}, "idle-due-scale": {"scaled"},
                 "idle-fresh": {"marked"}}


def scheduled(event_id: str = "night-1", at: datetime = NOW) -> dict[str, Any]:
    """An EventBridge Scheduler event due `at`; its id is the run id, and both are the same on a
    Lambda retry."""
    return {"version": "0", "id": event_id, "detail-type": "Scheduled Event", "source": "aws.scheduler",
            "account": DEFAULT_ACCOUNT_ID, "time": at.isoformat(), "region": REGION,
            "resources": [f"arn:aws:scheduler:{REGION}:{DEFAULT_ACCOUNT_ID}:schedule/default/cost-watcher"],
            "detail": {}}


@dataclass
class Outcome:
    """One invocation: the handler's response and the report it stored (None when it stored none)."""

    response: dict[str, Any]
    report: dict[str, Any] | None

    @property
    def status(self) -> str:
        return self.response["status"]

    def finding(self, name: str) -> dict[str, Any]:
        assert self.report is not None, self.response
        found = [f for f in self.report["endpoints"] if f["name"] == name]
        assert len(found) == 1, f"{name} is in the report {len(found)} times"
        return found[0]

    def verdicts(self) -> dict[tuple[str, str], tuple[str, str, str | None]]:
        """(region, name) -> (verdict, action, action result) of every finding."""
        assert self.report is not None, self.response
        return {(f["region"], f["name"]): (f["verdict"], f["action"], f["action_result"])
                for f in self.report["endpoints"]}

    def errors(self) -> list[tuple[str, str]]:
        assert self.report is not None, self.response
        return [(e["region"], e["operation"]) for e in self.report["errors"]]


@dataclass
class World:
    clients: Clients
    clock: Any  # time_machine traveller
    net: Network
    topic_arn: str
    regions: tuple[str, ...] = (REGION,)
    specs: list[EndpointSpec] = field(default_factory=list)

    def build(self, *specs: EndpointSpec, history_days: int = 8) -> None:
        with self.net.paused():
            build_account(self.clients, specs, NOW, history_days=history_days)
        self.specs.extend(specs)

    def settings(self, **changes: Any) -> Settings:
        values: dict[str, Any] = {"regions": self.regions, "dry_run": False, "pricing": "table", "ledger": LEDGER,
                                  "topic_arn": self.topic_arn, "notify": "always", **changes}
        return Settings(**values)

    def invoke(self, event: Any = None, *, context: Any = None, **changes: Any) -> Outcome:
        """The Lambda's handler, in-process, with the deployed settings in its environment."""
        environ = to_environment(self.settings(**changes))
        response = handler.handle(scheduled() if event is None else event, context, environ, self.clients)
        return Outcome(response, self.stored(response.get("report_location")))

    def handle_raw(self, event: Any, environ: dict[str, str]) -> dict[str, Any]:
        return handler.handle(event, None, environ, self.clients)

    def restart(self) -> None:
        """A new Lambda process: new clients (call counts, rate limiters), the same account."""
        self.clients = Clients()
        simulate_inference_components(self.clients, [])

    # -- looking at the account, never through the faults --
    def stored(self, location: str | None) -> dict[str, Any] | None:
        if not location:
            return None
        bucket, _, key = location.removeprefix("s3://").partition("/")
        with self.net.paused():
            return json.loads(self.clients.s3().get_object(Bucket=bucket, Key=key)["Body"].read())

    def records(self, endpoint: str | None = None, region: str = REGION) -> list[str]:
        """Restore-record keys in the ledger (all endpoints of the region, or one)."""
        prefix = f"prod/ledger/{region}/" + (f"{endpoint}/" if endpoint else "")
        with self.net.paused():
            pages = self.clients.s3().get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
            return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def record(self, key: str) -> dict[str, Any]:
        with self.net.paused():
            return json.loads(self.clients.s3().get_object(Bucket=BUCKET, Key=key)["Body"].read())

    def digests(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(message id, subject, attributes) of everything published to the digest topic."""
        from moto.sns.models import sns_backends

        topic = sns_backends[DEFAULT_ACCOUNT_ID][REGION].topics[self.topic_arn]
        return [(sent[0], sent[2], sent[3]) for sent in topic.sent_notifications]

    def digest_texts(self) -> list[str]:
        """The plain-text (email) part of every digest published."""
        from moto.sns.models import sns_backends

        topic = sns_backends[DEFAULT_ACCOUNT_ID][REGION].topics[self.topic_arn]
        return [json.loads(sent[1])["email"] for sent in topic.sent_notifications]

    def state(self, region: str = REGION) -> dict[str, dict[str, Any]]:
        """What matters of every endpoint: identity, capacity, tags and autoscaling floors."""
        with self.net.paused():
            sagemaker, autoscaling = self.clients.sagemaker(region), self.clients.autoscaling(region)
            targets = {t["ResourceId"]: (t["MinCapacity"], t["MaxCapacity"]) for page in
                       autoscaling.get_paginator("describe_scalable_targets").paginate(ServiceNamespace="sagemaker")
                       for t in page["ScalableTargets"]}
            policies = Counter(p["ResourceId"] for page in
                               autoscaling.get_paginator("describe_scaling_policies").paginate(
                                   ServiceNamespace="sagemaker") for p in page["ScalingPolicies"])
            found: dict[str, dict[str, Any]] = {}
            for page in sagemaker.get_paginator("list_endpoints").paginate():
                for item in page["Endpoints"]:
                    name = item["EndpointName"]
                    live = sagemaker.describe_endpoint(EndpointName=name)
                    tags = sagemaker.list_tags(ResourceArn=live["EndpointArn"])["Tags"]
                    found[name] = {
                        "created": live["CreationTime"].isoformat(),
                        "config": live["EndpointConfigName"],
                        "status": live["EndpointStatus"],
                        "instances": {v["VariantName"]: (v.get("DesiredInstanceCount"), v.get("CurrentInstanceCount"))
                                      for v in live["ProductionVariants"]},
                        "tags": {t["Key"]: t["Value"] for t in tags},
                        "scaling": {k: v for k, v in targets.items() if k.startswith(f"endpoint/{name}/")},
                        "policies": sum(n for k, n in policies.items() if k.startswith(f"endpoint/{name}/")),
                    }
            return found


def _tags_of_a_missing_endpoint(request: Request) -> bool:
    """moto fails inside itself (AttributeError) on tag calls for a deleted endpoint."""
    arn = str(request.params().get("ResourceArn", ""))
    return ":endpoint/" in arn and arn.rsplit("/", 1)[-1] not in sagemaker_backend(request.region).endpoints


def _open_world(net: Network, traveller: Any) -> World:
    make_moto_behave_like_aws()
    # ... where AWS answers ValidationException (aws/amazon-sagemaker-feedback#108)
    for operation in ("AddTags", "DeleteTags", "ListTags") if not any(r.effect == "emulate" for r in net.rules) else ():
        net.emulate(call(f"sagemaker:{operation}", when=_tags_of_a_missing_endpoint), "ValidationException",
                    "Could not find resource: the endpoint does not exist")
    clients = Clients()
    simulate_inference_components(clients, [])
    with net.paused():
        clients.s3().create_bucket(Bucket=BUCKET)
        topic = clients.sns(REGION).create_topic(Name="cost-watcher-digest")["TopicArn"]
    return World(clients, traveller, net, topic)


@pytest.fixture
def world(net: Network, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A moto account at NOW (the clock moves only when a test moves it), with the ledger
    bucket and the digest topic the deployed stack creates."""
    from moto import mock_aws

    monkeypatch.setattr(actions, "WAIT", FAST)  # an Updating endpoint is waited for 0 s, not a minute
    with time_machine.travel(NOW, tick=False) as traveller, mock_aws():
        yield _open_world(net, traveller)


def new_account(old: World) -> World:
    """A second, empty account in the same test (moto's backends reset, new clients)."""
    from moto.core.base_backend import BackendDict

    BackendDict.reset()
    old.clock.move_to(NOW)
    return _open_world(old.net, old.clock)
