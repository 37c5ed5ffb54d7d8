"""Where cost-watcher keeps its documents: `s3://bucket[/prefix]` (the deployed function) or a
local directory (the CLI). The restore ledger, the run journal and the stored reports all
live in one store, so a user finds a night's records and its report side by side.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from cost_watcher.aws import AwsClients
from cost_watcher.errors import StoreError, error_code
from cost_watcher.settings import SettingsError, validate_ledger


class Store(Protocol):
    location: str

    def put(self, key: str, body: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def keys(self, prefix: str) -> list[str]: ...


def location_of(store: Store, key: str) -> str:
    """Where a key of the store lives: an s3:// URI, or a path for a local store."""
    return f"{store.location.rstrip('/')}/{key}"


def is_missing(error: BaseException) -> bool:
    """A read of a key that was never written (S3 answers NoSuchKey, a directory has no file)."""
    return isinstance(error, FileNotFoundError) or error_code(error) in {"NoSuchKey", "404"}


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
        # every key under the prefix, as S3 lists them (the stored reports sit in dated folders)
        return [f"{prefix}{path.relative_to(folder).as_posix()}" for path in folder.rglob("*")
                if path.is_file() and not path.name.startswith(".tmp-")]


def open_store(location: str | None, clients: AwsClients) -> Store:
    """A Store for `s3://bucket[/prefix]` or a local directory path; StoreError when unusable."""
    if not location or not location.strip():
        raise StoreError("no ledger configured: set ledger (or --ledger) to s3://bucket[/prefix] or a directory")
    location = location.strip()
    try:
        validate_ledger(location)
    except SettingsError as error:
        raise StoreError(str(error)) from None
    if location.startswith("s3://"):
        bucket, _, prefix = location[len("s3://"):].partition("/")
        return S3Store(clients.s3(), bucket, prefix)
    root = Path(location).expanduser().resolve()  # a report names where it is, wherever it is read
    if root.exists() and not root.is_dir():
        raise StoreError(f"ledger {location!r} is a file; expected a directory (created if missing) or s3://bucket")
    return DirectoryStore(root)
