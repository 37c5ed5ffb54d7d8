"""The Lambda face of organization mode: the three steps of the state machine (infra/organization.py).

    {"step": "accounts", "run_id", "scheduled"}  -> the accounts and the (account, region) items
    {"step": "item", "item", "run_id", "scheduled"}  -> one item's run, its report stored in the ledger
    {"step": "merge", "accounts", "items", "run_id", "scheduled"}  -> one report, the owners' and central digests

`run_id` is the execution's name and `scheduled` its start time: the same on every retry of a step,
so a retried item finds its journal and the merge sends each digest at most once. The state machine
is the only caller; an event of another shape fails the step with the reason (EventError).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cost_watcher.errors import EventError
from cost_watcher.faces.handler import logger, metrics, record_metrics, time_limit, tracer
from cost_watcher.organization import config, routing
from cost_watcher.organization.accounts import Account, Identity, list_accounts
from cost_watcher.organization.item import Item, run_item
from cost_watcher.organization.merge import merge, read_item_reports
from cost_watcher.organization.pool import items_of, regions_of
from cost_watcher.record import summarize
from cost_watcher.scan.clients import Clients
from cost_watcher.settings import from_environment
from cost_watcher.store import open_store

STEPS = ("accounts", "item", "merge")


def _field(event: Mapping[str, Any], key: str, kind: type) -> Any:
    value = event.get(key)
    if not isinstance(value, kind) or not value:
        raise EventError(f"step {event.get('step')!r}: '{key}' must be a non-empty {kind.__name__}")
    return value


def _scheduled(event: Mapping[str, Any]) -> datetime:
    text = _field(event, "scheduled", str)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise EventError(f"'scheduled' must be an ISO 8601 time such as 2026-01-31T02:00:00Z, got {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def step_accounts(event: Mapping[str, Any], environ: Mapping[str, str], hub: Clients) -> dict[str, Any]:
    settings, org = from_environment(environ), config.from_environment(environ)
    accounts = list_accounts(hub.client("organizations", hub.default_region), org)
    items = items_of(accounts, regions_of(settings, hub))
    logger.info("organization run planned", extra={"accounts": len(accounts), "items": len(items)})
    return {"run_id": _field(event, "run_id", str), "scheduled": _field(event, "scheduled", str),
            "accounts": [{"id": a.id, "name": a.name} for a in accounts], "items": [i.to_dict() for i in items]}


def step_item(event: Mapping[str, Any], environ: Mapping[str, str], hub: Clients, context: Any) -> dict[str, Any]:
    settings, org = from_environment(environ), config.from_environment(environ)
    try:
        item = Item.from_dict(_field(event, "item", Mapping))
    except KeyError as error:
        raise EventError(f"step 'item': 'item' needs account, name and region; missing {error}") from None
    identity = Identity.of(hub.client("sts", hub.default_region))
    report = run_item(item, settings, hub, identity, org, run_id=_field(event, "run_id", str),
                      deadline=time_limit(context), scheduled=_scheduled(event))
    record_metrics(report)
    return {**item.to_dict(), "seen": report.accounts[0].seen if report.accounts else "seen",
            "endpoints": len(report.findings), "report_location": report.report_location}


def step_merge(event: Mapping[str, Any], environ: Mapping[str, str], hub: Clients) -> dict[str, Any]:
    settings, org = from_environment(environ), config.from_environment(environ)
    run_id, scheduled = _field(event, "run_id", str), _scheduled(event)
    try:
        accounts = [Account(str(a["id"]), str(a["name"])) for a in event.get("accounts") or []]
        items = [Item.from_dict(item) for item in event.get("items") or []]
    except (KeyError, TypeError) as error:
        raise EventError(f"step 'merge': 'accounts' and 'items' as the accounts step returns them ({error})") from None
    reports, missing = read_item_reports(open_store(settings.ledger, hub), run_id, items, scheduled)
    merged = merge(reports, accounts, settings, datetime.now(UTC), extra_errors=missing)
    merged.regions = sorted({item.region for item in items})
    routing.deliver_all(merged, settings, org, hub, run_id=run_id, scheduled=scheduled)
    status = "incomplete" if merged.errors else "ok"
    unseen = [f"{a.id} ({a.name}): {a.seen}" for a in merged.accounts if a.seen != "seen"]
    logger.info("organization run finished", extra={"run_id": run_id, "status": status, "not_seen": unseen})
    return {"status": status, "run_id": run_id, "summary": summarize(merged), "accounts": len(merged.accounts),
            "accounts_not_seen": unseen, "report_location": merged.report_location,
            "notification": merged.notification}


def handle_step(event: Any, context: Any, environ: Mapping[str, str], clients: Clients | None = None) -> dict[str, Any]:
    """One step of the state machine, testable without Lambda."""
    if not isinstance(event, Mapping) or event.get("step") not in STEPS:
        raise EventError(f"an organization step event needs 'step': one of {', '.join(STEPS)}")
    hub = clients or Clients(max_workers=from_environment(environ).max_workers)
    if event["step"] == "accounts":
        return step_accounts(event, environ, hub)
    if event["step"] == "item":
        return step_item(event, environ, hub, context)
    return step_merge(event, environ, hub)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    return handle_step(event, context, os.environ)
