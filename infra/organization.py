"""Organization mode's AWS resources: the spoke role in every member account, and the fan-out.

- **SpokeRoles**: a service-managed CloudFormation StackSet (auto-deployment on, so an account
  that joins the chosen OUs gets it) whose one stack is the spoke role: the scan's read
  permissions in report mode, plus the act permissions with the same tag conditions in act
  mode (infra/permissions.py, the same statements the hub's own role has). Its trust admits
  only the hub's run role, and only from this organization (aws:PrincipalOrgID).
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-manage-auto-deployment.html
- **OrganizationRun**: a Step Functions state machine: list the accounts, a Distributed Map of
  (account, region) items (MaxConcurrency and ToleratedFailurePercentage are settings), then one
  merge that sends the digests. Every state is a task of the same Lambda function.
  https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aws_cdk import App, CfnParameter, DefaultStackSynthesizer, Duration, Stack
from aws_cdk import aws_cloudformation as cloudformation
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.checks import acknowledge, nag_resource
from infra.function import NightlySchedule
from infra.permissions import act_statements, read_statements

ORGANIZATION_HANDLER = "cost_watcher.faces.organization.lambda_handler"
SPOKE_STACK = "CostWatcherSpoke"
ITEM_RETRIES = 2  # a crashed item is run again with the same run id: its journal makes that harmless
RUN_TIMEOUT = Duration.hours(12)


def spoke_template(regions: Sequence[str], role_name: str, act_tag_prefix: str | None,
                   external_id: str | None) -> dict[str, Any]:
    """The StackSet's template: the spoke role, synthesized from the same statements as the hub's role.

    Built as a stack of its own (in its own App, no bootstrap rule: StackSets deploy templates, not
    CDK assets), so `${AWS::AccountId}` in every ARN is the member account it lands in."""
    app = App(analytics_reporting=False)
    stack = Stack(app, SPOKE_STACK, synthesizer=DefaultStackSynthesizer(generate_bootstrap_version_rule=False))
    hub_role = CfnParameter(stack, "HubRoleArn", type="String", description="The cost-watcher hub's run role")
    organization = CfnParameter(stack, "OrganizationId", type="String", allowed_pattern=r"^o-[a-z0-9]{10,32}$",
                                description="Only principals of this organization may assume the spoke role")
    conditions: dict[str, Any] = {"StringEquals": {"aws:PrincipalOrgID": organization.value_as_string}}
    if external_id:
        conditions["StringEquals"]["sts:ExternalId"] = external_id
    role = iam.Role(stack, "Role", role_name=role_name,
                    assumed_by=iam.ArnPrincipal(hub_role.value_as_string).with_conditions(conditions),
                    max_session_duration=Duration.hours(1),
                    description="cost-watcher spoke: the hub reads (and, opted in by tag, reclaims) SageMaker "
                                "endpoints of this account")
    iam.Policy(stack, "Read", roles=[role], statements=read_statements(stack, regions, prices=False))
    if act_tag_prefix is not None:
        iam.Policy(stack, "Act", roles=[role], statements=act_statements(stack, regions, act_tag_prefix))
    return app.synth().get_stack_by_name(SPOKE_STACK).template


class SpokeRoles(Construct):
    """The StackSet that puts the spoke role into every member account of the chosen OUs."""

    def __init__(self, scope: Construct, construct_id: str, *, hub_role: iam.IRole, organization_id: str,
                 units: Sequence[str], regions: Sequence[str], role_name: str, act_tag_prefix: str | None,
                 external_id: str | None, delegated_admin: bool) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.template = spoke_template(regions, role_name, act_tag_prefix, external_id)
        self.stack_set = cloudformation.CfnStackSet(
            self, "StackSet",
            stack_set_name=f"{stack.stack_name}-spoke",
            description="cost-watcher spoke role in every member account (deployed by the hub stack)",
            permission_model="SERVICE_MANAGED",
            call_as="DELEGATED_ADMIN" if delegated_admin else "SELF",
            auto_deployment=cloudformation.CfnStackSet.AutoDeploymentProperty(
                enabled=True, retain_stacks_on_account_removal=False),
            capabilities=["CAPABILITY_NAMED_IAM"],
            managed_execution={"Active": True},
            operation_preferences=cloudformation.CfnStackSet.OperationPreferencesProperty(
                failure_tolerance_percentage=10, max_concurrent_percentage=50, region_concurrency_type="PARALLEL"),
            parameters=[
                cloudformation.CfnStackSet.ParameterProperty(parameter_key="HubRoleArn",
                                                             parameter_value=hub_role.role_arn),
                cloudformation.CfnStackSet.ParameterProperty(parameter_key="OrganizationId",
                                                             parameter_value=organization_id),
            ],
            # IAM is global: one stack instance per account, in the hub's region
            stack_instances_group=[cloudformation.CfnStackSet.StackInstancesProperty(
                deployment_targets=cloudformation.CfnStackSet.DeploymentTargetsProperty(
                    organizational_unit_ids=list(units)),
                regions=[stack.region])],
            template_body=json.dumps(self.template, sort_keys=True),
        )


def hub_statements(stack: Stack, role_name: str, organization_id: str,
                   owner_topics: Sequence[str]) -> list[iam.PolicyStatement]:
    """What organization mode adds to the hub's run role: list the accounts, assume the spoke role
    (in this organization's accounts only), publish the owners' digests."""
    statements = [
        iam.PolicyStatement(sid="ListTheOrganizationsAccounts", resources=["*"], actions=[
            "organizations:ListAccounts", "organizations:ListAccountsForParent", "organizations:ListChildren"]),
        iam.PolicyStatement(sid="AssumeTheSpokeRoleInMemberAccounts", actions=["sts:AssumeRole"],
                            resources=[f"arn:{stack.partition}:iam::*:role/{role_name}"],
                            conditions={"StringEquals": {"aws:ResourceOrgID": organization_id}}),
    ]
    if owner_topics:
        statements.append(iam.PolicyStatement(sid="PublishOwnersDigests", actions=["sns:Publish"],
                                              resources=list(owner_topics)))
    return statements


class OrganizationRun(Construct):
    """list accounts -> Distributed Map of (account, region) items -> merge and digests."""

    def __init__(self, scope: Construct, construct_id: str, *, function: lambda_.IFunction, max_concurrency: int,
                 tolerated_failure_percentage: int, log_retention: logs.RetentionDays) -> None:
        super().__init__(scope, construct_id)
        context = {"run_id.$": "$$.Execution.Name", "scheduled.$": "$$.Execution.StartTime"}
        accounts = tasks.LambdaInvoke(
            self, "ListAccounts", state_name="List accounts", lambda_function=function, payload_response_only=True,
            payload=sfn.TaskInput.from_object({"step": "accounts", **context}))
        item = tasks.LambdaInvoke(  # its input is the item event the Map's ItemSelector builds
            self, "RunItem", state_name="Scan one account and region", lambda_function=function,
            payload_response_only=True)
        item.add_retry(errors=["States.TaskFailed"], max_attempts=ITEM_RETRIES, interval=Duration.seconds(30),
                       backoff_rate=2)
        items = sfn.DistributedMap(
            self, "Items", state_name="Every account and region", items_path="$.items",
            item_selector={"step": "item", "item.$": "$$.Map.Item.Value", "run_id.$": "$.run_id",
                           "scheduled.$": "$.scheduled"},
            max_concurrency=max_concurrency, tolerated_failure_percentage=tolerated_failure_percentage,
            result_path=sfn.JsonPath.DISCARD)  # items store their reports; the merge reads them
        items.item_processor(item)
        merge_payload = sfn.TaskInput.from_object({"step": "merge", "accounts.$": "$.accounts",
                                                   "items.$": "$.items", **context})
        merge = tasks.LambdaInvoke(self, "Merge", state_name="Merge and send the digests", lambda_function=function,
                                   payload_response_only=True, payload=merge_payload)
        # More items failed than tolerated: the digest still goes out (what was seen, what was not),
        # then the execution fails, so the failed-executions alarm says the night went wrong.
        merge_anyway = tasks.LambdaInvoke(self, "MergeAfterFailure", state_name="Merge what was seen",
                                          lambda_function=function, payload_response_only=True,
                                          payload=merge_payload, result_path="$.merged")
        items.add_catch(merge_anyway.next(sfn.Fail(self, "TooManyItemsFailed", state_name="Too many items failed",
                                                   cause="more items failed than tolerated_failure_percentage")),
                        errors=["States.ALL"], result_path="$.map_error")
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention)
        self.state_machine = sfn.StateMachine(
            self, "StateMachine",
            comment="cost-watcher organization run: every account and region, one report, one digest",
            definition_body=sfn.DefinitionBody.from_chainable(accounts.next(items).next(merge)),
            timeout=RUN_TIMEOUT, tracing_enabled=True,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        stack = Stack.of(self)
        acknowledge(self.state_machine.role.node.find_child("DefaultPolicy"), "AwsSolutions-IAM5[Resource::*]",
                    "Step Functions' log delivery and X-Ray calls have no resource-level permissions.")
        acknowledge(self.state_machine.role.node.find_child("DefaultPolicy"),
                    f"AwsSolutions-IAM5[Resource::{nag_resource(stack, function.function_arn)}:*]",
                    "CDK's LambdaInvoke grants the function's versions (ARN:*); only this function is invoked.")
        # How cdk-nag spells the child executions of this state machine (CDK derives the name from its ARN).
        name = json.dumps({"Fn::Select": [6, {"Fn::Split": [":", {"Ref": stack.get_logical_id(
            self.state_machine.node.default_child)}]}]}, separators=(",", ":"))
        executions = f"arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{name}"
        for pattern in (f"{executions}:*", f"{executions}/*:*"):
            acknowledge(self.state_machine.node.find_child("DistributedMapPolicy"),
                        f"AwsSolutions-IAM5[Resource::{pattern}]",
                        "A Distributed Map starts, reads and stops its own child executions, whose names are "
                        "made at run time; the policy is limited to this state machine's executions.")


class OrganizationSchedule(NightlySchedule):
    """EventBridge Scheduler starts the state machine (time zone, retries and DLQ as for one account)."""

    def __init__(self, scope: Construct, construct_id: str, *, state_machine: sfn.IStateMachine, expression: str,
                 timezone: str, dead_letters: sqs.IQueue) -> None:
        super().__init__(scope, construct_id, expression=expression, timezone=timezone,
                         description="Starts the cost-watcher organization run",
                         target=lambda role: targets.StepFunctionsStartExecution(
                             state_machine, input=scheduler.ScheduleTargetInput.from_object({}),
                             retry_attempts=self.RETRIES, max_event_age=self.MAX_EVENT_AGE,
                             dead_letter_queue=dead_letters, role=role))


def failed_runs_alarm(scope: Construct, state_machine: sfn.StateMachine, topic: sns.ITopic) -> cloudwatch.Alarm:
    """An organization run that failed (or timed out) tells whoever reads the digest."""
    alarm = cloudwatch.Alarm(
        scope, "OrganizationRunFailed",
        alarm_description="A cost-watcher organization run failed: see the state machine's executions.",
        metric=state_machine.metric_failed(period=Duration.minutes(5), statistic="Sum"),
        threshold=1, evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING)
    alarm.add_alarm_action(actions.SnsAction(topic))
    return alarm
