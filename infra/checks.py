"""Checks at synth: cdk-nag's AwsSolutions pack, and the one way we acknowledge a finding.

cdk-nag 3 reports through CDK's own policy-validation, so an unacknowledged finding fails
`cdk synth`. Acknowledgments live next to the resource they excuse, each with its reason.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, App, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def add_checks(app: App) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Accept one finding (e.g. 'AwsSolutions-S1' or 'AwsSolutions-IAM5[Resource::*]') on `scope`, saying why."""
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def nag_resource(stack: Stack, value: str) -> str:
    """A resource as cdk-nag spells it in a finding id: `arn:<AWS::Partition>:...`, `<Bucket123.Arn>`."""
    return _spell(stack.resolve(value))


def _spell(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "<{}.{}>".format(*value["Fn::GetAtt"])
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_spell(part) for part in parts)
    raise ValueError(f"cdk-nag finding ids have no spelling for {value!r}")
