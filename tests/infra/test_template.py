"""The synthesized stack, part by part: function, schedule, alerts, ledger, dashboard, outputs."""

from __future__ import annotations

import json
import re

import pytest
from aws_cdk import aws_lambda as lambda_

from cost_watcher.settings import Settings, from_environment, to_environment
from tests.infra.template import as_list, get_att, mentions, only, ref, render, resources

LAYER = re.compile(r":017000801446:layer:AWSLambdaPowertoolsPythonV3-(python\d+)-(arm64|x86_64):(\d+)$")
RUN_METRICS = ("EndpointsScanned", "IdleEndpoints", "UnderusedEndpoints", "ReclaimableUSD", "ActionsDone",
               "ScanErrors")


def function_of(template: dict) -> tuple[str, dict]:
    return only(template, "AWS::Lambda::Function")


# --- function ---------------------------------------------------------------------------

def test_function_runs_the_engine_handler_on_the_newest_python_cdk_knows_on_arm64(report_template):
    _, function = function_of(report_template)
    newest = max((r.name for r in lambda_.Runtime.ALL if re.fullmatch(r"python3\.\d+", r.name)),
                 key=lambda name: int(name.split(".")[1]))
    assert function["Runtime"] == newest
    assert function["Architectures"] == ["arm64"]
    assert function["Handler"] == "cost_watcher.faces.handler.lambda_handler"


@pytest.mark.parametrize("variant", ["report", "act"])
def test_powertools_comes_from_the_managed_layer_matching_runtime_architecture_and_setting(synth, variant):
    _, function = function_of(synth.templates[variant])
    (layer,) = function["Layers"]
    arn = render(layer, {"AWS::Region": "eu-west-1"})
    assert arn.startswith("arn:aws:lambda:eu-west-1:")
    python, arch, version = LAYER.search(arn).groups()
    assert python == function["Runtime"].replace(".", "")
    assert arch == function["Architectures"][0]
    assert int(version) == synth.settings[variant].powertools_layer_version


@pytest.mark.parametrize("variant", ["report", "act"])
def test_runs_never_overlap_and_are_sized_and_traced_as_set(synth, variant):
    settings = synth.settings[variant]
    _, function = function_of(synth.templates[variant])
    assert function["ReservedConcurrentExecutions"] == 1
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert function["MemorySize"] == settings.memory_mb
    assert function["Timeout"] == settings.timeout_minutes * 60


@pytest.mark.parametrize("variant", ["report", "act"])
def test_logs_go_to_a_log_group_with_the_set_retention(synth, variant):
    template = synth.templates[variant]
    _, function = function_of(template)
    group_id, group = only(template, "AWS::Logs::LogGroup")
    assert function["LoggingConfig"]["LogGroup"] == ref(group_id)
    assert group["RetentionInDays"] == synth.settings[variant].log_retention_days


