"""GetMetricData answers in pages, with PartialData or error statuses, or leaves series out.
Pages must be followed to the end; anything short of a complete answer is unknown, never idle."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable

import pytest
from faultnet import Network, Request, call, json_response, replace_body
from faultworld import FLEET_CHANGES, FLEET_OUTCOME, World, fleet
from oracle import assert_only_reported_changes

from tests.support.names import REGION

GET_METRIC_DATA = call("cloudwatch:GetMetricData")


def _ids_of(request: Request, endpoint: str) -> set[str]:
    """Query ids of one endpoint's series in a GetMetricData request."""
    return {query["Id"] for query in request.params()["MetricDataQueries"]
            if {"Name": "EndpointName", "Value": endpoint} in query["MetricStat"]["Metric"]["Dimensions"]}


class Pager:
    """CloudWatch answering in two pages: the first half of each series' datapoints with status
    PartialData and a NextToken, then the rest; a series with fewer than two datapoints appears
    only on the second page (as on AWS, a page lists only the series it has data for)."""

    def __init__(self) -> None:
        self.pending: dict[str, dict] = {}
        self.tokens = itertools.count()
        self.first_pages = self.next_pages = 0

    def __call__(self, request: Request, forward: Callable):
        token = request.params().get("NextToken")
        if token:
            self.next_pages += 1
            return json_response(request, self.pending.pop(token))
        self.first_pages += 1
        response = forward()
        first, second = [], []
        for result in json.loads(response.content)["MetricDataResults"]:
            half = len(result["Values"]) // 2
            if half:
                first.append({**result, "Timestamps": result["Timestamps"][:half], "Values": result["Values"][:half],
                              "StatusCode": "PartialData"})
            second.append({**result, "Timestamps": result["Timestamps"][half:], "Values": result["Values"][half:]})
        token = f"page-2-{next(self.tokens)}"
        self.pending[token] = {"MetricDataResults": second, "Messages": []}
        return replace_body(response, json.dumps({"MetricDataResults": first, "NextToken": token, "Messages": []})
                            .encode())


def _names(outcome) -> dict[str, tuple]:
    return {name: result for (_, name), result in outcome.verdicts().items()}


def test_pages_are_followed_to_the_end(world: World, net: Network):
    world.build(*fleet())
    before = world.state()
    pager = Pager()
    net.intercept(GET_METRIC_DATA, pager)
    outcome = world.invoke()

    # every call answered in two pages, and every second page asked for
    assert pager.first_pages >= 3 and pager.next_pages == pager.first_pages and not pager.pending
    assert _names(outcome) == FLEET_OUTCOME
    assert assert_only_reported_changes(world, before, outcome) == FLEET_CHANGES
    assert outcome.status == "ok"
    busy = outcome.finding("busy-marked")
    assert busy["invocations"] > 0 and busy["last_invocation"]


@pytest.mark.parametrize("status", ["PartialData", "InternalError", "Forbidden"])
def test_incomplete_series_makes_its_endpoint_unknown(world: World, net: Network, status: str):
    """The series of `idle-due` (due for deletion) come back incomplete: it is unknown, not
    deleted, and its region's errors hold back the new mark too; the unmark still happens."""
    world.build(*fleet())
    before = world.state()

    def incomplete(request: Request, forward: Callable):
        response = forward()
        ids = _ids_of(request, "idle-due")
        document = json.loads(response.content)
        for result in document["MetricDataResults"]:
            if result["Id"] in ids:
                result["StatusCode"] = status
                result["Messages"] = [{"Code": status, "Value": "some datapoints could not be read"}]
        return replace_body(response, json.dumps(document).encode())

    net.intercept(GET_METRIC_DATA, incomplete)
    outcome = world.invoke()

    idle_due = outcome.finding("idle-due")
    assert (idle_due["verdict"], idle_due["action"]) == ("unknown", "none")
    assert f"status {status}" in idle_due["reason"]
    assert outcome.finding("idle-fresh")["action_result"] == "skipped: its region's scan had errors: nothing there " \
                                                            "is acted on"
    assert outcome.finding("idle-due-scale")["action_result"].startswith("skipped: its region's scan had errors")
    assert assert_only_reported_changes(world, before, outcome) == {"busy-marked": {"unmarked"}}
    assert world.records() == []
    assert (REGION, "cloudwatch:GetMetricData") in outcome.errors()
    assert outcome.status == "incomplete"


def test_series_left_out_of_the_answer_is_unknown_not_idle(world: World, net: Network):
    """`busy-marked` is busy, opted in and carries an old mark: if its series are simply
    missing from every answer (the scan's and the re-check's), it must not be deleted."""
    world.build(*fleet())

    def leave_out(request: Request, forward: Callable):
        response = forward()
        ids = _ids_of(request, "busy-marked")
        document = json.loads(response.content)
        document["MetricDataResults"] = [r for r in document["MetricDataResults"] if r["Id"] not in ids]
        return replace_body(response, json.dumps(document).encode())

    net.intercept(GET_METRIC_DATA, leave_out)
    outcome = world.invoke()

    assert "busy-marked" in world.state(), "a busy endpoint was deleted"
    assert outcome.finding("busy-marked")["verdict"] == "unknown"
    assert outcome.status == "incomplete"
