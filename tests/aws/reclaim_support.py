"""Helpers shared by the reclaim and restore tests: a frozen clock, a moto account built by
the demo builder, a scan that reclaims, and a full dump of the account to compare."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from cost_watcher import engine
from cost_watcher.model import Finding, Report
from cost_watcher.reclaim import apply as reclaim
from cost_watcher.scan.clients import Clients
from cost_watcher.settings import Settings
from cost_watcher.sim.account import build_account
from cost_watcher.sim.specs import EndpointSpec
from tests.support.names import FAST, REGION

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
MUTATING = ("Add", "Create", "Delete", "Deregister", "Put", "Register", "Update")


def is_report_write(name: str, params: dict[str, Any]) -> bool:
    # before-call sees the serialised request: the object key is in the URL path
    return name == "s3:PutObject" and "/reports/" in str(params.get("url_path", ""))


def records_in(path: Any) -> list[Any]:
    """Files in a local ledger other than run reports: the restore records."""
    return [p for p in path.rglob("*") if p.is_file() and "reports" not in p.relative_to(path).parts]


@dataclass
class Account:
    clients: Clients
    clock: Any  # time_machine traveller: .move_to(datetime)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # every API call, in order

    def mutations(self) -> list[str]:
        """Changing calls, except the run's own report written under reports/ (every run writes one)."""
        return [name for name, params in self.calls
                if name.split(":")[1].startswith(MUTATING) and not is_report_write(name, params)]

    def build(self, *specs: EndpointSpec) -> None:
        build_account(self.clients, specs, NOW)
        self.calls.clear()

    @property
    def sagemaker(self) -> Any:
        return self.clients.sagemaker(REGION)

    @property
    def autoscaling(self) -> Any:
        return self.clients.autoscaling(REGION)


@pytest.fixture(name="account")
def account_fixture() -> Iterator[Account]:
    """A moto account at a frozen NOW; the clock moves only when a test moves it."""
    from moto import mock_aws

    with time_machine.travel(NOW, tick=False) as traveller, mock_aws():
        clients = Clients()
        state = Account(clients, traveller)

        def record(model: Any, params: dict[str, Any], **_: Any) -> None:
            state.calls.append((f"{model.service_model.service_name}:{model.name}", params))

        clients.register("before-call", record)
        yield state


def settings(ledger: str | None = None, **changes: Any) -> Settings:
    return Settings(**{"regions": (REGION,), "dry_run": False, "pricing": "table", "ledger": ledger, **changes})


def scan(account: Account, config: Settings, now: datetime | None = None) -> Report:
    """One scheduled run: scan then reclaim (the engine calls reclaim.apply itself once wired)."""
    now = now or datetime.now(UTC)
    report = engine.run(config, account.clients, now)
    if not hasattr(engine, "reclaim"):
        reclaim.apply(report.findings, config, account.clients, now, report, wait=FAST)
    return report


def by_name(report: Report) -> dict[str, Finding]:
    return {f.name: f for f in report.findings}


def _clean(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def account_state(account: Account, region: str = REGION) -> str:
    """Every describe of every SageMaker endpoint, config, model, tag set and autoscaling
    object in the region, as canonical JSON: equal strings mean an unchanged account."""
    sm, aas = account.clients.sagemaker(region), account.clients.autoscaling(region)
    state: dict[str, Any] = {"endpoints": {}, "configs": {}, "models": {}}
    for page in sm.get_paginator("list_endpoints").paginate():
        for item in page["Endpoints"]:
            described = _clean(sm.describe_endpoint(EndpointName=item["EndpointName"]))
            described["Tags"] = sm.list_tags(ResourceArn=described["EndpointArn"])["Tags"]
            state["endpoints"][item["EndpointName"]] = described
    for page in sm.get_paginator("list_endpoint_configs").paginate():
        for item in page["EndpointConfigs"]:
            state["configs"][item["EndpointConfigName"]] = _clean(
                sm.describe_endpoint_config(EndpointConfigName=item["EndpointConfigName"]))
    for page in sm.get_paginator("list_models").paginate():
        for item in page["Models"]:
            state["models"][item["ModelName"]] = _clean(sm.describe_model(ModelName=item["ModelName"]))
    state["targets"] = aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    state["policies"] = aas.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    state["scheduled"] = aas.describe_scheduled_actions(ServiceNamespace="sagemaker")["ScheduledActions"]
    return json.dumps(state, sort_keys=True, default=str)


def autoscaling_of(account: Account, endpoint: str) -> dict[str, Any]:
    """The endpoint's targets, policies and scheduled actions without server-made fields."""
    aas = account.autoscaling
    drop = {"CreationTime", "PolicyARN", "ScalableTargetARN", "ScheduledActionARN", "Alarms"}

    def keep(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(({k: v for k, v in item.items() if k not in drop} for item in items
                       if f"endpoint/{endpoint}/" in item["ResourceId"]), key=lambda i: json.dumps(i, sort_keys=True))

    return {
        "targets": keep(aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]),
        "policies": keep(aas.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]),
        "scheduled": keep(aas.describe_scheduled_actions(ServiceNamespace="sagemaker")["ScheduledActions"]),
    }


def tags_of(account: Account, endpoint: str) -> dict[str, str]:
    arn = account.sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointArn"]
    return {t["Key"]: t["Value"] for t in account.sagemaker.list_tags(ResourceArn=arn)["Tags"]}


def exists(account: Account, endpoint: str) -> bool:
    try:
        account.sagemaker.describe_endpoint(EndpointName=endpoint)
        return True
    except account.sagemaker.exceptions.ClientError:
        return False
