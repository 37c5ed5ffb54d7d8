"""Deploy the synthesized template into moto in-process, the way `cdk deploy` would.

`cdk deploy` publishes the assets to the bootstrap bucket, then creates the stack. Here the
bootstrap (asset bucket, version parameter) and the publishing are done with boto3 against
moto, from the assets manifest the synth wrote. moto's CloudFormation skips some resource
types (alarms, schedules, policies ...): those are proven on the template by tests/infra.
"""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

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
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    configuration = boto3.client("lambda", region_name=REGION).get_function_configuration(
        FunctionName=outputs["FunctionName"])
    return Deployed(name, outputs, configuration["Environment"]["Variables"])


@pytest.fixture
def deployed(synth: Synth, monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployed]:
    """The report-mode stack (cdk.json defaults) created in a fresh moto account."""
    from moto import mock_aws

    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield deploy(synth, "report")


def moto_list_inference_components(model: Any, **_: Any) -> Any:
    """moto has no inference components: answer ListInferenceComponents with none, as an account without any."""
    from botocore.awsrequest import AWSResponse

    if model.name != "ListInferenceComponents":
        return None
    return AWSResponse("https://sagemaker.moto", 200, {}, None), {"InferenceComponents": []}


@pytest.fixture
def inference_components_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    """For every boto3 client made from now on, including the handler's own (moto does the same)."""
    import botocore.handlers

    monkeypatch.setattr(botocore.handlers, "BUILTIN_HANDLERS", [
        *botocore.handlers.BUILTIN_HANDLERS,
        ("before-call.sagemaker.ListInferenceComponents", moto_list_inference_components),
    ])
