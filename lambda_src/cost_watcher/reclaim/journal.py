"""The run journal: which endpoints one run has reclaimed so far, kept so a retry can tell.

What repeats a run id: the schedule sends each night's event with `id` set to Scheduler's
execution id (`<aws.scheduler.execution-id>`), and the handler takes that as the run id. When
the invocation dies (timeout, out of memory, a crash), Lambda's asynchronous retry (the stack
sets two, within a `max_event_age` that covers every attempt) delivers the identical event, so
the retry has the same run id. Scheduler itself re-sends only when the invoke could not be
delivered, which started no run. A manual invoke without an id runs under its request id, so
two manual invokes are two runs. After the last retry the event goes to the dead-letter queue
and an alarm fires; the next night is a new run.

The retry scans afresh, and a fresh scan cannot see what the dead attempt did: an endpoint it
deleted is simply gone, and the per-run cap would start again from zero. So
before each delete or scale-down the run writes, under its own id,

    <ledger>/ledger/runs/<run id>.json

that it started on that endpoint, and afterwards what came of it. A retry reads it to
count those actions against the cap, to finish what was started, and to report what the
earlier attempt did. It sits beside the restore records and is kept like them: no journal,
no reclaim, just as no record, no reclaim; afterwards it says which run reclaimed what.
"""

from __future__ import annotations

import json
import re
from typing import Any

from cost_watcher.errors import LedgerError, describe_error
from cost_watcher.model import DESTRUCTIVE_ACTIONS, Finding
from cost_watcher.reclaim.ledger import ROOT, Ledger
from cost_watcher.record import finding_from_dict, finding_to_dict
from cost_watcher.store import Store, is_missing, location_of

SCHEMA = "cost-watcher/run-journal/v1"
FOLDER = f"{ROOT}/runs"
STARTED = "started"
ACTIONS = tuple(str(action) for action in DESTRUCTIVE_ACTIONS)
Key = tuple[str, str]  # (region, endpoint name)


def safe_run_id(run_id: str) -> str:
    """A run id may come from an event: keep only characters that cannot leave a folder."""
    return re.sub(r"[^A-Za-z0-9._-]", "-", run_id).strip(".") or "run"


def journal_key(run_id: str) -> str:
    return f"{FOLDER}/{safe_run_id(run_id)}.json"


def key_of(finding: Finding) -> Key:
    return finding.region, finding.name


class Journal:
    """Entries by (region, endpoint): the action, its result ('started' until it ends) and
    the finding as it was judged. Without a store (no run id) it only remembers in memory."""

    def __init__(self, run_id: str | None, store: Store | None = None,
                 entries: dict[Key, dict[str, Any]] | None = None) -> None:
        self.run_id = run_id
        self.store = store
        self.entries: dict[Key, dict[str, Any]] = entries or {}

    @classmethod
    def load(cls, ledger: Ledger, run_id: str) -> Journal:
        """This run's journal, empty when no earlier attempt acted; LedgerError when unreadable
        (then nothing may be reclaimed: the earlier attempt's actions cannot be counted)."""
        key = journal_key(run_id)
        try:
            body = ledger.store.get(key)
        except Exception as error:
            if is_missing(error):
                return cls(run_id, ledger.store)
            raise LedgerError(f"could not read this run's journal {location_of(ledger.store, key)}: "
                              f"{describe_error(error)}") from error
        try:
            doc = json.loads(body)
            entries = {(e["region"], e["name"]): e for e in doc["entries"] if _valid(e)} \
                if doc.get("schema") == SCHEMA else None
            if entries is not None and len(entries) != len(doc["entries"]):
                entries = None
        except (ValueError, TypeError, KeyError, AttributeError):
            entries = None
        if entries is None:
            raise LedgerError(f"{location_of(ledger.store, key)} is not a cost-watcher run journal ({SCHEMA})")
        return cls(run_id, ledger.store, entries)

    def __contains__(self, finding: Finding) -> bool:
        return key_of(finding) in self.entries

    def begin(self, finding: Finding) -> None:
        """Say the run is about to reclaim this endpoint; LedgerError (and no action) when it cannot."""
        self.entries[key_of(finding)] = {"region": finding.region, "name": finding.name,
                                         "action": str(finding.action), "result": STARTED,
                                         "finding": finding_to_dict(finding)}
        self._save()

    def finish(self, finding: Finding) -> None:
        """Say what came of it (the action has happened either way; a failure here is the caller's to report)."""
        entry = self.entries[key_of(finding)]
        entry["result"] = finding.action_result
        entry["finding"] = finding_to_dict(finding)
        self._save()

    def _save(self) -> None:
        if self.store is None or self.run_id is None:
            return
        key = journal_key(self.run_id)
        doc = {"schema": SCHEMA, "run_id": self.run_id, "entries": list(self.entries.values())}
        try:
            self.store.put(key, json.dumps(doc, indent=1, sort_keys=True).encode("utf-8"))
        except Exception as error:
            raise LedgerError(f"could not write this run's journal {location_of(self.store, key)}: "
                              f"{describe_error(error)}") from error


def _valid(entry: Any) -> bool:
    """An entry as begin/finish write it: anything else means the journal is not ours to trust."""
    if not (isinstance(entry, dict) and all(isinstance(entry.get(k), str) for k in ("region", "name", "result"))
            and entry.get("action") in ACTIONS and isinstance(entry.get("finding"), dict)):
        return False
    try:
        finding_from_dict(entry["finding"])
    except (KeyError, ValueError, TypeError, AttributeError):
        return False
    return True


