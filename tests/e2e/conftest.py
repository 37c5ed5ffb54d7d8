"""Deploy the synthesized template into moto in-process, the way `cdk deploy` would.

`cdk deploy` publishes the assets to the bootstrap bucket, then creates the stack. Here the
bootstrap (asset bucket, version parameter) and the publishing are done with boto3 against
moto, from the assets manifest the synth wrote. moto's CloudFormation skips some resource
types (alarms, schedules, policies ...): those are proven on the template by tests/infra,
except the function's event-invoke configuration (its retries), which is applied here through
Lambda's own API exactly as the template says, so it can be read back from the deployed function.
"""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from tests.faults.faultnet import net  # noqa: F401 - the faulty network fixture, for the retry test
from tests.infra.synthesis import Synth, synthesize

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
QUALIFIER = "hnb659fds"  # the CDK's default bootstrap qualifier


@dataclass(frozen=True)
class Deployed:
    stack_name: str
    outputs: dict[str, str]
    environment: dict[str, str]  # the deployed function's environment, read back from Lambda


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(tmp_path_factory.mktemp("cdk.out"))


def _substitute(text: str) -> str:
    return text.replace("${AWS::AccountId}", ACCOUNT).replace("${AWS::Region}", REGION).replace(
        "${AWS::Partition}", "aws")


def _zip(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory).as_posix())
    return buffer.getvalue()


def bootstrap_and_publish(synth: Synth, variant: str) -> None:
    """What `cdk bootstrap` leaves and `cdk deploy` uploads: version parameter, asset bucket, assets."""
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name=f"/cdk-bootstrap/{QUALIFIER}/version", Value="30", Type="String", Overwrite=True)
    s3 = boto3.client("s3", region_name=REGION)
    for asset in synth.assets(variant)["files"].values():
        source = synth.outdir / asset["source"]["path"]
        body = _zip(source) if asset["source"].get("packaging") == "zip" else source.read_bytes()
        for destination in asset["destinations"].values():
            bucket = _substitute(destination["bucketName"])
            if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
                s3.create_bucket(Bucket=bucket)
            s3.put_object(Bucket=bucket, Key=_substitute(destination["objectKey"]), Body=body)


def deploy(synth: Synth, variant: str) -> Deployed:
    bootstrap_and_publish(synth, variant)
    name = synth.stack_names[variant]
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    with warnings.catch_warnings():  # moto warns once per resource type it does not create
        warnings.simplefilter("ignore", UserWarning)
        cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(synth.templates[variant]),
                                    Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"])
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    apply_event_invoke_configs(name, synth.templates[variant])
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    configuration = boto3.client("lambda", region_name=REGION).get_function_configuration(
        FunctionName=outputs["FunctionName"])
    return Deployed(name, outputs, configuration["Environment"]["Variables"])


def apply_event_invoke_configs(stack_name: str, template: dict[str, Any]) -> None:
    """What CloudFormation does for AWS::Lambda::EventInvokeConfig (moto's skips it): PutFunctionEventInvokeConfig."""
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in boto3.client(
        "cloudformation", region_name=REGION).describe_stack_resources(StackName=stack_name)["StackResources"]
        if "LogicalResourceId" in r}  # moto lists the types it skipped without one
    sqs = boto3.client("sqs", region_name=REGION)

    def queue_arn(value: dict[str, Any]) -> str:
        logical_id, attribute = value["Fn::GetAtt"]
        assert attribute == "Arn", value
        return sqs.get_queue_attributes(QueueUrl=physical[logical_id], AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]

    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::Lambda::EventInvokeConfig":
            continue
        properties = resource["Properties"]
        destination = properties["DestinationConfig"]["OnFailure"]["Destination"]
        boto3.client("lambda", region_name=REGION).put_function_event_invoke_config(
            FunctionName=physical[properties["FunctionName"]["Ref"]],
            Qualifier=properties["Qualifier"],
            MaximumRetryAttempts=properties["MaximumRetryAttempts"],
            MaximumEventAgeInSeconds=properties["MaximumEventAgeInSeconds"],
            DestinationConfig={"OnFailure": {"Destination": queue_arn(destination)}},
        )


@pytest.fixture
def deployed(synth: Synth, monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployed]:
    """The report-mode stack (cdk.json defaults) created in a fresh moto account."""
    from moto import mock_aws

    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield deploy(synth, "report")


@pytest.fixture
def deployed_act(synth: Synth, monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployed]:
    """The act-mode stack (the second variant synthesized) created in a fresh moto account."""
    from moto import mock_aws

    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield deploy(synth, "act")


# --- the Lambda face, as the deployed schedule drives it ----------------------------------------

def scheduled_event(template: dict) -> dict:
    """The event EventBridge Scheduler sends: the schedule's Input with its placeholders filled."""
    (schedule,) = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::Scheduler::Schedule"]
    text = schedule["Target"]["Input"]
    for placeholder, value in {
        "<aws.scheduler.execution-id>": "d6c2bd42-2a57-4a63-9a42-4c1f2f6e4a0e",
        "<aws.scheduler.scheduled-time>": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "<aws.scheduler.schedule-arn>": f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/nightly",
    }.items():
        text = text.replace(placeholder, value)
    return json.loads(text)


def lambda_context(function_name: str) -> SimpleNamespace:
    return SimpleNamespace(
        function_name=function_name, function_version="$LATEST", memory_limit_in_mb=2048,
        invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}",
        aws_request_id="6f6c2bd4-0000-4000-8000-000000000001",
    )


def subscribe_queue(topic_arn: str) -> str:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="digest-reader")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("sns", region_name=REGION).subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn,
                                                      Attributes={"RawMessageDelivery": "false"})
    return url
