"""One synthesis of the app per test session, shared by the template and end-to-end tests.

A synth costs seconds (jsii, cdk-nag), so both deployment variants are built in one App,
the way `cdk synth` builds it: cdk.json's context (settings and feature flags) plus overrides.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Node 20 is what this machine has; jsii would print a banner about it on every import.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

ROOT = Path(__file__).resolve().parents[2]
CDK_JSON = ROOT / "cdk.json"

# The second variant changes every setting that changes the template's shape.
ACT_OVERRIDES: dict[str, Any] = {
    "stack_name": "CostWatcherAct",
    "mode": "act",
    "regions": "us-east-1,eu-west-1",
    "tag_prefix": "team-x:",
    "schedule": "cron(30 3 ? * MON-FRI *)",
    "timezone": "Europe/Paris",
    "notify_emails": "ops@example.com, ml-platform@example.org",
    "slack_workspace_id": "T0123ABCD",
    "slack_channel_id": "C0456EFGH",
    "memory_mb": 3008,
    "timeout_minutes": 10,
    "log_retention_days": 30,
    "reports_retention_days": 45,
    "powertools_layer_version": 31,
    "underused_scale_down": "true",
}


# Organization mode (infra/organization.py), in act mode so the spoke role carries the act statements.
ORG_OVERRIDES: dict[str, Any] = {
    "stack_name": "CostWatcherOrg",
    "organization": "true",
    "organization_id": "o-exampleorg1",
    "organization_units": "ou-ab12-cd34ef56,ou-ab12-ef78gh90",
    "exclude_accounts": "999999999999",
    "mode": "act",
    "regions": "us-east-1,eu-west-1",
    "max_concurrency": 40,
    "tolerated_failure_percentage": 5,
    "owner_tag": "team",
    "owner_routes": '{"111111111111": "arn:aws:sns:us-east-1:111111111111:team-a", "vision": ["vision@example.com"]}',
}


@dataclass(frozen=True)
class Synth:
    outdir: Path
    settings: dict[str, Any]  # variant ("report" | "act") -> the DeploySettings it was built from
    templates: dict[str, dict[str, Any]]  # variant -> CloudFormation template
    stack_names: dict[str, str]

    def assets(self, variant: str) -> dict[str, Any]:
        return json.loads((self.outdir / f"{self.stack_names[variant]}.assets.json").read_text())

    def validation_report(self) -> dict[str, Any] | None:
        path = self.outdir / "validation-report.json"
        return json.loads(path.read_text()) if path.exists() else None


def cdk_context() -> dict[str, Any]:
    return json.loads(CDK_JSON.read_text())["context"]


_built: list[Synth] = []


def synthesize(outdir: Path) -> Synth:
    """Every variant, built once per session; the first caller's `outdir` is where they are."""
    if not _built:
        _built.append(_build(outdir))
    return _built[0]


def _build(outdir: Path) -> Synth:
    from aws_cdk import App

    from infra.checks import add_checks
    from infra.entry import add_stack
    from infra.settings import load

    context = cdk_context()
    app = App(context=context, outdir=str(outdir))
    settings = {"report": load(context), "act": load({**context, **ACT_OVERRIDES}),
                "org": load({**context, **ORG_OVERRIDES})}
    stacks = {variant: add_stack(app, value) for variant, value in settings.items()}
    add_checks(app)
    assembly = app.synth()
    return Synth(
        outdir=outdir,
        settings=settings,
        templates={variant: assembly.get_stack_by_name(stack.stack_name).template for variant, stack in stacks.items()},
        stack_names={variant: stack.stack_name for variant, stack in stacks.items()},
    )
