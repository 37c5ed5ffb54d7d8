"""`cost-watcher restore`: put a reclaimed endpoint back as it was, from its ledger record.

After a delete: recreate the model(s) and endpoint config if they were deleted since,
create the endpoint with its original tags minus our grace-period mark, recreate its
inference components, then re-register its autoscaling targets, policies and scheduled
actions. After a scale-down: instance counts, autoscaling MinCapacity and component copy
counts go back to their recorded values and the mark is removed.

Every step checks what exists first, and a create whose answer was lost is read back, so
running restore again (after a timeout, or by mistake) finishes the job or does nothing. A
successful restore writes a `restore` record, so a later run of restore says "already
restored" instead of acting twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from cost_watcher.aws import AwsClients
from cost_watcher.errors import EndpointGone, RestoreError, describe_error
from cost_watcher.reclaim import actions
from cost_watcher.reclaim.actions import Wait
from cost_watcher.reclaim.ledger import Ledger, Record
from cost_watcher.reclaim.recreate import recreate
from cost_watcher.reclaim.restore_result import RestoreContext, RestoreResult, created_since
from cost_watcher.reclaim.scale_back import scale_back
from cost_watcher.reclaim.unschedule import RECORDS as SCHEDULE_RECORDS
from cost_watcher.reclaim.unschedule import applied_record, unschedule
from cost_watcher.settings import Settings, SettingsError, TagKeys, validate_region

WAIT_RESTORE = Wait(delay=30, attempts=60)  # creating an endpoint takes minutes; a person is waiting
DEFAULT_PREFIX = Settings().tag_prefix


def _utc_now() -> datetime:
    return datetime.now(UTC)


def restore(endpoint_name: str, region: str, ledger: Ledger, clients: AwsClients, dry_run: bool = False, *,
            wait: Wait = WAIT_RESTORE, clock: Callable[[], datetime] = _utc_now) -> RestoreResult:
    """Restore one endpoint from its latest ledger record. RestoreError when it cannot start;
    AWS failures mid-way end in status 'failed' with the steps done so far."""
    try:
        validate_region(region)
    except SettingsError as error:
        raise RestoreError(str(error)) from None
    record = ledger.latest_record(endpoint_name, region)
    if record is None:
        raise RestoreError(
            f"no restore record for endpoint '{endpoint_name}' in {region} in ledger {ledger.location} "
            "(records are written when cost-watcher deletes or scales down an endpoint; check the name, "
            "the region and --ledger)")
    started = clock()
    sagemaker, autoscaling = clients.sagemaker(region), clients.autoscaling(region)
    live = _live(sagemaker, endpoint_name)
    if record.action == "restore":
        if live is not None:
            return RestoreResult(endpoint_name, region, dry_run, ledger.where(record), "restore",
                                 record.recorded_at, "already restored",
                                 [f"already restored at {record.recorded_at}: nothing to do"])
        record = ledger.read(record.doc["restored_from"])  # restored once, deleted again since: redo it

    result = RestoreResult(endpoint_name, region, dry_run, ledger.where(record), record.action, record.recorded_at)
    prefix = record.doc.get("tag_prefix", DEFAULT_PREFIX)
    run = RestoreContext(sagemaker, autoscaling, prefix, wait, started)
    try:
        if record.action in SCHEDULE_RECORDS:  # quiet hours: our scheduled actions go, the limits come back
            unschedule(result, applied_record(record, ledger), live, run)
        elif live is None:
            recreate(result, record, live, run)
        elif record.action == "delete":
            _check_ours(record, live)
            recreate(result, record, live, run)
        else:
            scale_back(result, record, live, run)
    except (ClientError, BotoCoreError, WaiterError, EndpointGone) as error:
        result.status, result.error = "failed", describe_error(error)
        return result
    if result.status == "incomplete":
        return result
    _warn_opt_in(result, record, prefix)
    if dry_run:
        result.status = "planned"
        return result
    done = ledger.write(region, endpoint_name, "restore",
                        {"restored_from": record.key, "steps": result.steps, "tag_prefix": prefix}, now=clock())
    result.steps.append(f"restore recorded in {ledger.where(done)}")
    result.status = "restored"
    return result


def _live(sagemaker: Any, name: str) -> dict[str, Any] | None:
    try:
        return actions.describe_endpoint(sagemaker, name)
    except EndpointGone:
        return None


def _check_ours(record: Record, live: dict[str, Any]) -> None:
    """An endpoint of that name exists after a delete: continue only if it is an earlier,
    unfinished restore (same config, created after the record), never touch another one."""
    recorded = datetime.fromisoformat(record.recorded_at) if record.recorded_at else None
    if not created_since(live, record.doc["endpoint"]["EndpointConfigName"], recorded):
        raise RestoreError(
            f"endpoint '{live['EndpointName']}' exists already (config {live.get('EndpointConfigName')}, created "
            f"{live.get('CreationTime')}) and is not an earlier restore of the record at {record.recorded_at}: "
            "nothing was changed")


def _warn_opt_in(result: RestoreResult, record: Record, prefix: str) -> None:
    key = TagKeys(prefix).reclaim
    value = next((t["Value"] for t in record.doc.get("tags", []) if t["Key"] == key), None)
    if value:
        result.warnings.append(
            f"tag {key}={value} is still set: if the endpoint stays idle it will be marked and reclaimed again "
            "after the grace period; remove or change the tag to keep it")


def render_restore(result: RestoreResult) -> str:
    """What the CLI prints: the record used, each step, warnings, and the outcome."""
    head = {
        "restored": f"Restored endpoint {result.endpoint} ({result.region})",
        "planned": f"Dry run: nothing was changed. Restoring endpoint {result.endpoint} ({result.region}) would:",
        "already restored": f"Endpoint {result.endpoint} ({result.region}) was already restored",
        "incomplete": f"Restore of endpoint {result.endpoint} ({result.region}) is not finished",
        "failed": f"Restore of endpoint {result.endpoint} ({result.region}) FAILED",
    }.get(result.status, f"Restore of endpoint {result.endpoint} ({result.region}): {result.status}")
    lines = [head, f"  record: {result.record} ({result.record_action} recorded at {result.recorded_at})"]
    lines += [f"  - {step}" for step in result.steps]
    if result.error:
        lines.append(f"  error: {result.error}")
    lines += [f"warning: {warning}" for warning in result.warnings]
    return "\n".join(lines)
