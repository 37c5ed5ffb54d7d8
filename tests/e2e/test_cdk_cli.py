"""The real CDK CLI (aws-cdk@2 from package.json) on this app: refusal of a bad setting, and a
full `cdk bootstrap` + `cdk deploy` into moto_server (scripts/deploy_local.sh, `make deploy-local`)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CDK = ROOT / "node_modules" / ".bin" / "cdk"

pytestmark = [
    pytest.mark.cdk,
    pytest.mark.skipif(not CDK.exists(), reason="node_modules/.bin/cdk is missing: run `npm ci` (the Makefile's "
                                                "test target does) to test the CDK CLI"),
]


def cli_environment() -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_PROFILE", "AWS_ENDPOINT_URL"))}
    environment.update(JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20", CDK_DISABLE_CLI_TELEMETRY="true",
                       AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    return environment


def test_cdk_synth_refuses_a_bad_setting_in_one_line_without_a_trace(tmp_path):
    result = subprocess.run(
        [str(CDK), "synth", "-q", "--no-notices", "-c", "lookback_days=99", "--output", str(tmp_path)],
        cwd=ROOT, env=cli_environment(), capture_output=True, text=True, timeout=300, check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    ours = [line for line in output.splitlines() if line.startswith("cost-watcher:")]
    assert ours == ["cost-watcher: setting 'lookback_days': 99 is not accepted; expected a whole number from 1 to 63"]
    assert "Traceback" not in output


@pytest.mark.slow
def test_deploy_local_bootstraps_and_deploys_into_moto_server():
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "deploy_local.sh")],
        cwd=ROOT, env=cli_environment(), capture_output=True, text=True, timeout=900, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert any(line.startswith("deploy-local: CostWatcher: TopicArn=arn:aws:sns:us-east-1:") for line in lines)
    assert lines[-1].startswith("deploy-local: ok")
