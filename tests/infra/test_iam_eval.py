"""The IAM evaluator used by test_iam_covers_calls.py decides as IAM documents, and refuses to guess."""

from __future__ import annotations

import pytest

from tests.infra.iam_eval import NotModelled, Request, allowed, render

ARN = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn"


def statement(effect: str = "Allow", action: str = "sagemaker:DeleteTags", resource: object = "*",
              condition: dict | None = None) -> dict:
    return {"Effect": effect, "Action": action, "Resource": resource, **({"Condition": condition} if condition else {})}


def decide(statements: list[dict], action: str = "sagemaker:DeleteTags", resource: str = ARN, **context) -> bool:
    return allowed(statements, Request(action, resource, context), {})


def test_actions_match_without_case_and_resources_with_case_and_wildcards_spanning_slashes():
    rule = [statement(action="sagemaker:Describe*", resource="arn:aws:sagemaker:us-east-1:*:endpoint/*")]
    assert decide(rule, "SageMaker:describeEndpoint")
    assert decide(rule, "sagemaker:DescribeEndpoint", ARN + "/variant/a")
    assert not decide(rule, "sagemaker:DescribeEndpoint", ARN.replace("endpoint/", "Endpoint/"))
    assert not decide(rule, "sagemaker:DeleteEndpoint")


def test_an_explicit_deny_wins_and_nothing_allowed_is_denied():
    assert not decide([statement(), statement("Deny")])
    assert not decide([])


def test_for_all_values_passes_a_request_without_the_key_unless_null_is_checked():
    only_mark = {"ForAllValues:StringEquals": {"aws:TagKeys": ["p:idle-since"]}}
    assert decide([statement(condition=only_mark)])  # IAM's documented vacuous truth
    guarded = [statement(condition={**only_mark, "Null": {"aws:TagKeys": "false"}})]
    assert not decide(guarded)
    assert decide(guarded, **{"aws:TagKeys": ("p:idle-since",)})
    assert not decide(guarded, **{"aws:TagKeys": ("p:idle-since", "team")})


def test_a_missing_key_fails_a_positive_operator_and_passes_a_negated_one_or_if_exists():
    key = "aws:ResourceTag/p:reclaim"
    assert not decide([statement(condition={"StringEquals": {key: "delete"}})])
    assert decide([statement(condition={"StringNotEquals": {key: "delete"}})])
    assert decide([statement(condition={"StringEqualsIfExists": {key: "delete"}})])
    assert decide([statement(condition={"StringEquals": {key: ["scale-down", "delete"]}})], **{key: "delete"})
    assert not decide([statement(condition={"StringEquals": {key: "delete"}})], **{key: "Delete"})
    assert decide([statement(condition={"StringEqualsIgnoreCase": {key: "delete"}})], **{key: "Delete"})


def test_condition_key_names_are_case_insensitive():
    rule = [statement(condition={"StringEquals": {"aws:ResourceTag/P:Reclaim": "delete"}})]
    assert decide(rule, **{"aws:resourcetag/p:reclaim": "delete"})


@pytest.mark.parametrize("rule", [
    {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
    statement(condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}),
    statement(condition={"StringEquals": {"aws:TagKeys": ["a"]}}),  # multi-valued key without a set operator
    statement(resource={"Fn::GetAtt": ["Unknown", "Arn"]}),
])
def test_what_it_does_not_model_raises_instead_of_guessing(rule):
    with pytest.raises(NotModelled):
        decide([rule], **{"aws:TagKeys": ("a", "b")})


def test_render_fills_refs_getatts_and_joins():
    value = {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/", {"Ref": "Prefix"}, "*"]]}
    assert render(value, {"Bucket.Arn": "arn:aws:s3:::b", "Prefix": "ledger/"}) == "arn:aws:s3:::b/ledger/*"
