"""The restore ledger: one JSON record written and verified before every destructive change.

Location: a Store (store.py): `s3://bucket[/prefix]` (the deployed function) or a local directory (the CLI).
Keys (relative to the bucket prefix or the directory):

    ledger/<region>/<endpoint>/<YYYYMMDDTHHMMSS.ffffffZ>-<action>.json

with action `delete`, `scale-down` or `restore`. The timestamp is UTC and sorts as text,
so the last key under `ledger/<region>/<endpoint>/` is the endpoint's latest record.

Organization mode keeps every account's records in the hub's one ledger, keyed by account too:
`ledger/<account id>/<region>/<endpoint>/...`. The ledger is the account's when the clients it
is opened with act in a member account (they carry `account`); a single-account run keeps the
keys above, so existing deployments find their records where they always were (a 12-digit
account id never reads as a region, nor as the journal's `runs`).

A write is only trusted once read back: the bytes read must equal the bytes written and
parse to the same document. Any failure raises LedgerError, and the caller then does not
delete or scale down (no record, no reclaim).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from cost_watcher.aws import AwsClients
from cost_watcher.errors import LedgerError, StoreError, describe_error
from cost_watcher.store import Store, location_of, open_store

SCHEMA = "cost-watcher/restore-record/v1"
ROOT = "ledger"
ACTIONS = ("delete", "scale-down", "restore", "schedule", "unschedule")  # schedule: reclaim/quiet.py
_KEY = re.compile(r"^(?P<stamp>\d{8}T\d{6}\.\d{6}Z)-(?P<action>[a-z-]+)\.json$")


@dataclass
class Record:
    key: str
    action: str
    recorded_at: str
    doc: dict[str, Any]


def to_json(value: Any) -> Any:
    """JSON form of AWS responses: datetimes as ISO 8601 text, Decimals as numbers."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"cannot store {type(value).__name__} in a ledger record")


def encode(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, sort_keys=True, indent=1, default=to_json).encode("utf-8")


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")


def endpoint_prefix(region: str, endpoint: str, account: str | None = None) -> str:
    return f"{ROOT}/{account}/{region}/{endpoint}/" if account else f"{ROOT}/{region}/{endpoint}/"


def record_key(region: str, endpoint: str, action: str, moment: datetime, account: str | None = None) -> str:
    if action not in ACTIONS:
        raise ValueError(f"unknown ledger action {action!r}; expected one of {', '.join(ACTIONS)}")
    return f"{endpoint_prefix(region, endpoint, account)}{stamp(moment)}-{action}.json"


class Ledger:
    """Records per endpoint over a Store (S3 or a directory); per account too when `account` is set."""

    def __init__(self, store: Store, account: str | None = None) -> None:
        self.store = store
        self.account = account

    @property
    def location(self) -> str:
        return self.store.location

    def where(self, record: Record) -> str:
        """Where a record lives, as a user would look for it."""
        return location_of(self.store, record.key)

    def write(self, region: str, endpoint: str, action: str, doc: dict[str, Any],
              now: datetime | None = None) -> Record:
        """Write a record, read it back and compare; LedgerError unless both match exactly."""
        moment = self._after_latest(region, endpoint, now or datetime.now(UTC))
        full = {"schema": SCHEMA, "action": action, "endpoint": endpoint, "region": region,
                **({"account": self.account} if self.account else {}),
                "recorded_at": moment.astimezone(UTC).isoformat(), **doc}
        key = record_key(region, endpoint, action, moment, self.account)
        try:
            body = encode(full)
        except (TypeError, ValueError) as error:
            raise LedgerError(f"record for {endpoint} ({region}) is not serialisable: {error}") from error
        try:
            self.store.put(key, body)
            back = self.store.get(key)
        except Exception as error:
            raise LedgerError(f"could not write {self._where(key)}: {describe_error(error)}") from error
        if back != body or json.loads(back) != json.loads(body):
            raise LedgerError(f"{self._where(key)} read back differs from what was written: not trusted")
        return Record(key, action, full["recorded_at"], json.loads(back))

    def _after_latest(self, region: str, endpoint: str, moment: datetime) -> datetime:
        """Keys must sort in write order even when two writes share a clock reading
        (a frozen clock in tests, a coarse one elsewhere): step past the newest key."""
        keys = self.records(endpoint, region)
        if keys:
            newest = datetime.strptime(_KEY.match(keys[-1].rsplit("/", 1)[-1])["stamp"],  # type: ignore[index]
                                       "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC)
            if moment <= newest:
                return newest + timedelta(microseconds=1)
        return moment

    def records(self, endpoint: str, region: str) -> list[str]:
        """Keys of every record of this endpoint, oldest first."""
        try:
            keys = self.store.keys(endpoint_prefix(region, endpoint, self.account))
        except Exception as error:
            raise LedgerError(f"could not list {self._where(endpoint_prefix(region, endpoint, self.account))}: "
                              f"{describe_error(error)}") from error
        return sorted(k for k in keys if _KEY.match(k.rsplit("/", 1)[-1]))

    def read(self, key: str) -> Record:
        try:
            doc = json.loads(self.store.get(key))
        except Exception as error:
            raise LedgerError(f"could not read {self._where(key)}: {describe_error(error)}") from error
        if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
            raise LedgerError(f"{self._where(key)} is not a cost-watcher restore record ({SCHEMA})")
        return Record(key, doc["action"], doc.get("recorded_at", ""), doc)

    def latest_record(self, endpoint: str, region: str, actions: tuple[str, ...] = ACTIONS) -> Record | None:
        """The newest record of this endpoint among `actions`, or None."""
        for key in reversed(self.records(endpoint, region)):
            if _KEY.match(key.rsplit("/", 1)[-1]).group("action") in actions:  # type: ignore[union-attr]
                return self.read(key)
        return None

    def _where(self, key: str) -> str:
        return f"ledger record {location_of(self.store, key)}"


def open_ledger(location: str | None, clients: AwsClients) -> Ledger:
    """A Ledger for `s3://bucket[/prefix]` or a local directory path; LedgerError when unusable.
    Clients acting in a member account (organization mode) open that account's part of it."""
    try:
        return Ledger(open_store(location, clients), getattr(clients, "account", None))
    except StoreError as error:
        raise LedgerError(str(error)) from None
