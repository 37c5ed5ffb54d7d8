"""The grace-period mark: find it on busy endpoints, add it, remove it."""

from __future__ import annotations

from datetime import date

from cost_watcher.aws import AwsClients
from cost_watcher.errors import describe_error, is_not_found
from cost_watcher.judge import policy
from cost_watcher.model import Action, Finding, Outcome, RegionError, Report
from cost_watcher.reclaim import actions
from cost_watcher.reclaim.context import fail, failure
from cost_watcher.settings import Settings


def discover_marks(findings: list[Finding], settings: Settings, clients: AwsClients, report: Report) -> None:
    """Busy endpoints are not described by the scan, so their tags are unknown; find our
    mark on them with one Resource Groups Tagging API call per region (to remove it)."""
    unseen: dict[str, list[Finding]] = {}
    for finding in findings:
        endpoint = finding.endpoint
        if endpoint is not None and not endpoint.described and finding.verdict in policy.TRAFFIC_VERDICTS:
            unseen.setdefault(finding.region, []).append(finding)
    key = settings.tags.idle_since
    for region, group in unseen.items():
        try:
            marked = actions.marked_endpoints(clients.client("resourcegroupstaggingapi", region), key)
        except Exception as error:  # noqa: BLE001 - a missed unmark only delays; say it was not seen
            report.errors.append(RegionError(region, "tag:GetResources",
                                             f"marks on busy endpoints not read: {describe_error(error)}"))
            continue
        for finding in group:
            value = marked.get(finding.endpoint.arn) if finding.endpoint else None
            if value is None:
                continue
            try:
                finding.idle_since = date.fromisoformat(value.strip())
            except ValueError:
                finding.idle_since = date.min  # any mark on a busy endpoint goes, even a malformed one
                finding.warnings.append(f"tag {key}={value!r} is not a date (YYYY-MM-DD)")


def mark_or_unmark(finding: Finding, settings: Settings, clients: AwsClients, report: Report, today: date) -> None:
    """Carry out a MARK or UNMARK action; the outcome (and any error) lands on the finding/report."""
    sagemaker = clients.sagemaker(finding.region)
    arn = finding.endpoint.arn if finding.endpoint else ""
    key = settings.tags.idle_since
    try:
        if finding.action == Action.MARK:
            actions.add_mark(sagemaker, arn, key, today.isoformat())
            finding.idle_since = today
        else:
            actions.remove_mark(sagemaker, arn, key)
            finding.idle_since = None
        finding.action_result = Outcome.done()
    except Exception as error:  # noqa: BLE001 - one endpoint's trouble never fails the run
        if is_gone(error):
            finding.action_result = Outcome.skipped("endpoint no longer exists")
            return
        operation, message = failure(error)
        fail(finding, report, operation, message)


def unmark_after_traffic(finding: Finding, settings: Settings, clients: AwsClients) -> None:
    """The re-check saw traffic: the grace period starts again, so the mark goes."""
    try:
        actions.remove_mark(clients.sagemaker(finding.region), finding.endpoint.arn, settings.tags.idle_since)
        finding.idle_since = None
        finding.action_result = finding.action_result.plus("mark removed")
    except Exception as error:  # noqa: BLE001
        finding.warnings.append(f"could not remove the mark: {describe_error(error)}")


def is_gone(error: BaseException) -> bool:
    return is_not_found(error) or "not found" in str(error).lower()
