"""One item of an organization run: run() for one account and one region, through the spoke role.

Each item keeps its records in the hub's one ledger, keyed by account:

    <ledger>/ledger/<account id>/<region>/<endpoint>/...                 restore records
    <ledger>/ledger/runs/<run id>--<account id>--<region>.json           the item's journal
    <ledger>/reports/YYYY/MM/DD/<run id>--<account id>--<region>.json    the item's report

so a retried item (same run id) finds its journal, the merge finds every item's report, and item
reports expire with the others. An item sends no digest of its own: the organization run sends
one when every item is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cost_watcher.engine import run
from cost_watcher.errors import AssumeRoleError, describe_error
from cost_watcher.model import AccountSeen, RegionError, Report
from cost_watcher.organization.accounts import Account, Identity
from cost_watcher.organization.assumed import AccountClients, assume
from cost_watcher.organization.config import OrgSettings
from cost_watcher.report import notify
from cost_watcher.scan.clients import Clients
from cost_watcher.settings import Settings
from cost_watcher.store import location_of, open_store

GLOBAL = notify.GLOBAL_REGION
UNSEEN_LENGTH = 300  # characters of why an account was not seen, in the report's accounts list


@dataclass(frozen=True)
class Item:
    account: Account
    region: str

    def to_dict(self) -> dict[str, str]:
        return {"account": self.account.id, "name": self.account.name, "region": self.region}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Item:
        return cls(Account(str(data["account"]), str(data.get("name") or data["account"])), str(data["region"]))


def item_run_id(run_id: str, item: Item) -> str:
    return f"{run_id}--{item.account.id}--{item.region}"


def item_report_key(run_id: str, item: Item, scheduled: datetime) -> str:
    """The key of an item's report in the hub's ledger (see the module docstring)."""
    blank = Report(generated_at=scheduled, lookback_days=0, regions=[], dry_run=True)
    return notify.report_key(blank, item_run_id(run_id, item), scheduled)


def seen_status(account: str, errors: list[RegionError]) -> str:
    """"seen", or "not seen: <what could not be read>" (run-wide errors of the hub's store do not count)."""
    unseen = [e for e in errors if e.account == account and e.region != GLOBAL]
    if not unseen:
        return "seen"
    regions: dict[str, list[str]] = {}  # one reason, the regions it stopped (an unassumable role stops all)
    for error in unseen:
        regions.setdefault(f"{error.operation}: {error.message}", []).append(error.region)
    why = "; ".join(f"{', '.join(sorted(set(where)))}: {reason}" for reason, where in regions.items())
    return f"not seen: {why[:UNSEEN_LENGTH]}" + ("..." if len(why) > UNSEEN_LENGTH else "")


def annotate(report: Report, item: Item, owner_tag: str | None) -> Report:
    """Every finding and error of the item names its account (and the endpoint's owner tag)."""
    for finding in report.findings:
        finding.account, finding.account_name = item.account.id, item.account.name
        if owner_tag and finding.endpoint is not None:
            finding.owner = finding.endpoint.tags.get(owner_tag)
    for error in report.errors:
        error.account = error.account or item.account.id
    report.accounts = [AccountSeen(item.account.id, item.account.name, seen_status(item.account.id, report.errors))]
    return report


def unseen(item: Item, settings: Settings, now: datetime, operation: str, why: str) -> Report:
    """The report of an item that could not start: nothing seen, so nothing acted on."""
    report = Report(generated_at=now, lookback_days=settings.lookback_days, regions=[item.region],
                    dry_run=settings.dry_run, errors=[RegionError(item.region, operation, why, item.account.id)])
    report.accounts = [AccountSeen(item.account.id, item.account.name, seen_status(item.account.id, report.errors))]
    return report


def item_settings(settings: Settings, item: Item) -> Settings:
    """The run's settings for one item: its region, no digest of its own."""
    return settings.replace(regions=(item.region,), notify="never", topic_arn=None)


def clients_for(item: Item, hub: Clients, identity: Identity, org: OrgSettings, run_id: str | None) -> Clients:
    """The hub's own credentials in the hub's own account (StackSets deploy no spoke role to the
    management account), else the assumed spoke role's; either way the item's calls are its own count."""
    if item.account.id == identity.account:
        return AccountClients(hub.session, hub, item.account.id, max_workers=org.max_workers)
    return assume(hub, identity, item.account.id, org.role_name, run_id=run_id, external_id=org.external_id,
                  max_workers=org.max_workers)


def run_item(item: Item, settings: Settings, hub: Clients, identity: Identity, org: OrgSettings, *,
             run_id: str | None = None, now: datetime | None = None, deadline: datetime | None = None,
             scheduled: datetime | None = None, clients: Clients | None = None) -> Report:
    """Scan (and in act mode reclaim) one account and region; an account that cannot be reached is
    reported not seen, never raised. With a run id and a ledger, the annotated report is stored
    where the merge looks for it."""
    now = now or datetime.now(UTC)
    try:
        clients = clients or clients_for(item, hub, identity, org, run_id)
    except AssumeRoleError as error:
        return _stored(unseen(item, settings, now, "sts:AssumeRole", str(error)), item, settings, hub, run_id,
                       scheduled)
    report = run(item_settings(settings, item), clients, now, run_id=item_run_id(run_id, item) if run_id
                 else None, deadline=deadline, scheduled=scheduled)
    return _stored(annotate(report, item, org.owner_tag), item, settings, hub, run_id, scheduled)


def _stored(report: Report, item: Item, settings: Settings, hub: Clients, run_id: str | None,
            scheduled: datetime | None) -> Report:
    if not (run_id and settings.ledger):
        return report
    key = item_report_key(run_id, item, scheduled or report.generated_at)
    try:
        store = open_store(settings.ledger, hub)
        report.report_location = location_of(store, key)
        store.put(key, notify.report_body(report))
    except Exception as error:  # noqa: BLE001 - the merge then reports this item not seen, with this reason
        report.errors.append(RegionError(GLOBAL, "ledger:WriteReport",
                                         f"could not store the item's report: {describe_error(error)}",
                                         item.account.id))
    return report
