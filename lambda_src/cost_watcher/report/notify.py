"""The AWS edge of the digest: store the full report in the ledger, decide, publish to SNS.

`deliver(report, settings, clients)` is the one call a run makes once its report is complete.
It never raises for an AWS or disk failure, because losing the run's report over a digest
would be worse than a missing message: a failed write or publish is recorded in
`report.errors` (region "global"), so the run still ends with an error status, and the digest
text is logged. What happened is always written to `report.notification`:
"sent: <message id>", "skipped: <why>" or "failed: <why>".

Reports are stored under `<ledger>/reports/YYYY/MM/DD/<run id>.json`, where the ledger is
`s3://bucket/prefix` or a local directory (the CLI's `--ledger`).
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cost_watcher.aws import AwsClients
from cost_watcher.errors import LedgerError, describe_error
from cost_watcher.model import Action, RegionError, Report
from cost_watcher.reclaim.journal import safe_run_id
from cost_watcher.reclaim.ledger import open_ledger
from cost_watcher.record import report_to_dict
from cost_watcher.report import digest
from cost_watcher.report.selection import needs_attention
from cost_watcher.settings import Settings
from cost_watcher.store import Store, is_missing, location_of

log = logging.getLogger(__name__)

GLOBAL_REGION = "global"  # errors of the run as a whole, not of one scanned region
REPORTS_FOLDER = "reports"
_FAILURES = (ClientError, BotoCoreError, OSError, ValueError)
SENT, SENDING, UNCONFIRMED = "sent:", "sending:", "unconfirmed:"


# --- deciding ------------------------------------------------------------------------------

def skip_reason(report: Report, settings: Settings) -> str | None:
    """Why the digest is not sent this run, or None to send it. `notify` decides:
    always | findings (anything idle/underused, any action, or anything that could not be seen)
    | actions (any action planned, done, skipped or failed) | never.
    """
    if settings.notify == "never":
        return "notify=never"
    if not settings.topic_arn:
        return f"notify={settings.notify} but no topic is configured (topic_arn / --topic-arn)"
    if settings.notify == "always":
        return None
    acted = any(f.action != Action.NONE for f in report.findings)
    if settings.notify == "actions":
        return None if acted else "notify=actions and no action was planned or taken"
    if acted or report.errors or any(needs_attention(f) for f in report.findings):
        return None
    return "notify=findings and nothing to report"


# --- the ledger: where the full report is kept ---------------------------------------------

def new_run_id(report: Report) -> str:
    """Sortable by time, unique even for two runs in the same second."""
    moment = report.generated_at.astimezone(UTC) if report.generated_at.tzinfo else report.generated_at
    return f"{moment:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def report_key(report: Report, run_id: str, scheduled: datetime | None = None) -> str:
    """reports/YYYY/MM/DD/<run id>.json, dated by the run's scheduled time when known (the same
    on a retry), else by the report; the id may come from an event, so only safe characters stay."""
    moment = scheduled or report.generated_at
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    return f"{REPORTS_FOLDER}/{moment:%Y/%m/%d}/{safe_run_id(run_id)}.json"


def report_body(report: Report) -> bytes:
    return (json.dumps(report_to_dict(report), indent=2, default=str) + "\n").encode()


def earlier_notification(store: Store, key: str) -> str | None:
    """What an earlier attempt of this run recorded about its digest, when it sent one or was
    sending one ("sent: ...", "sending: ...", "unconfirmed: ..."); None when it sent none.

    A retried run (same run id) must not send a second digest. Anything unreadable counts as
    not sent: a duplicate message is better than none.
    """
    try:
        notification = json.loads(store.get(key)).get("notification") or ""
    except (*_FAILURES, AttributeError) as error:
        if not is_missing(error):
            log.warning("could not read an earlier copy of this run's report: %s", describe_error(error))
        return None
    return notification if notification.startswith((SENT, SENDING, UNCONFIRMED)) else None


def _store(report: Report, store: Store, key: str) -> bool:
    """Store the report under the ledger and name it in the report; on failure record a run error."""
    previous = report.report_location
    try:
        report.report_location = location_of(store, key)  # the stored copy names itself
        store.put(key, report_body(report))
        return True
    except _FAILURES as error:
        report.report_location = previous
        _store_failed(report, store.location, error)
        return False


def _store_failed(report: Report, ledger: str, error: BaseException) -> None:
    operation = "s3:PutObject" if ledger.startswith("s3://") else "ledger:WriteReport"
    why = f"could not store the report in {ledger}: {describe_error(error)}"
    report.errors.append(RegionError(GLOBAL_REGION, operation, why))
    log.error(why)


# --- publishing ----------------------------------------------------------------------------

def topic_region(topic_arn: str) -> str:
    """arn:aws:sns:<region>:<account>:<name>: a topic is published to in its own region."""
    return topic_arn.split(":")[3]


def publish(sns: Any, topic_arn: str, message: digest.Digest) -> str:
    """One Publish with a message per protocol; returns the SNS message id."""
    response = sns.publish(
        TopicArn=topic_arn,
        Subject=message.subject,
        Message=message.message(),
        MessageStructure="json",
        MessageAttributes=message.attributes,
    )
    return str(response["MessageId"])


def _send(report: Report, settings: Settings, clients: AwsClients) -> None:
    assert settings.topic_arn is not None
    message = digest.build(report, settings)
    try:
        message_id = publish(clients.sns(topic_region(settings.topic_arn)), settings.topic_arn, message)
    except _FAILURES as error:
        why = describe_error(error)
        report.notification = f"failed: {why}"
        failure = f"digest not sent to {settings.topic_arn}: {why}"
        report.errors.append(RegionError(GLOBAL_REGION, "sns:Publish", failure))
        log.error("digest not sent to %s (%s); its text follows so it is not lost:\n%s", settings.topic_arn, why,
                  message.text)
        return
    report.notification = f"sent: {message_id}"
    log.info("digest sent to %s: %s (%d bytes, %d endpoints listed, %d more in the report)", settings.topic_arn,
             message_id, message.size(), message.listed, message.omitted)


# --- the seam ------------------------------------------------------------------------------

def deliver(report: Report, settings: Settings, clients: AwsClients, *, run_id: str | None = None,
            scheduled: datetime | None = None) -> None:
    """Store the report (when a ledger is set), then send or skip the digest, recording the outcome.

    Sets `report.report_location` and `report.notification`; failures go to `report.errors`.
    The report is written before the publish, so a failed publish cannot lose it, and written
    again afterwards so the stored copy says what happened to the digest. Pass the run's own id
    (the same on a Lambda retry) so a retry overwrites its report and sends no second digest.

    The first copy says "sending" when a digest is about to go. A retry that finds "sending"
    knows its earlier attempt died during the Publish call, and SNS cannot say whether that
    message went out. It does not send again (no digest twice); it records an error naming the
    stored report instead, so the run ends incomplete (the dead attempt has already raised the
    function-errors alarm).
    """
    key = report_key(report, run_id or new_run_id(report), scheduled)
    store = _open(settings.ledger, report, clients)
    earlier = earlier_notification(store, key) if store and run_id else None
    reason = skip_reason(report, settings)
    sending = False
    if earlier and earlier.startswith(SENT):  # keep "sent: <id>" first, so any later retry sees it too
        report.notification = f"{earlier.split(' (')[0]} (by an earlier attempt of run {run_id})"
    elif earlier and store:  # "sending" or "unconfirmed": at most one digest, and the operator is told
        report.notification = (f"{UNCONFIRMED} an earlier attempt of run {run_id} stopped while publishing the "
                               "digest, and SNS cannot say whether it went out; not sent again")
        report.errors.append(RegionError(GLOBAL_REGION, "sns:Publish", f"the digest may not have arrived: "
                                         f"{report.notification.removeprefix(UNCONFIRMED).strip()}; the full "
                                         f"report is in the ledger at {location_of(store, key)}"))
    elif reason:
        report.notification = f"skipped: {reason}"
    else:
        report.notification, sending = f"{SENDING} run {run_id or key}", True
    stored = store is not None and _store(report, store, key)
    if not sending:
        log.info("digest %s", report.notification)
        return
    _send(report, settings, clients)
    if stored and store is not None:
        _store(report, store, key)


def _open(ledger: str | None, report: Report, clients: AwsClients) -> Store | None:
    """The ledger's store, None when no ledger is set or it cannot be opened (a run error then)."""
    if not ledger:
        return None
    try:
        return open_ledger(ledger, clients).store  # reports live beside the restore records
    except LedgerError as error:
        _store_failed(report, ledger, error)
        return None