def test_environment_is_exactly_the_engine_settings_plus_powertools(report_template):
    _, function = function_of(report_template)
    variables = function["Environment"]["Variables"]
    assert set(variables) == set(to_environment(Settings())) | {
        "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "LOG_LEVEL"}
    assert variables["POWERTOOLS_SERVICE_NAME"] == "cost-watcher"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "CostWatcher"


@pytest.mark.parametrize("variant", ["report", "act"])
def test_the_engine_reads_back_the_deployed_settings_with_topic_ledger_and_regions_wired(synth, variant):
    template = synth.templates[variant]
    settings = synth.settings[variant]
    _, function = function_of(template)
    topic_id, _ = only(template, "AWS::SNS::Topic")
    bucket_id, _ = only(template, "AWS::S3::Bucket")
    deployed = {"AWS::Region": "eu-central-1", topic_id: "arn:aws:sns:eu-central-1:123456789012:digest",
                bucket_id: "ledger-bucket"}
    environ = {name: render(value, deployed) for name, value in function["Environment"]["Variables"].items()}

    parsed = from_environment(environ)

    assert parsed.topic_arn == "arn:aws:sns:eu-central-1:123456789012:digest"
    assert parsed.ledger == "s3://ledger-bucket"
    assert parsed.regions == (settings.engine.regions or ("eu-central-1",))
    assert parsed.replace(topic_arn=None, ledger=None, regions=settings.engine.regions) == settings.engine


def test_act_variant_deploys_act_mode_and_report_variant_report_mode(synth):
    modes = {variant: function_of(t)[1]["Environment"]["Variables"]["COST_WATCHER_MODE"]
             for variant, t in synth.templates.items()}
    assert modes == {"report": "report", "act": "act", "org": "act"}


def test_the_asset_is_lambda_src_without_caches_or_build_leftovers(synth):
    assets = synth.assets("report")["files"]
    (code,) = [a for a in assets.values() if a["source"].get("packaging") == "zip"]
    root = synth.outdir / code["source"]["path"]
    shipped = {p.relative_to(root).as_posix() for p in root.rglob("*")}
    assert "cost_watcher/faces/handler.py" in shipped
    assert "cost_watcher/settings.py" in shipped
    assert not [p for p in shipped if "__pycache__" in p or p.endswith(".pyc") or ".egg-info" in p]


# --- schedule ---------------------------------------------------------------------------

@pytest.mark.parametrize("variant", ["report", "act"])
def test_schedule_uses_the_set_expression_and_time_zone_with_retries_and_a_dlq(synth, variant):
    template = synth.templates[variant]
    settings = synth.settings[variant]
    _, schedule = only(template, "AWS::Scheduler::Schedule")
    function_id, _ = function_of(template)
    queue_id, _ = only(template, "AWS::SQS::Queue")
    assert schedule["ScheduleExpression"] == settings.schedule
    assert schedule["ScheduleExpressionTimezone"] == settings.timezone
    assert schedule["State"] == "ENABLED"
    target = schedule["Target"]
    assert target["Arn"] == get_att(function_id, "Arn")
    assert target["DeadLetterConfig"]["Arn"] == get_att(queue_id, "Arn")
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1


def test_the_scheduled_event_is_one_the_handler_accepts(report_template):
    from cost_watcher.faces.handler import settings_for

    _, schedule = only(report_template, "AWS::Scheduler::Schedule")
    event = json.loads(schedule["Target"]["Input"])
    assert event["detail-type"] == "Scheduled Event"
    base = Settings(regions=("us-east-1",))
    assert settings_for(event, base) == base


@pytest.mark.parametrize("variant", ["report", "act"])
def test_a_crashed_run_is_retried_within_its_event_age_then_lands_in_the_dlq(synth, variant):
    template = synth.templates[variant]
    _, config = only(template, "AWS::Lambda::EventInvokeConfig")
    _, function = function_of(template)
    queue_id, _ = only(template, "AWS::SQS::Queue")
    assert config["MaximumRetryAttempts"] >= 1
    attempts = config["MaximumRetryAttempts"] + 1
    assert config["MaximumEventAgeInSeconds"] >= attempts * function["Timeout"], "a retry would expire unrun"
    assert config["MaximumEventAgeInSeconds"] <= 6 * 3600
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == get_att(queue_id, "Arn")


# --- alerts -----------------------------------------------------------------------------

@pytest.mark.parametrize("variant", ["report", "act"])
def test_topic_is_encrypted_with_a_rotated_key_and_refuses_plain_http(synth, variant):
    template = synth.templates[variant]
    topic_id, topic = only(template, "AWS::SNS::Topic")
    key_id, key = only(template, "AWS::KMS::Key")
    assert topic["KmsMasterKeyId"] == get_att(key_id, "Arn")
    assert key["EnableKeyRotation"] is True
    _, policy = only(template, "AWS::SNS::TopicPolicy")
    denies = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)
    assert policy["Topics"] == [ref(topic_id)]


