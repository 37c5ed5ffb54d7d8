"""Check a deployed cost-watcher stack from `cdk deploy --outputs-file`: outputs present and wired.

Used by scripts/deploy_local.sh against moto_server (AWS_ENDPOINT_URL); works against a real
account too. Exits non-zero with one line per problem.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import boto3

OUTPUTS = ("TopicArn", "LedgerBucketName", "FunctionName", "DashboardUrl")


def problems(outputs: dict[str, str], lambda_client: Any, sns: Any, s3: Any) -> list[str]:
    """What is wrong with one stack's outputs and the resources they name (empty when all is well)."""
    missing = [key for key in OUTPUTS if not outputs.get(key)]
    if missing:
        return [f"stack output(s) missing: {', '.join(missing)}"]
    found: list[str] = []
    environment = lambda_client.get_function_configuration(FunctionName=outputs["FunctionName"])
    variables = environment.get("Environment", {}).get("Variables", {})
    if variables.get("COST_WATCHER_TOPIC_ARN") != outputs["TopicArn"]:
        found.append(f"function's COST_WATCHER_TOPIC_ARN {variables.get('COST_WATCHER_TOPIC_ARN')!r} "
                     f"is not the stack's topic {outputs['TopicArn']!r}")
    if variables.get("COST_WATCHER_LEDGER") != f"s3://{outputs['LedgerBucketName']}":
        found.append(f"function's COST_WATCHER_LEDGER {variables.get('COST_WATCHER_LEDGER')!r} "
                     f"is not s3://{outputs['LedgerBucketName']}")
    sns.get_topic_attributes(TopicArn=outputs["TopicArn"])
    s3.head_bucket(Bucket=outputs["LedgerBucketName"])
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: check_deployment.py OUTPUTS_JSON", file=sys.stderr)
        return 2
    stacks: dict[str, dict[str, Any]] = json.loads(Path(argv[1]).read_text())
    if not stacks:
        print("deploy-local: no stack outputs were written", file=sys.stderr)
        return 1
    session = boto3.session.Session()
    failed = False
    for name, outputs in stacks.items():
        found = problems(outputs, session.client("lambda"), session.client("sns"), session.client("s3"))
        for problem in found:
            print(f"deploy-local: {name}: {problem}", file=sys.stderr)
        failed = failed or bool(found)
        if not found:
            print(f"deploy-local: {name}: " + ", ".join(f"{key}={outputs[key]}" for key in OUTPUTS))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
