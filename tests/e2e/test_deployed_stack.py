"""The deployed stack and the engine agree on their wiring: a scheduled run of the handler,
with exactly the environment the deployed function was given, scans the seeded account,
stores its report in the deployed ledger bucket and publishes the digest on the deployed topic.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest

from tests.e2e.conftest import REGION, lambda_context, scheduled_event, subscribe_queue

pytestmark = pytest.mark.slow


def test_stack_outputs_name_what_the_function_is_wired_to(deployed):
    assert deployed.environment["COST_WATCHER_TOPIC_ARN"] == deployed.outputs["TopicArn"]
    assert deployed.environment["COST_WATCHER_LEDGER"] == f"s3://{deployed.outputs['LedgerBucketName']}"
    assert deployed.environment["COST_WATCHER_REGIONS"] == REGION  # the stack's region by default
    boto3.client("s3", region_name=REGION).head_bucket(Bucket=deployed.outputs["LedgerBucketName"])


def test_a_scheduled_run_sends_the_digest_on_the_deployed_topic(deployed, synth, monkeypatch):
    from cost_watcher.scan.clients import Clients
    from cost_watcher.sim.account import build_demo_account

    specs = build_demo_account(Clients(), datetime.now(UTC))
    queue = subscribe_queue(deployed.outputs["TopicArn"])
    for name, value in deployed.environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", deployed.outputs["FunctionName"])
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")  # no X-Ray daemon in a test

    from cost_watcher.faces.handler import lambda_handler

    response = lambda_handler(scheduled_event(synth.templates["report"]),
                              lambda_context(deployed.outputs["FunctionName"]))

    assert response["status"] == "ok", response
    scanned = {spec.name for spec in specs if spec.region == REGION}
    assert response["summary"]["endpoints"] + response["summary"]["ignored"] == len(scanned)

    # the report went to the deployed ledger bucket, under reports/
    bucket = deployed.outputs["LedgerBucketName"]
    assert response["report_location"].startswith(f"s3://{bucket}/reports/")
    key = response["report_location"].removeprefix(f"s3://{bucket}/")
    stored = json.loads(boto3.client("s3", region_name=REGION).get_object(Bucket=bucket, Key=key)["Body"].read())
    idle = sorted(e["name"] for e in stored["endpoints"] if e["verdict"] == "idle")
    assert idle, "the seeded account has idle endpoints in the stack's region"

    # one digest, on the deployed topic, naming what the report found idle
    messages = boto3.client("sqs", region_name=REGION).receive_message(
        QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    assert len(messages) == 1
    envelope = json.loads(messages[0]["Body"])
    assert envelope["TopicArn"] == deployed.outputs["TopicArn"]
    assert any(name in envelope["Message"] for name in idle), envelope["Message"][:2000]
    assert response["notification"].startswith("sent: ")
