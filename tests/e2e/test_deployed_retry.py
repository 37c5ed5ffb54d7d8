"""A crashed night is retried by Lambda, and the retry finishes it once, on the deployed stack.

The act-mode stack is deployed into moto; its function's retry settings are read back from
Lambda. A scheduled event is handled with the deployed environment and dies mid-reclaim (the
process is killed right after the first DeleteEndpoint went through); Lambda's retry of that
same event (same run id) must finish the night: the cap held across both attempts, one restore
record per reclaimed endpoint, one digest on the deployed topic.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from cost_watcher.scan.clients import Clients
from cost_watcher.settings import from_environment
from cost_watcher.sim.account import build_account
from cost_watcher.sim.specs import EndpointSpec, VariantSpec
from tests.e2e.conftest import REGION, Deployed, lambda_context, scheduled_event, subscribe_queue
from tests.faults.faultnet import Crash, Network, call

pytestmark = pytest.mark.slow
DUE_FOR_DELETE = 7  # more than the deployed max_actions_per_run (5): the cap must hold over both attempts


def idle_fleet(prefix: str, now: datetime) -> list[EndpointSpec]:
    """Silent endpoints opted in to delete and marked long enough ago, plus one busy one."""
    due = (now - timedelta(days=10)).date().isoformat()
    tags = {f"{prefix}reclaim": "delete", f"{prefix}idle-since": due}
    idle = [EndpointSpec(f"idle-{n}", REGION, (VariantSpec(),), tags=tags) for n in range(DUE_FOR_DELETE)]
    return [*idle, EndpointSpec("busy-api", REGION, (VariantSpec(traffic=lambda _: 50),), tags=tags)]


def endpoints() -> set[str]:
    pages = boto3.client("sagemaker", region_name=REGION).get_paginator("list_endpoints").paginate()
    return {item["EndpointName"] for page in pages for item in page["Endpoints"]}


def restore_records(bucket: str) -> dict[str, list[str]]:
    """Restore-record keys by endpoint (ledger/<region>/<endpoint>/...); the run journal is not one."""
    pages = boto3.client("s3", region_name=REGION).get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=f"ledger/{REGION}/")
    found: dict[str, list[str]] = {}
    for page in pages:
        for item in page.get("Contents", []):
            found.setdefault(item["Key"].split("/")[2], []).append(item["Key"])
    return found


def deployed_retries(deployed: Deployed) -> tuple[dict, int]:
    lambda_client = boto3.client("lambda", region_name=REGION)
    config = lambda_client.get_function_event_invoke_config(FunctionName=deployed.outputs["FunctionName"])
    timeout = lambda_client.get_function_configuration(FunctionName=deployed.outputs["FunctionName"])["Timeout"]
    return config, timeout


def test_the_deployed_function_retries_a_crashed_run_within_its_event_age_then_dead_letters(deployed_act):
    config, timeout = deployed_retries(deployed_act)
    assert config["MaximumRetryAttempts"] >= 1
    assert config["MaximumEventAgeInSeconds"] >= (config["MaximumRetryAttempts"] + 1) * timeout
    dead_letters = config["DestinationConfig"]["OnFailure"]["Destination"]
    assert dead_letters.startswith(f"arn:aws:sqs:{REGION}:") and "DeadLetters" in dead_letters


def test_a_night_that_crashes_mid_run_is_finished_once_by_lambdas_retry(deployed_act, synth, net: Network,
                                                                        monkeypatch):
    environment = deployed_act.environment
    deployed_settings = from_environment(environment)  # as the handler reads them
    assert not deployed_settings.dry_run
    cap = deployed_settings.max_actions_per_run
    assert cap < DUE_FOR_DELETE
    now = datetime.now(UTC)
    build_account(Clients(), idle_fleet(deployed_settings.tag_prefix, now), now)
    queue = subscribe_queue(deployed_act.outputs["TopicArn"])
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", deployed_act.outputs["FunctionName"])
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")  # no X-Ray daemon in a test
    from cost_watcher.faces.handler import lambda_handler

    event = scheduled_event(synth.templates["act"])  # what Lambda keeps and re-delivers on a retry
    context = lambda_context(deployed_act.outputs["FunctionName"])
    before = endpoints()
    net.crash(call("sagemaker:DeleteEndpoint"), after=True)
    with pytest.raises(Crash):
        lambda_handler(event, context)
    assert net.injected, "the run never reached a reclaim"
    assert len(before - endpoints()) == 1, "the crashed attempt deleted one endpoint, then died"
    net.clear()
    config, _ = deployed_retries(deployed_act)
    assert config["MaximumRetryAttempts"] >= 1, "without a retry the night would stay half done"

    retry = lambda_handler(event, context)  # Lambda's retry: the same event, a new process

    assert retry["status"] == "ok", retry
    deleted = before - endpoints()
    assert len(deleted) == cap, f"{len(deleted)} endpoints deleted by one run whose cap is {cap}"
    assert "busy-api" not in deleted
    records = restore_records(deployed_act.outputs["LedgerBucketName"])
    assert set(records) == deleted, "a restore record for each deleted endpoint, and only for those"
    assert all(len(keys) == 1 for keys in records.values()), records
    assert retry["summary"]["actions"].get("delete:done") == cap
    messages = boto3.client("sqs", region_name=REGION).receive_message(
        QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    assert len(messages) == 1, "one digest for the night, sent by the attempt that finished it"
