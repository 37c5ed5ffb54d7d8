"""The restore ledger misbehaves: writes refused or failing, listing failing, a read-back that
differs, the run's own report not stored. No record, no reclaim; marks (which need no record)
still happen; the report and the digest say what went wrong."""

from __future__ import annotations

import pytest
from faultnet import Network, Request, call, replace_body
from faultworld import World, fleet
from oracle import assert_only_reported_changes

MARKS_ONLY = {"busy-marked": {"unmarked"}, "idle-fresh": {"marked"}}


def _ledger(operation: str, endpoint: str = ""):
    return call(f"s3:{operation}", when=lambda r: f"/prod/ledger/us-east-1/{endpoint}" in r.url
                or f"prefix=prod%2Fledger%2Fus-east-1%2F{endpoint}" in r.url)


def _assert_no_reclaim(world: World, outcome, before, why: str) -> None:
    assert assert_only_reported_changes(world, before, outcome) == MARKS_ONLY
    assert world.records() == []
    for name in ("idle-due", "idle-due-scale"):
        result = outcome.finding(name)["action_result"]
        assert result.startswith("failed: ") and why in result and "not reclaimed (no record" in result, result
    assert outcome.status == "incomplete"
    assert [op for _, op in outcome.errors()].count("ledger") == 2
    [(_, _, attributes)] = world.digests()
    assert attributes["severity"]["Value"] == "error"


@pytest.mark.parametrize(("code", "status"), [("AccessDenied", 403), ("InternalError", 500)])
def test_ledger_write_fails_no_record_no_reclaim(world: World, net: Network, code: str, status: int):
    world.build(*fleet())
    before = world.state()
    net.refuse(_ledger("PutObject"), code, "ledger bucket says no", status)
    outcome = world.invoke()

    _assert_no_reclaim(world, outcome, before, code)
    refused = net.injected["refuse s3:PutObject"]
    assert refused == 2 if status < 500 else refused >= 2 * 10  # a 5xx is retried (10 attempts) before it counts
    assert outcome.report is not None  # the run's report is stored all the same (another prefix)


def test_ledger_fails_for_one_endpoint_only(world: World, net: Network):
    world.build(*fleet())
    before = world.state()
    net.refuse(_ledger("PutObject", "idle-due-scale/"), "AccessDenied", "not this one", 403)
    outcome = world.invoke()

    happened = assert_only_reported_changes(world, before, outcome)
    assert happened == {**MARKS_ONLY, "idle-due": {"deleted"}}
    assert [key.split("/")[3] for key in world.records()] == ["idle-due"]
    assert outcome.finding("idle-due-scale")["action_result"].startswith("failed: ")
    assert outcome.status == "incomplete"


def test_ledger_cannot_be_listed_no_reclaim(world: World, net: Network):
    world.build(*fleet())
    before = world.state()
    net.refuse(_ledger("ListObjectsV2"), "AccessDenied", "no listing", 403)
    outcome = world.invoke()

    _assert_no_reclaim(world, outcome, before, "could not list")


def test_ledger_read_back_differs_no_reclaim(world: World, net: Network):
    world.build(*fleet())
    before = world.state()

    def bit_rot(request: Request, response):
        body = response.content
        return replace_body(response, body.replace(b'"EndpointStatus": "InService"', b'"EndpointStatus": "InServicf"'))

    net.alter(_ledger("GetObject"), bit_rot)
    outcome = world.invoke()

    assert assert_only_reported_changes(world, before, outcome) == MARKS_ONLY
    for name in ("idle-due", "idle-due-scale"):
        result = outcome.finding(name)["action_result"]
        assert result.startswith("failed: ") and "read back differs from what was written: not trusted" in result
    assert outcome.status == "incomplete"
    # the untrusted objects may stay in the bucket, but the endpoints they describe were not touched
    assert {key.split("/")[3] for key in world.records()} <= {"idle-due", "idle-due-scale"}


def test_report_not_stored_digest_still_sent_and_reclaim_intact(world: World, net: Network):
    world.build(*fleet())
    before = world.state()
    net.refuse(call("s3:PutObject", when=lambda r: "/prod/reports/" in r.url), "AccessDenied", "no reports", 403)
    outcome = world.invoke()

    assert outcome.report is None and outcome.response["report_location"] is None
    assert outcome.status == "incomplete"
    assert any(e.startswith("global: s3:PutObject: could not store the report") for e in outcome.response["errors"])
    assert outcome.response["notification"].startswith("sent: ")
    [(_, subject, attributes)] = world.digests()
    assert attributes["severity"]["Value"] == "error" and "2 reclaimed" in subject
    assert sorted(key.split("/")[3] for key in world.records()) == ["idle-due", "idle-due-scale"]
    assert world.state().keys() == before.keys() - {"idle-due"}


def _journal(operation: str):
    return call(f"s3:{operation}", when=lambda r: "/prod/ledger/runs/" in r.url)


@pytest.mark.parametrize("operation", ["GetObject", "PutObject"])
def test_run_journal_unusable_no_reclaim(world: World, net: Network, operation: str):
    """Without the run's journal a retry could not count what an earlier attempt did: no reclaim."""
    world.build(*fleet())
    before = world.state()
    net.refuse(_journal(operation), "AccessDenied", "journal says no", 403)
    outcome = world.invoke()

    assert assert_only_reported_changes(world, before, outcome) == MARKS_ONLY
    assert world.records() == []
    for name in ("idle-due", "idle-due-scale"):
        result = outcome.finding(name)["action_result"]
        assert result.startswith("failed: ") and "journal" in result and "AccessDenied" in result, result
    assert outcome.status == "incomplete"


@pytest.mark.parametrize("journal", [b"not json", b'{"schema": "other"}',
                                     b'{"schema": "cost-watcher/run-journal/v1", "run_id": "night-1", '
                                     b'"entries": [{"region": "us-east-1", "name": "idle-due", "action": "explode", '
                                     b'"result": "done", "finding": {}}]}'])
def test_a_run_journal_that_is_not_ours_stops_the_reclaim(world: World, net: Network, journal: bytes):
    """A retry cannot count or trust what an earlier attempt did from a journal it cannot read."""
    world.build(*fleet())
    before = world.state()
    with net.paused():
        world.clients.s3().put_object(Bucket="cw-ledger", Key="prod/ledger/runs/night-1.json", Body=journal)
    outcome = world.invoke()

    assert assert_only_reported_changes(world, before, outcome) == MARKS_ONLY
    for name in ("idle-due", "idle-due-scale"):
        result = outcome.finding(name)["action_result"]
        assert result.startswith("failed: ") and "is not a cost-watcher run journal" in result, result
    assert outcome.status == "incomplete"
