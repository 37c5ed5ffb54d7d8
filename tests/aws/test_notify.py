"""notify.deliver against moto: the report lands in the ledger, the digest in SNS, failures in the report."""

from __future__ import annotations

import json
import logging
import re

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from cost_watcher.errors import SettingsError
from cost_watcher.model import RegionError, Report, Verdict
from cost_watcher.report import digest, notify
from cost_watcher.scan.clients import Clients
from tests.chatbot_schema import VALIDATOR
from tests.digest_samples import NOW, act_report, big_report, dry_run_report, finding, quiet_report, settings

BUCKET = "ledger-bucket"
LEDGER = f"s3://{BUCKET}/cost-watcher"


@pytest.fixture
def account(aws):
    """A topic in us-east-1 with an SQS queue subscribed (envelope, not raw), and a ledger bucket."""
    clients = Clients()
    sns = clients.sns("us-east-1")
    topic = sns.create_topic(Name="cost-watcher-digest")["TopicArn"]
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue = sqs.create_queue(QueueName="digest-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "false"})
    clients.s3().create_bucket(Bucket=BUCKET)
    return {"clients": clients, "topic": topic, "sqs": sqs, "queue": queue}


def fresh(report: Report) -> Report:
    """A sample report as the engine hands it over: not stored, not notified yet."""
    report.report_location = None
    report.notification = None
    return report


def envelopes(account) -> list[dict]:
    messages = account["sqs"].receive_message(QueueUrl=account["queue"], MaxNumberOfMessages=10,
                                              WaitTimeSeconds=0).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def published(topic_arn: str) -> list[tuple]:
    """What moto's SNS recorded for the topic: (message id, message, subject, attributes, group)."""
    region = topic_arn.split(":")[3]
    return sns_backends[DEFAULT_ACCOUNT_ID][region].topics[topic_arn].sent_notifications


def stored(account, key: str) -> dict:
    body = account["clients"].s3().get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return json.loads(body)


def test_digest_is_published_and_the_report_stored(account):
    report = fresh(act_report())
    config = settings(topic_arn=account["topic"], ledger=LEDGER)

    notify.deliver(report, config, account["clients"], run_id="run-1")

    location = f"{LEDGER}/reports/2024/06/01/run-1.json"
    assert report.report_location == location
    [envelope] = envelopes(account)
    assert report.notification == f"sent: {envelope['MessageId']}"
    assert envelope["Type"] == "Notification"
    assert envelope["Subject"] == digest.subject(report)
    # SQS has no protocol key of its own, so it gets `default`: the plain-text digest
    assert envelope["Message"].startswith("cost-watcher digest, 2024-06-01 02:00 UTC\n")
    assert f"\nFULL REPORT\n  {location}\n" in envelope["Message"]
    assert f"cost-watcher restore fraud-model-v2 --region us-east-1 --ledger {LEDGER}" in envelope["Message"]
    assert envelope["MessageAttributes"]["severity"] == {"Type": "String", "Value": "error"}
    assert envelope["MessageAttributes"]["actions_taken"] == {"Type": "Number", "Value": "3"}

    [(_, message, subject, _, _)] = published(account["topic"])
    body = json.loads(message)
    assert body["email"] == body["default"] == envelope["Message"] and subject == envelope["Subject"]
    chatbot = json.loads(body["https"])
    VALIDATOR.validate(chatbot)
    assert chatbot["metadata"]["threadId"] == "cost-watcher-2024-06-01"

    document = stored(account, "cost-watcher/reports/2024/06/01/run-1.json")
    assert document["schema"].startswith("cost-watcher/report/")
    assert document["report_location"] == location
    assert document["notification"] == report.notification  # the stored copy says what happened to the digest
    assert [e["name"] for e in document["endpoints"]] == [f.name for f in report.findings]
    assert account["clients"].calls["sns:Publish"] == 1
    assert account["clients"].calls["s3:PutObject"] == 2


def test_a_run_id_is_made_when_none_is_given(account):
    report = fresh(act_report())
    notify.deliver(report, settings(topic_arn=account["topic"], ledger=LEDGER), account["clients"])
    assert re.fullmatch(rf"{LEDGER}/reports/2024/06/01/20240601T020000Z-[0-9a-f]{{8}}\.json", report.report_location)
    keys = [o["Key"] for o in account["clients"].s3().list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [report.report_location.removeprefix(f"s3://{BUCKET}/")]


def errors_only() -> Report:
    report = quiet_report()
    report.errors.append(RegionError("eu-west-1", "cloudwatch:GetMetricData", "AccessDenied: no"))
    return report


def idle_only() -> Report:
    report = quiet_report()
    report.findings.append(finding("legacy-nlp", "us-east-1", Verdict.IDLE, cost=84.0, reclaimable=84.0))
    return report


SEND, SKIP = True, False


@pytest.mark.parametrize(("mode", "make", "expected"), [
    ("always", quiet_report, SEND),
    ("findings", quiet_report, SKIP),
    ("actions", quiet_report, SKIP),
    ("never", quiet_report, SKIP),
    ("findings", idle_only, SEND),
    ("actions", idle_only, SKIP),
    ("findings", errors_only, SEND),
    ("actions", errors_only, SKIP),
    ("findings", dry_run_report, SEND),
    ("actions", dry_run_report, SEND),  # a planned delete and a planned mark
    ("actions", act_report, SEND),
    ("never", act_report, SKIP),
])
def test_each_notify_mode(account, mode, make, expected):
    report = fresh(make())
    notify.deliver(report, settings(topic_arn=account["topic"], ledger=None, notify=mode), account["clients"])

    assert len(published(account["topic"])) == (1 if expected else 0)
    assert report.report_location is None
    if expected:
        assert report.notification.startswith("sent: ")
    else:
        assert report.notification.startswith(f"skipped: notify={mode}")
        assert account["clients"].calls["sns:Publish"] == 0
    assert not [e for e in report.errors if e.region == notify.GLOBAL_REGION]


def test_skip_reason_names_the_mode_and_why():
    assert notify.skip_reason(quiet_report(), settings(notify="findings")) == "notify=findings and nothing to report"
    assert notify.skip_reason(idle_only(), settings(notify="actions")) == (
        "notify=actions and no action was planned or taken")
    assert notify.skip_reason(act_report(), settings(notify="always", topic_arn=None)) == (
        "notify=always but no topic is configured (topic_arn / --topic-arn)")


def test_a_failed_publish_keeps_the_report_and_fails_the_run(account, caplog):
    sns = account["clients"].sns("us-east-1")
    sns.delete_topic(TopicArn=account["topic"])
    report = fresh(act_report())
    errors_before = len(report.errors)

    with caplog.at_level(logging.ERROR, logger="cost_watcher.report.notify"):
        notify.deliver(report, settings(topic_arn=account["topic"], ledger=LEDGER), account["clients"], run_id="r2")

    assert report.notification.startswith("failed: NotFound")
    [error] = report.errors[errors_before:]
    assert (error.region, error.operation) == ("global", "sns:Publish")
    assert account["topic"] in error.message
    document = stored(account, "cost-watcher/reports/2024/06/01/r2.json")
    assert document["notification"] == report.notification
    assert {"region": "global", "operation": "sns:Publish", "message": error.message} in document["errors"]
    assert "cost-watcher restore fraud-model-v2" in caplog.text  # the digest text is in the log, not lost


def test_a_refused_publish_with_a_local_ledger(account, tmp_path):
    """A botocore error from Publish (stubbed: moto does not model permissions) and a ledger on disk."""
    report = fresh(dry_run_report())
    config = settings(topic_arn=account["topic"], ledger=str(tmp_path / "ledger"), dry_run=True)
    sns = account["clients"].sns("us-east-1")
    with Stubber(sns) as stub:
        stub.add_client_error(
            "publish", service_error_code="AuthorizationError", http_status_code=403,
            service_message="User is not authorized to perform: SNS:Publish",
            expected_params={"TopicArn": account["topic"], "Subject": ANY, "Message": ANY,
                             "MessageStructure": "json", "MessageAttributes": ANY},
        )
        notify.deliver(report, config, account["clients"], run_id="r3")
        stub.assert_no_pending_responses()

    path = tmp_path / "ledger" / "reports" / "2024" / "06" / "01" / "r3.json"
    assert report.report_location == str(path)
    assert report.notification == "failed: AuthorizationError: User is not authorized to perform: SNS:Publish"
    assert report.errors[-1].operation == "sns:Publish"
    document = json.loads(path.read_text())
    assert document["notification"] == report.notification and document["report_location"] == str(path)
    assert not list(path.parent.glob("*.tmp"))


def test_a_failed_report_write_is_an_error_but_the_digest_still_goes(account):
    report = fresh(act_report())
    notify.deliver(report, settings(topic_arn=account["topic"], ledger="s3://no-such-bucket/x"), account["clients"])

    assert report.report_location is None
    assert report.notification.startswith("sent: ")
    write_errors = [e for e in report.errors if e.operation == "s3:PutObject"]
    assert [e.region for e in write_errors] == ["global"]
    assert "NoSuchBucket" in write_errors[0].message and "s3://no-such-bucket/x" in write_errors[0].message
    [envelope] = envelopes(account)
    assert "not stored: writing it to s3://no-such-bucket/x failed" in envelope["Message"]
    assert "s3:PutObject" in envelope["Message"]  # listed under what could not be done


def test_a_ledger_without_a_bucket_is_refused_before_the_run(account):
    with pytest.raises(SettingsError) as caught:
        settings(topic_arn=account["topic"], ledger="s3://")
    assert str(caught.value) == ("setting 'ledger': 's3://' is not accepted; expected s3://bucket[/prefix] "
                                 "(a valid S3 bucket name) or a directory path")


def test_five_thousand_findings_publish_within_the_sns_limit(account):
    report = fresh(big_report(5000))
    notify.deliver(report, settings(topic_arn=account["topic"], ledger=LEDGER), account["clients"], run_id="big")

    assert report.notification.startswith("sent: ")
    [(_, message, _, _, _)] = published(account["topic"])
    assert len(message.encode()) < digest.SNS_MESSAGE_LIMIT
    assert "  ... and 4,950 more endpoints" in json.loads(message)["email"]
    document = stored(account, "cost-watcher/reports/2024/06/01/big.json")
    assert len(document["endpoints"]) == 5000  # the full list is in the report the digest names


def test_the_topic_is_published_to_in_its_own_region(account):
    eu_topic = boto3.client("sns", region_name="eu-west-1").create_topic(Name="digest-eu")["TopicArn"]
    report = fresh(act_report())
    notify.deliver(report, settings(topic_arn=eu_topic, ledger=None), account["clients"])
    assert report.notification.startswith("sent: ")
    assert len(published(eu_topic)) == 1 and not published(account["topic"])


def test_report_written_first_names_itself_even_if_publishing_crashes(account, monkeypatch):
    """A bug in publishing (not an AWS failure) propagates, but the report is already stored."""
    def broken(*_args, **_kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(notify, "publish", broken)
    report = fresh(act_report())
    with pytest.raises(RuntimeError):
        notify.deliver(report, settings(topic_arn=account["topic"], ledger=LEDGER), account["clients"], run_id="r4")
    document = stored(account, "cost-watcher/reports/2024/06/01/r4.json")
    assert document["report_location"] == f"{LEDGER}/reports/2024/06/01/r4.json"
    assert document["generated_at"] == NOW.isoformat().replace("+00:00", "Z")


def test_a_retried_run_sends_no_second_digest(account):
    config = settings(topic_arn=account["topic"], ledger=LEDGER)
    first = fresh(act_report())
    notify.deliver(first, config, account["clients"], run_id="r5")
    retries = [fresh(act_report()), fresh(act_report())]
    for retry in retries:
        notify.deliver(retry, config, account["clients"], run_id="r5")

    assert len(published(account["topic"])) == 1
    assert [r.notification for r in retries] == [f"{first.notification} (by an earlier attempt of run r5)"] * 2
    assert stored(account, "cost-watcher/reports/2024/06/01/r5.json")["notification"] == retries[-1].notification


def test_a_retry_after_a_failed_publish_sends(account, tmp_path):
    config = settings(topic_arn=account["topic"], ledger=str(tmp_path))
    first = fresh(act_report())
    with Stubber(account["clients"].sns("us-east-1")) as stub:
        stub.add_client_error("publish", service_error_code="Throttled", http_status_code=400)
        notify.deliver(first, config, account["clients"], run_id="r6")
    assert first.notification.startswith("failed: Throttled")

    retry = fresh(act_report())
    notify.deliver(retry, config, account["clients"], run_id="r6")
    assert retry.notification.startswith("sent: ")
    assert len(published(account["topic"])) == 1


def test_a_run_id_from_an_event_cannot_leave_the_reports_folder():
    report = fresh(act_report())
    assert notify.report_key(report, "../../etc/x y") == "reports/2024/06/01/-..-etc-x-y.json"
    assert notify.report_key(report, "..") == "reports/2024/06/01/run.json"


def test_a_relative_local_ledger_is_named_by_its_absolute_path(account, tmp_path, monkeypatch):
    """The digest and the stored copy name the report so it can be found from anywhere."""
    monkeypatch.chdir(tmp_path)
    report = fresh(dry_run_report())
    notify.deliver(report, settings(topic_arn=None, ledger="ledger", notify="never", dry_run=True),
                   account["clients"], run_id="r7")
    path = tmp_path / "ledger" / "reports" / "2024" / "06" / "01" / "r7.json"
    assert report.report_location == str(path) and path.is_file()
    assert json.loads(path.read_text())["report_location"] == str(path)
