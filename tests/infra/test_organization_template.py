"""Organization mode's template: the StackSet and the spoke role it deploys, the state machine's
Distributed Map, its schedule, and what the hub's role gains. Read from the synthesized `org`
variant (tests/infra/synthesis.py: act mode, two OUs, two regions, owner routes)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.organization import spoke_template
from tests.infra.iam_eval import Request, allowed, function_role, granted_actions, role_statements
from tests.infra.template import only, resources, statements_with

REFS = {"AWS::Partition": "aws", "AWS::AccountId": "123456789012", "AWS::Region": "us-east-1",
        "AWS::URLSuffix": "amazonaws.com", "HubRoleArn": "arn:aws:iam::999999999999:role/hub",
        "OrganizationId": "o-exampleorg1"}


@pytest.fixture(scope="module")
def org_template(synth) -> dict[str, Any]:
    return synth.templates["org"]


@pytest.fixture(scope="module")
def stack_set(org_template) -> dict[str, Any]:
    return only(org_template, "AWS::CloudFormation::StackSet")[1]


@pytest.fixture(scope="module")
def spoke(stack_set) -> dict[str, Any]:
    return json.loads(stack_set["TemplateBody"])


def spoke_role(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return only(template, "AWS::IAM::Role")


def test_the_stack_set_is_service_managed_and_follows_accounts_into_the_chosen_units(stack_set, synth):
    settings = synth.settings["org"]
    assert stack_set["PermissionModel"] == "SERVICE_MANAGED"
    assert stack_set["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert stack_set["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    (group,) = stack_set["StackInstancesGroup"]
    assert group["DeploymentTargets"]["OrganizationalUnitIds"] == list(settings.organization_units)
    assert len(group["Regions"]) == 1, "IAM is global: one stack instance per account"
    assert json.loads(stack_set["TemplateBody"]) == spoke_template(
        list(settings.engine.regions), settings.spoke_role_name, settings.engine.tag_prefix, None), \
        "the StackSet deploys the spoke that test_iam_covers_calls.py holds to the engine's calls"
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack_set["Parameters"]}
    assert parameters["OrganizationId"] == settings.organization_id
    assert parameters["HubRoleArn"] == {"Fn::GetAtt": [function_role(synth.templates["org"]), "Arn"]}


def test_the_spoke_role_trusts_only_the_hub_role_from_this_organization(spoke, synth):
    _, role = spoke_role(spoke)
    assert role["RoleName"] == synth.settings["org"].spoke_role_name
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"] == {"AWS": {"Ref": "HubRoleArn"}}
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}}
    assert "Rules" not in spoke and "BootstrapVersion" not in spoke.get("Parameters", {}), \
        "a StackSet template cannot ask for the CDK bootstrap"


def test_the_spoke_role_has_the_hub_roles_scan_and_act_statements_in_its_own_account(spoke, org_template, synth):
    role_id, _ = spoke_role(spoke)
    statements = role_statements(spoke, role_id)
    hub = granted_actions(role_statements(org_template, function_role(org_template)))
    granted = granted_actions(statements)
    assert {"sagemaker:DeleteEndpoint", "sagemaker:DescribeEndpoint", "cloudwatch:GetMetricData"} <= granted
    assert granted <= hub, "the spoke may do nothing the hub's own role may not"
    assert not {a for a in granted if a.split(":")[0] in ("s3", "sns", "kms", "pricing", "sts", "organizations")}
    prefix = synth.settings["org"].engine.tag_prefix
    delete = Request("sagemaker:DeleteEndpoint", "arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn",
                     {"aws:ResourceTag/" + prefix + "reclaim": "delete"})
    not_opted_in = Request("sagemaker:DeleteEndpoint", "arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn", {})
    other_account = Request("sagemaker:DeleteEndpoint", "arn:aws:sagemaker:us-east-1:555555555555:endpoint/churn",
                            {"aws:ResourceTag/" + prefix + "reclaim": "delete"})
    assert allowed(statements, delete, REFS)
    assert not allowed(statements, not_opted_in, REFS)
    assert not allowed(statements, other_account, REFS), "ARNs are the member account's own (${AWS::AccountId})"


def test_a_report_mode_spoke_role_cannot_change_anything():
    template = spoke_template(["us-east-1"], "CostWatcherSpoke", None, None)
    role_id, _ = spoke_role(template)
    granted = granted_actions(role_statements(template, role_id))
    changing = sorted(a for a in granted if a.split(":")[1].startswith(("Add", "Create", "Delete", "Deregister",
                                                                         "Put", "Register", "Update")))
    assert changing == [] and "sagemaker:ListEndpoints" in granted


def test_an_external_id_is_asked_for_when_set():
    template = spoke_template(["us-east-1"], "Spoke", None, "shared-secret-1")
    (statement,) = spoke_role(template)[1]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Condition"]["StringEquals"]["sts:ExternalId"] == "shared-secret-1"


def definition(template: dict[str, Any]) -> dict[str, Any]:
    """The state machine's ASL with the function's ARN filled in."""
    _, machine = only(template, "AWS::StepFunctions::StateMachine")
    parts = machine["DefinitionString"]["Fn::Join"][1]
    return json.loads("".join(p if isinstance(p, str) else "arn:aws:lambda:us-east-1:123456789012:function:f"
                              for p in parts))


def test_the_distributed_map_tolerates_failed_items_and_runs_as_many_as_configured(org_template, synth):
    settings = synth.settings["org"]
    asl = definition(org_template)
    items = asl["States"]["Every account and region"]
    assert items["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert items["MaxConcurrency"] == settings.max_concurrency
    assert items["ToleratedFailurePercentage"] == settings.tolerated_failure_percentage
    assert items["ResultPath"] is None, "items store their reports; results would only grow the state"
    # past the tolerance the digest still goes out, then the execution fails (alarmed)
    (catch,) = items["Catch"]
    after = asl["States"][catch["Next"]]
    assert after["Parameters"]["step"] == "merge" and asl["States"][after["Next"]]["Type"] == "Fail"
    item = items["ItemProcessor"]["States"]["Scan one account and region"]
    assert any("States.TaskFailed" in retry["ErrorEquals"] for retry in item["Retry"])


def test_the_schedule_starts_the_state_machine_and_the_function_runs_its_steps(org_template, synth):
    _, schedule = only(org_template, "AWS::Scheduler::Schedule")
    machine_id, _ = only(org_template, "AWS::StepFunctions::StateMachine")
    assert schedule["Target"]["Arn"] == {"Ref": machine_id}
    _, function = only(org_template, "AWS::Lambda::Function")
    assert function["Handler"] == "cost_watcher.faces.organization.lambda_handler"
    assert function["ReservedConcurrentExecutions"] == synth.settings["org"].max_concurrency + 1
    variables = function["Environment"]["Variables"]
    assert variables["ORGANIZATION_ROLE_NAME"] == "CostWatcherSpoke"
    assert variables["ORGANIZATION_EXCLUDE_ACCOUNTS"] == "999999999999"
    assert resources(org_template, "AWS::CloudWatch::Alarm"), "failed runs are alarmed"


def test_the_hub_may_assume_only_the_spoke_role_and_only_in_its_organization(org_template):
    (statement,) = statements_with(org_template, "sts:AssumeRole")
    assert statement["Resource"] == {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"},
                                                       ":iam::*:role/CostWatcherSpoke"]]}
    assert statement["Condition"] == {"StringEquals": {"aws:ResourceOrgID": "o-exampleorg1"}}
    (publish,) = [s for s in statements_with(org_template, "sns:Publish") if s.get("Sid") == "PublishOwnersDigests"]
    assert "arn:aws:sns:us-east-1:111111111111:team-a" in publish["Resource"]


def test_the_single_account_templates_have_none_of_it(report_template, act_template):
    for template in (report_template, act_template):
        assert not resources(template, "AWS::CloudFormation::StackSet")
        assert not resources(template, "AWS::StepFunctions::StateMachine")
        assert not statements_with(template, "sts:AssumeRole")


@pytest.mark.slow
def test_the_spoke_template_is_cfn_lint_clean(spoke):
    from cfnlint.api import ManualArgs, lint

    assert [str(m) for m in lint(json.dumps(spoke), config=ManualArgs(regions=["us-east-1"]))] == []
