"""The restore ledger: layout, read-back verification, latest record, S3 and directory stores."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from moto import mock_aws

from cost_watcher.errors import LedgerError
from cost_watcher.reclaim.ledger import SCHEMA, Ledger, open_ledger
from cost_watcher.scan.clients import Clients

WHEN = datetime(2025, 3, 10, 12, 0, 5, 123456, tzinfo=UTC)
DOC = {"endpoint_config": {"EndpointConfigName": "c", "CreationTime": WHEN}, "models": [{"ModelName": "m"}]}


def test_directory_layout_and_round_trip(tmp_path):
    ledger = open_ledger(str(tmp_path), None)
    record = ledger.write("eu-west-1", "ep", "delete", DOC, now=WHEN)
    assert record.key == "ledger/eu-west-1/ep/20250310T120005.123456Z-delete.json"
    on_disk = json.loads((tmp_path / record.key).read_text())
    assert on_disk["schema"] == SCHEMA and on_disk["action"] == "delete" and on_disk["endpoint"] == "ep"
    assert on_disk["endpoint_config"]["CreationTime"] == WHEN.isoformat()  # datetimes stored as ISO text
    assert ledger.latest_record("ep", "eu-west-1").doc == on_disk
    assert ledger.latest_record("ep", "us-east-1") is None
    assert ledger.latest_record("other", "eu-west-1") is None


def test_latest_record_follows_write_order_even_on_a_frozen_clock(tmp_path):
    ledger = open_ledger(str(tmp_path), None)
    ledger.write("r-1", "ep", "scale-down", DOC, now=WHEN)
    ledger.write("r-1", "ep", "restore", {"restored_from": "x"}, now=WHEN)  # 'restore' < 'scale-down' as text
    ledger.write("r-1", "ep", "delete", DOC, now=WHEN)
    assert [key.rsplit("-", 1)[-1] for key in ledger.records("ep", "r-1")] == ["down.json", "restore.json",
                                                                                 "delete.json"]
    assert ledger.latest_record("ep", "r-1").action == "delete"
    assert ledger.latest_record("ep", "r-1", actions=("restore",)).doc["restored_from"] == "x"


def test_s3_store_under_a_prefix():
    with mock_aws():
        clients = Clients()
        clients.s3().create_bucket(Bucket="cw-ledger")
        ledger = open_ledger("s3://cw-ledger/team/a/", clients)
        record = ledger.write("us-east-1", "ep", "delete", DOC, now=WHEN)
        keys = [o["Key"] for o in clients.s3().list_objects_v2(Bucket="cw-ledger")["Contents"]]
        assert keys == [f"team/a/{record.key}"]
        assert ledger.latest_record("ep", "us-east-1").key == record.key
        assert ledger.location == "s3://cw-ledger/team/a"


def test_s3_write_failure_names_the_location_and_cause():
    with mock_aws():
        ledger = open_ledger("s3://missing-bucket", Clients())
        with pytest.raises(LedgerError) as raised:
            ledger.write("us-east-1", "ep", "delete", DOC, now=WHEN)
    assert "s3://missing-bucket/ledger/us-east-1/ep/" in str(raised.value) and "NoSuchBucket" in str(raised.value)


class _LossyStore:
    location = "memory://lossy"

    def __init__(self) -> None:
        self.saved: dict[str, bytes] = {}

    def put(self, key: str, body: bytes) -> None:
        self.saved[key] = body[:-10]  # a truncated write

    def get(self, key: str) -> bytes:
        return self.saved[key]

    def keys(self, prefix: str) -> list[str]:
        return [k for k in self.saved if k.startswith(prefix)]


def test_a_write_that_does_not_read_back_identically_is_refused():
    with pytest.raises(LedgerError, match="read back differs"):
        Ledger(_LossyStore()).write("us-east-1", "ep", "delete", DOC, now=WHEN)


def test_unserialisable_record_is_refused(tmp_path):
    with pytest.raises(LedgerError, match="not serialisable"):
        open_ledger(str(tmp_path), None).write("us-east-1", "ep", "delete", {"x": object()}, now=WHEN)
    assert not list(tmp_path.rglob("*.json"))


def test_a_foreign_file_is_not_read_as_a_record(tmp_path):
    ledger = open_ledger(str(tmp_path), None)
    folder = tmp_path / "ledger" / "us-east-1" / "ep"
    folder.mkdir(parents=True)
    (folder / "20250101T000000.000000Z-delete.json").write_text('{"hello": "world"}')
    (folder / "notes.txt").write_text("ignored")
    with pytest.raises(LedgerError, match="not a cost-watcher restore record"):
        ledger.latest_record("ep", "us-east-1")


@pytest.mark.parametrize(
    ("location", "words"),
    [
        (None, "no ledger configured"),
        ("  ", "no ledger configured"),
        ("s3://Bad_Bucket/x", "a valid S3 bucket name"),
        ("ftp://host/path", "expected s3://bucket"),
    ],
)
def test_unusable_locations_are_clear_errors(location, words):
    with pytest.raises(LedgerError, match=words):
        open_ledger(location, None)


def test_a_file_is_not_a_ledger_directory(tmp_path):
    path = tmp_path / "file.json"
    path.write_text("{}")
    with pytest.raises(LedgerError, match="is a file"):
        open_ledger(str(path), None)
