"""Least privilege, proven on the synthesized templates of both deployment modes.

The lists below are written from the issue and the engine's calls, not imported from
infra.permissions, so a change there that widens or drops a permission fails here.
test_iam_covers_calls.py derives the same from recorded runs and evaluates the conditions.
"""

from __future__ import annotations

import pytest

from tests.infra.template import (
    all_actions,
    as_list,
    identity_statements,
    mentions,
    only,
    statements_with,
)

DESTRUCTIVE_SAGEMAKER = (
    "sagemaker:DeleteEndpoint",
    "sagemaker:UpdateEndpointWeightsAndCapacities",
    "sagemaker:AddTags",
    "sagemaker:DeleteTags",
    "sagemaker:DeleteInferenceComponent",
    "sagemaker:UpdateInferenceComponentRuntimeConfig",
)
AUTOSCALING_WRITES = (
    "application-autoscaling:RegisterScalableTarget",
    "application-autoscaling:DeregisterScalableTarget",
    "application-autoscaling:DeleteScalingPolicy",
    "application-autoscaling:DeleteScheduledAction",
)
ENGINE_READS = (
    "sagemaker:ListEndpoints",
    "sagemaker:DescribeEndpoint",
    "sagemaker:DescribeEndpointConfig",
    "sagemaker:ListTags",
    "sagemaker:ListInferenceComponents",
    "sagemaker:DescribeInferenceComponent",
    "cloudwatch:GetMetricData",
    "cloudwatch:ListMetrics",
    "application-autoscaling:DescribeScalableTargets",
    "application-autoscaling:DescribeScalingPolicies",
    "tag:GetResources",
    "pricing:GetProducts",
    "compute-optimizer:GetIdleRecommendations",
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "sns:Publish",
)
# read only to write a restore record before a reclaim: act mode only
RECORD_READS = (
    "sagemaker:DescribeModel",
    "application-autoscaling:DescribeScheduledActions",
)
VARIANTS = ("report", "act")


@pytest.fixture(params=VARIANTS)
def template(request: pytest.FixtureRequest, synth) -> dict:
    return synth.templates[request.param]


def test_no_wildcard_actions_in_any_role_policy(template):
    wild = sorted(a for a in all_actions(template) if a == "*" or a.endswith(":*") or a.endswith("*"))
    assert wild == []


def test_no_deny_free_not_action_tricks(template):
    """NotAction/NotResource Allow statements grant everything else: none may exist."""
    tricky = [s for _, s in identity_statements(template) if "NotAction" in s or "NotResource" in s]
    assert tricky == []


def test_every_engine_read_is_granted(template):
    missing = sorted(set(ENGINE_READS) - all_actions(template))
    assert missing == []


def test_restore_record_reads_are_granted_in_act_mode_only(report_template, act_template):
    assert sorted(set(RECORD_READS) & all_actions(report_template)) == []
    assert sorted(set(RECORD_READS) - all_actions(act_template)) == []


def test_report_mode_has_no_destructive_permission_at_all(report_template):
    granted = all_actions(report_template)
    assert sorted(granted & {*DESTRUCTIVE_SAGEMAKER, *AUTOSCALING_WRITES}) == []
    assert not any(a.startswith(("s3:Delete", "sagemaker:Create", "sagemaker:Stop", "iam:")) for a in granted)


def test_nothing_can_be_created_or_reconfigured(template):
    """`restore` runs with the user's own credentials: the function cannot re-create or re-scale up. The one
    Put it has, in act mode, is PutScheduledAction: the quiet-hours schedules it owns (never a scaling policy)."""
    granted = all_actions(template)
    puts = {"application-autoscaling:PutScheduledAction"} if "application-autoscaling:DeregisterScalableTarget" \
        in granted else set()
    assert sorted(a for a in granted if a.startswith(("sagemaker:Create", "application-autoscaling:Put"))) == \
        sorted(puts)


@pytest.mark.parametrize("action", [a for a in DESTRUCTIVE_SAGEMAKER if a != "sagemaker:DeleteTags"])
def test_act_mode_grants_each_destructive_call_only_on_reclaim_tagged_resources(act_template, synth, action):
    prefix = synth.settings["act"].engine.tag_prefix
    statements = statements_with(act_template, action)
    assert statements, f"{action} is not granted in act mode"
    for statement in statements:
        tag_conditions = {key: values for test in statement.get("Condition", {}).values()
                          for key, values in test.items() if key.startswith("aws:ResourceTag/")}
        assert list(tag_conditions) == [f"aws:ResourceTag/{prefix}reclaim"], statement
        assert statement["Resource"] != "*"
        for resource in as_list(statement["Resource"]):
            joined = str(resource)
            assert ":endpoint/" in joined or ":inference-component/" in joined, resource


