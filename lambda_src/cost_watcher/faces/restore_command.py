"""`cost-watcher restore`: who we are first (exit 4 when AWS cannot be reached as you), then the
record, then the restore. `--dry-run` with a local ledger reads the record and says what it would
do even without AWS: AWS is only needed to compare with what exists (exit 3 then: not compared).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from cost_watcher.errors import CredentialsError, RestoreError, UsageError
from cost_watcher.faces.config import _region, gather
from cost_watcher.faces.identity import open_session, who_am_i
from cost_watcher.faces.org_args import restore_target
from cost_watcher.reclaim.ledger import Ledger, Record, open_ledger
from cost_watcher.scan.clients import Clients
from cost_watcher.words import TIMES

EXIT_OK, EXIT_INCOMPLETE = 0, 3
NO_LEDGER = "restore needs the ledger that holds the record: pass --ledger PATH|s3://bucket/prefix"


def command_restore(args: argparse.Namespace) -> int:
    from cost_watcher.reclaim.restore import render_restore, restore

    gathered = gather(args, os.environ, args.argv)
    for note in gathered.notes:
        print(f"cost-watcher: note: {note}", file=sys.stderr)
    _region(args.region, "--region")
    location = gathered.settings.ledger
    if not location:
        raise UsageError(NO_LEDGER)
    local = not location.startswith("s3://") and not getattr(args, "org_account", None)  # a member's: its part
    if local:  # the record first: a wrong name or region is said without asking AWS anything
        _record(open_ledger(location, None), args.endpoint, args.region)
    session = open_session(args.profile)
    try:
        caller = who_am_i(session, alias=False)
    except CredentialsError as error:
        if not (args.preview and local):
            raise
        return _offline_preview(args.endpoint, args.region, location, str(error))
    clients = restore_target(args, Clients(session), caller.arn)  # --account: a member's, by its role
    result = restore(args.endpoint, args.region, open_ledger(location, clients), clients, dry_run=args.preview)
    print(render_restore(result))
    return EXIT_OK if result.ok else EXIT_INCOMPLETE


def _offline_preview(endpoint: str, region: str, location: str, why: str) -> int:
    ledger = open_ledger(location, None)
    record = _record(ledger, endpoint, region)
    print("\n".join(preview_lines(record, ledger.where(record), endpoint, region)))
    print(f"cost-watcher: not compared with what exists in {region}: {why}", file=sys.stderr)
    return EXIT_INCOMPLETE


def _record(ledger: Ledger, endpoint: str, region: str) -> Record:
    record = ledger.latest_record(endpoint, region)
    if record is None:
        raise RestoreError(f"no restore record for endpoint '{endpoint}' in {region} in ledger {ledger.location} "
                           "(records are written when cost-watcher deletes or scales down an endpoint; check the "
                           "name, the region and --ledger)")
    return record


def preview_lines(record: Record, where: str, endpoint: str, region: str) -> list[str]:
    """What a restore from this record would put back, read from the record alone."""
    doc = record.doc
    lines = [f"Dry run: nothing was changed. From its record alone, restoring endpoint {endpoint} ({region}) would:",
             f"  record: {where} ({record.action} recorded at {record.recorded_at})"]
    if record.action == "restore":
        return [*lines, f"  - nothing: it was restored at {record.recorded_at} (a real run checks it still exists)"]
    if record.action == "scale-down":
        plan = doc.get("scale_down", {})
        lines += [f"  - scale variant {v['VariantName']} back to {v['DesiredInstanceCount']} instance(s)"
                  for v in plan.get("variants", [])]
        lines += [f"  - set {t['ResourceId']} MinCapacity back to {t['MinCapacity']}" for t in plan.get("targets", [])]
        lines += [f"  - set {c['InferenceComponentName']} back to {c['CopyCount']} copies"
                  for c in plan.get("components", [])]
        return lines
    lines += [f"  - create model {m.get('ModelName')} (if it was deleted since)" for m in doc.get("models", [])]
    config = doc.get("endpoint_config", {})
    lines.append(f"  - create endpoint config {config.get('EndpointConfigName')} (if it was deleted since): "
                 f"{_variants(config)}")
    lines.append(f"  - create endpoint {endpoint} with {len(doc.get('tags', []))} tag(s), without our idle mark")
    lines += [f"  - create inference component {c.get('InferenceComponentName')}"
              for c in doc.get("inference_components", [])]
    counts = [(len(doc.get(k, [])), w) for k, w in (("scalable_targets", "scalable target"),
                                                   ("scaling_policies", "scaling policy"),
                                                   ("scheduled_actions", "scheduled action"))]
    lines += [f"  - register {n} {w}{'s' if n > 1 else ''}" for n, w in counts if n]
    return lines


def _variants(config: dict[str, Any]) -> str:
    parts = [f"{v.get('VariantName')}: {v.get('InitialInstanceCount', '?')} {TIMES} "
             f"{v.get('InstanceType', 'serverless')}" for v in config.get("ProductionVariants", [])]
    return ", ".join(parts) or "no variants"
