"""Checks at synth: cdk-nag (AwsSolutions) has nothing left to say, and cfn-lint is clean."""

from __future__ import annotations

import json

import pytest

IGNORED_LINT = ["W3005"]  # CDK emits DependsOn that a GetAtt already implies


def test_cdk_nag_has_no_unacknowledged_finding(synth):
    report = synth.validation_report()
    assert report is not None, "no validation report: cdk-nag did not run"
    violations = [(v["ruleName"], c["constructPath"]) for plugin in report["pluginReports"]
                  for v in plugin.get("violations", []) for c in v["violatingConstructs"]]
    assert violations == []


def test_cdk_nag_is_live_and_fails_an_unsafe_resource(tmp_path):
    """Guards the test above from passing because the checks were never added."""
    from aws_cdk import App, Stack
    from aws_cdk import aws_s3 as s3

    from infra.checks import add_checks

    app = App(outdir=str(tmp_path))
    s3.Bucket(Stack(app, "Unsafe"), "Bucket")
    add_checks(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for plugin in report["pluginReports"] for v in plugin["violations"]}
    assert {"AwsSolutions-S1", "AwsSolutions-S10"} <= rules


@pytest.mark.parametrize("variant", ["report", "act", "org"])
def test_every_acknowledgment_says_why(synth, variant):
    metadata = json.loads((synth.outdir / f"{synth.stack_names[variant]}.metadata.json").read_text())
    reasons = [(path, rule, reason) for path, entries in metadata.items() for entry in entries
               if entry["type"] == "aws:cdk:acknowledged-rules" for rule, reason in entry["data"].items()]
    assert reasons, "expected the acknowledgments of the IAM wildcards we cannot avoid"
    assert all(rule.startswith("Annotation::AwsSolutions-") for _, rule, _ in reasons)
    short = [(path, rule) for path, rule, reason in reasons if len(reason.split()) < 8]
    assert short == []


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["report", "act", "org"])
def test_cfn_lint_is_clean(synth, variant):
    from cfnlint.api import ManualArgs, lint

    regions = ["us-east-1", *synth.settings[variant].engine.regions]
    template = json.dumps(synth.templates[variant])
    matches = lint(template, config=ManualArgs(regions=sorted(set(regions)), ignore_checks=IGNORED_LINT))
    assert [str(match) for match in matches] == []