def test_cloudwatch_alarms_may_use_the_topic_key(report_template):
    _, key = only(report_template, "AWS::KMS::Key")
    for_cloudwatch = [s for s in key["KeyPolicy"]["Statement"]
                      if s.get("Principal", {}).get("Service") == "cloudwatch.amazonaws.com"]
    assert for_cloudwatch and {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(as_list(for_cloudwatch[0]["Action"]))


@pytest.mark.parametrize("variant", ["report", "act"])
def test_one_email_subscription_per_address(synth, variant):
    template = synth.templates[variant]
    subscriptions = resources(template, "AWS::SNS::Subscription").values()
    emails = sorted(s["Properties"]["Endpoint"] for s in subscriptions if s["Properties"]["Protocol"] == "email")
    assert emails == sorted(synth.settings[variant].notify_emails)


def test_slack_channel_exists_only_when_both_ids_are_set(synth):
    assert resources(synth.templates["report"], "AWS::Chatbot::SlackChannelConfiguration") == {}
    template = synth.templates["act"]
    _, slack = only(template, "AWS::Chatbot::SlackChannelConfiguration")
    topic_id, _ = only(template, "AWS::SNS::Topic")
    assert slack["SlackWorkspaceId"] == synth.settings["act"].slack_workspace_id
    assert slack["SlackChannelId"] == synth.settings["act"].slack_channel_id
    assert slack["SnsTopicArns"] == [ref(topic_id)]
    role = template["Resources"][slack["IamRoleArn"]["Fn::GetAtt"][0]]["Properties"]
    assert "ManagedPolicyArns" not in role and "Policies" not in role  # notifications only


# --- ledger -----------------------------------------------------------------------------

@pytest.mark.parametrize("variant", ["report", "act"])
def test_ledger_bucket_is_versioned_encrypted_private_ssl_only_and_retained(synth, variant):
    template = synth.templates[variant]
    bucket_id, bucket = only(template, "AWS::S3::Bucket")
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert template["Resources"][bucket_id]["DeletionPolicy"] == "Retain"
    assert template["Resources"][bucket_id]["UpdateReplacePolicy"] == "Retain"
    _, policy = only(template, "AWS::S3::BucketPolicy")
    denies = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)


@pytest.mark.parametrize("variant", ["report", "act"])
def test_lifecycle_expires_reports_only_never_restore_records(synth, variant):
    _, bucket = only(synth.templates[variant], "AWS::S3::Bucket")
    rules = bucket["LifecycleConfiguration"]["Rules"]
    assert rules and all(rule.get("Prefix") == "reports/" for rule in rules)
    assert [rule["ExpirationInDays"] for rule in rules] == [synth.settings[variant].reports_retention_days]


# --- alarms and dashboard ---------------------------------------------------------------

def test_alarms_on_function_errors_and_dead_letters_publish_to_the_topic(report_template):
    function_id, _ = function_of(report_template)
    queue_id, _ = only(report_template, "AWS::SQS::Queue")
    topic_id, _ = only(report_template, "AWS::SNS::Topic")
    alarms = [a["Properties"] for a in resources(report_template, "AWS::CloudWatch::Alarm").values()]
    watched = {(a["Namespace"], a["MetricName"]): a for a in alarms}
    errors = watched[("AWS/Lambda", "Errors")]
    dead = watched[("AWS/SQS", "ApproximateNumberOfMessagesVisible")]
    assert errors["Dimensions"] == [{"Name": "FunctionName", "Value": ref(function_id)}]
    assert dead["Dimensions"] == [{"Name": "QueueName", "Value": get_att(queue_id, "QueueName")}]
    for alarm in (errors, dead):
        assert alarm["AlarmActions"] == [ref(topic_id)]
        assert alarm["Threshold"] == 1
        assert alarm["TreatMissingData"] == "notBreaching"


def test_dashboard_plots_every_run_metric_of_the_engine(report_template):
    _, dashboard = only(report_template, "AWS::CloudWatch::Dashboard")
    body = json.loads(render(dashboard["DashboardBody"], {"AWS::Region": "us-east-1",
                                                          function_of(report_template)[0]: "fn"}))
    plotted = {tuple(m[:2]) for w in body["widgets"] for m in w["properties"].get("metrics", [])
               if m[0] == "CostWatcher"}
    assert plotted == {("CostWatcher", name) for name in RUN_METRICS}
    for widget in body["widgets"]:
        for metric in widget["properties"].get("metrics", []):
            if metric[0] == "CostWatcher":
                assert metric[2:4] == ["service", "cost-watcher"]


def test_outputs_name_topic_bucket_function_and_dashboard(report_template):
    outputs = {key: value["Value"] for key, value in report_template["Outputs"].items()}
    assert outputs["TopicArn"] == ref(only(report_template, "AWS::SNS::Topic")[0])
    assert outputs["LedgerBucketName"] == ref(only(report_template, "AWS::S3::Bucket")[0])
    assert outputs["FunctionName"] == ref(function_of(report_template)[0])
    dashboard_id, _ = only(report_template, "AWS::CloudWatch::Dashboard")
    assert mentions(outputs["DashboardUrl"], dashboard_id)
    url = render(outputs["DashboardUrl"], {"AWS::Region": "eu-west-1", dashboard_id: "CostWatcher-runs"})
    assert url == ("https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1"
                   "#dashboards/dashboard/CostWatcher-runs")
