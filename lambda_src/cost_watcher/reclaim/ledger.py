"""The restore ledger: one JSON record written and verified before every destructive change.

Location: `s3://bucket[/prefix]` (the deployed function) or a local directory (the CLI).
Keys (relative to the bucket prefix or the directory):

    ledger/<region>/<endpoint>/<YYYYMMDDTHHMMSS.ffffffZ>-<action>.json

with action `delete`, `scale-down` or `restore`. The timestamp is UTC and sorts as text,
so the last key under `ledger/<region>/<endpoint>/` is the endpoint's latest record.

A write is only trusted once read back: the bytes read must equal the bytes written and
parse to the same document. Any failure raises LedgerError, and the caller then does not
delete or scale down (no record, no reclaim).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from cost_watcher.errors import describe_error, error_code
from cost_watcher.settings import SettingsError, validate_ledger

SCHEMA = "cost-watcher/restore-record/v1"
ROOT = "ledger"
ACTIONS = ("delete", "scale-down", "restore")
_KEY = re.compile(r"^(?P<stamp>\d{8}T\d{6}\.\d{6}Z)-(?P<action>[a-z-]+)\.json$")


class LedgerError(Exception):
    """The ledger could not be opened, written, verified or read; the message says which and why."""


class Store(Protocol):
    location: str

    def put(self, key: str, body: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def keys(self, prefix: str) -> list[str]: ...


@dataclass
class Record:
    key: str
    action: str
    recorded_at: str
    doc: dict[str, Any]


def location_of(store: Store, key: str) -> str:
    """Where a key of the ledger lives: an s3:// URI, or a path for a local ledger."""
    return f"{store.location.rstrip('/')}/{key}"


def is_missing(error: BaseException) -> bool:
    """A read of a key that was never written (S3 answers NoSuchKey, a directory has no file)."""
    return isinstance(error, FileNotFoundError) or error_code(error) in {"NoSuchKey", "404"}


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


def endpoint_prefix(region: str, endpoint: str) -> str:
    return f"{ROOT}/{region}/{endpoint}/"


def record_key(region: str, endpoint: str, action: str, moment: datetime) -> str:
    if action not in ACTIONS:
        raise ValueError(f"unknown ledger action {action!r}; expected one of {', '.join(ACTIONS)}")
    return f"{endpoint_prefix(region, endpoint)}{stamp(moment)}-{action}.json"


class Ledger:
    """Records per endpoint over a Store (S3 or a directory)."""

    def __init__(self, store: Store) -> None:
        self.store = store

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
                "recorded_at": moment.astimezone(UTC).isoformat(), **doc}
        key = record_key(region, endpoint, action, moment)
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
            keys = self.store.keys(endpoint_prefix(region, endpoint))
        except Exception as error:
            raise LedgerError(f"could not list {self._where(endpoint_prefix(region, endpoint))}: "
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


class S3Store:
    def __init__(self, s3: Any, bucket: str, prefix: str = "") -> None:
        self.s3, self.bucket = s3, bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.location = f"s3://{bucket}/{self.prefix}".rstrip("/")

    def put(self, key: str, body: bytes) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=body, ContentType="application/json")

    def get(self, key: str) -> bytes:
        return self.s3.get_object(Bucket=self.bucket, Key=self.prefix + key)["Body"].read()

    def keys(self, prefix: str) -> list[str]:
        found = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            found += [item["Key"][len(self.prefix):] for item in page.get("Contents", [])]
        return found


class DirectoryStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = str(root)

    def put(self, key: str, body: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(body)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)  # atomic: a reader never sees half a record
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def keys(self, prefix: str) -> list[str]:
        folder = self.root / prefix
        if not folder.is_dir():
            return []
        return [f"{prefix}{path.name}" for path in folder.iterdir() if path.is_file()]


def open_ledger(location: str | None, clients: Any) -> Ledger:
    """A Ledger for `s3://bucket[/prefix]` or a local directory path; LedgerError when unusable."""
    if not location or not location.strip():
        raise LedgerError("no ledger configured: set ledger (or --ledger) to s3://bucket[/prefix] or a directory")
    location = location.strip()
    try:
        validate_ledger(location)
    except SettingsError as error:
        raise LedgerError(str(error)) from None
    if location.startswith("s3://"):
        bucket, _, prefix = location[len("s3://"):].partition("/")
        return Ledger(S3Store(clients.s3(), bucket, prefix))
    root = Path(location).expanduser().resolve()  # a report names where it is, wherever it is read
    if root.exists() and not root.is_dir():
        raise LedgerError(f"ledger {location!r} is a file; expected a directory (created if missing) or s3://bucket")
    return Ledger(DirectoryStore(root))
