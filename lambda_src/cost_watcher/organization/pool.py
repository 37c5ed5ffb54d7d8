"""The organization run on one machine: the same items as on Step Functions, in a bounded pool.

`cost-watcher scan --organization` (or `--account ID ...`) runs every (account, region) item with
the caller's credentials: one thread per account at a time, at most `max_workers` accounts at
once, each role assumed once and refreshed as needed. An account whose role cannot be assumed is
reported not seen; the others are scanned, and acted on, as usual.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from cost_watcher.errors import AssumeRoleError, SettingsError
from cost_watcher.model import Report
from cost_watcher.organization import routing
from cost_watcher.organization.accounts import Account, Identity
from cost_watcher.organization.config import OrgSettings
from cost_watcher.organization.item import Item, clients_for, run_item, unseen
from cost_watcher.organization.merge import merge
from cost_watcher.scan.clients import Clients
from cost_watcher.settings import Settings

Progress = Callable[[str], None]


def regions_of(settings: Settings, hub: Clients) -> tuple[str, ...]:
    regions = settings.regions or ((hub.default_region,) if hub.default_region else ())
    if not regions:
        raise SettingsError("setting 'regions': none given and no default region configured; pass --region "
                            "or set AWS_REGION")
    return tuple(regions)


def items_of(accounts: Sequence[Account], regions: Sequence[str]) -> list[Item]:
    return [Item(account, region) for account in accounts for region in regions]


def scan_account(account: Account, regions: Sequence[str], settings: Settings, hub: Clients, identity: Identity,
                 org: OrgSettings, *, run_id: str | None, now: datetime) -> list[Report]:
    """Every region of one account, with its role assumed once."""
    try:
        clients = clients_for(Item(account, regions[0]), hub, identity, org, run_id)
    except AssumeRoleError as error:
        return [unseen(Item(account, region), settings, now, "sts:AssumeRole", str(error)) for region in regions]
    return [run_item(Item(account, region), settings, hub, identity, org, run_id=run_id, now=now, clients=clients)
            for region in regions]


def run_organization(settings: Settings, org: OrgSettings, hub: Clients, accounts: Sequence[Account], *,
                     run_id: str | None = None, now: datetime | None = None, progress: Progress | None = None,
                     identity: Identity | None = None) -> Report:
    """Scan every account's regions, merge, and deliver the owners' digests and the roll-up."""
    now = now or datetime.now(UTC)
    run_id = run_id or f"{now:%Y%m%dT%H%M%SZ}-org-{uuid.uuid4().hex[:8]}"  # names the items' reports and journals
    regions = regions_of(settings, hub)
    identity = identity or Identity.of(hub.client("sts", hub.default_region))

    def one(account: Account) -> list[Report]:
        reports = scan_account(account, regions, settings, hub, identity, org, run_id=run_id, now=now)
        if progress:
            progress(f"{account.id} ({account.name}): {sum(len(r.findings) for r in reports)} endpoints")
        return reports

    with ThreadPoolExecutor(max_workers=max(1, min(org.max_workers, len(accounts)))) as pool:
        reports = [report for batch in pool.map(one, accounts) for report in batch]
    merged = merge(reports, accounts, settings, now)
    merged.regions = list(regions)
    for name, count in hub.calls.items():  # the hub's own calls: STS, Organizations, the ledger, SNS
        merged.api_calls[name] = merged.api_calls.get(name, 0) + count
    routing.deliver_all(merged, settings, org, hub, run_id=run_id, scheduled=None)
    return merged