@pytest.mark.parametrize("action", ["sagemaker:DeleteEndpoint", "sagemaker:DeleteInferenceComponent"])
def test_deletion_needs_the_delete_tag_value_not_scale_down(act_template, synth, action):
    prefix = synth.settings["act"].engine.tag_prefix
    for statement in statements_with(act_template, action):
        values = [value for test in statement["Condition"].values()
                  for key, value in test.items() if key == f"aws:ResourceTag/{prefix}reclaim"]
        assert [as_list(v) for v in values] == [["delete"]]


def test_tag_writes_are_limited_to_our_mark_on_endpoints(act_template, synth):
    """Our marks only: idle-since (a reclaim's grace period), quiet-since (a schedule's), each only with its opt-in."""
    prefix = synth.settings["act"].engine.tag_prefix
    marks = {f"{prefix}idle-since": ["delete", "scale-down"], f"{prefix}quiet-since": ["schedule"]}
    for action in ("sagemaker:AddTags", "sagemaker:DeleteTags"):
        statements = statements_with(act_template, action)
        assert statements, f"{action} is not granted in act mode"
        for statement in statements:
            condition = statement["Condition"]
            keys = as_list(condition["ForAllValues:StringEquals"]["aws:TagKeys"])
            assert set(keys) <= set(marks)
            if action == "sagemaker:AddTags":
                (key,) = keys
                assert as_list(condition["StringEquals"][f"aws:ResourceTag/{prefix}reclaim"]) == marks[key]
            assert condition["Null"] == {"aws:TagKeys": "false"}  # a request naming no key passes ForAllValues
            assert all(":endpoint/" in str(resource) for resource in as_list(statement["Resource"]))


def test_removing_our_mark_needs_no_opt_in_and_nothing_else_can_be_removed(act_template, synth):
    """An owner who withdrew the opt-in keeps our mark otherwise; removing it only delays a reclaim."""
    prefix = synth.settings["act"].engine.tag_prefix
    (statement,) = statements_with(act_template, "sagemaker:DeleteTags")
    assert as_list(statement["Action"]) == ["sagemaker:DeleteTags"]
    assert set(statement["Condition"]) == {"ForAllValues:StringEquals", "Null"}
    assert statement["Condition"]["ForAllValues:StringEquals"] == {
        "aws:TagKeys": [f"{prefix}idle-since", f"{prefix}quiet-since"]}


@pytest.mark.parametrize("action", AUTOSCALING_WRITES)
def test_autoscaling_writes_are_scoped_to_sagemaker(act_template, action):
    statements = statements_with(act_template, action)
    assert statements
    for statement in statements:
        equals = statement["Condition"]["StringEquals"]
        assert equals["application-autoscaling:service-namespace"] == "sagemaker"
        assert all(d.startswith("sagemaker:") for d in as_list(equals["application-autoscaling:scalable-dimension"]))


def test_describe_calls_are_scoped_to_the_scanned_regions_of_this_account(act_template, synth):
    regions = synth.settings["act"].engine.regions
    for statement in statements_with(act_template, "sagemaker:DescribeEndpoint"):
        rendered = [str(resource) for resource in as_list(statement["Resource"])]
        assert "*" not in statement["Resource"]
        assert all("AWS::AccountId" in r for r in rendered)
        assert {region for region in regions if any(f"sagemaker:{region}:" in r for r in rendered)} == set(regions)


def test_s3_access_is_to_the_ledger_bucket_only_and_never_deletes(template):
    bucket_id, _ = only(template, "AWS::S3::Bucket")
    s3_statements = [s for _, s in identity_statements(template)
                     if any(a.startswith("s3:") for a in as_list(s["Action"]))]
    assert s3_statements
    for statement in s3_statements:
        assert all(mentions(resource, bucket_id) for resource in as_list(statement["Resource"])), statement
        assert not any(a.startswith("s3:Delete") for a in as_list(statement["Action"]))
    writes = [s for s in s3_statements if "s3:PutObject" in as_list(s["Action"])]
    prefixes = {part for s in writes for resource in as_list(s["Resource"])
                for part in resource["Fn::Join"][1] if isinstance(part, str)}
    assert prefixes == {"/ledger/*", "/reports/*"}


def test_publish_is_to_our_topic_only(template):
    topic_id, _ = only(template, "AWS::SNS::Topic")
    statements = statements_with(template, "sns:Publish")
    assert statements
    for statement in statements:
        assert as_list(statement["Resource"]) == [{"Ref": topic_id}]


def test_the_function_role_has_no_aws_managed_policy(template):
    _, role = only_function_role(template)
    assert "ManagedPolicyArns" not in role


def only_function_role(template: dict) -> tuple[str, dict]:
    _, function = only(template, "AWS::Lambda::Function")
    role_id = function["Role"]["Fn::GetAtt"][0]
    return role_id, template["Resources"][role_id]["Properties"]
