"""opinion: Compute Optimizer's idle recommendations as a second opinion (botocore Stubber, no network)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber

from cost_watcher.model import Action, Endpoint, Finding, Verdict
from cost_watcher.scan import opinion
from cost_watcher.scan.clients import Clients

REGION = "eu-west-1"
ACCOUNT = "123456789012"
CREATED = datetime(2025, 1, 1, tzinfo=UTC)
FILTERS = [{"name": "ResourceType", "values": ["SageMakerEndpoint"]}]


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A real compute-optimizer client from our Clients, with fake credentials; the Stubber answers."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    return Clients().compute_optimizer(REGION)


def endpoint_arn(name: str, region: str = REGION) -> str:
    return f"arn:aws:sagemaker:{region}:{ACCOUNT}:endpoint/{name.lower()}"


def finding(name: str, verdict: Verdict, *, arn: str | None = "", region: str = REGION) -> Finding:
    """A judged endpoint; `arn=None` leaves the endpoint off (match by name), "" gives it its usual ARN."""
    made = Finding(name=name, region=region, status="InService", created=CREATED, verdict=verdict,
                   score=100 if verdict == Verdict.IDLE else 0, reason="test", action=Action.MARK)
    if arn is not None:
        made.endpoint = Endpoint(name=name, region=region, status="InService", created=CREATED,
                                 arn=arn or endpoint_arn(name, region))
    return made


def idle(name: str, *, description: str | None = None, savings: float = 412.5, finding: str = "Idle",
         resource_type: str | None = "SageMakerEndpoint", region: str = REGION) -> dict[str, Any]:
    """One entry of idleRecommendations as Compute Optimizer returns it."""
    item: dict[str, Any] = {
        "resourceArn": endpoint_arn(name, region), "resourceId": name, "accountId": ACCOUNT, "finding": finding,
        "savingsOpportunity": {"savingsOpportunityPercentage": 100.0,
                               "estimatedMonthlySavings": {"currency": "USD", "value": savings}},
        "lookBackPeriodInDays": 14.0,
    }
    if resource_type is not None:
        item["resourceType"] = resource_type
    if description is not None:
        item["findingDescription"] = description
    return item


EC2_INSTANCE = {
    "resourceArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-0abc", "resourceId": "i-0abc",
    "resourceType": "EC2Instance", "accountId": ACCOUNT, "finding": "Idle",
    "findingDescription": "This EC2 instance is idle.",
}


def expect_pages(stubber: Stubber, *pages: dict[str, Any]) -> None:
    """Each page answers one call that must send our filter (and the previous page's token)."""
    token = None
    for page in pages:
        params: dict[str, Any] = {"filters": FILTERS, "maxResults": opinion.PAGE_SIZE}
        if token:
            params["nextToken"] = token
        stubber.add_response("get_idle_recommendations", page, params)
        token = page.get("nextToken")


# --- enrolled -------------------------------------------------------------------------------------

def test_pages_are_followed_and_each_finding_gets_agrees_or_disagrees(client):
    churn = finding("Churn-Model", Verdict.IDLE)  # AWS lists it idle, we call it idle
    busy = finding("busy-api", Verdict.ACTIVE)  # AWS lists it idle, we call it active
    forgotten = finding("forgotten", Verdict.IDLE)  # we call it idle, AWS does not list it
    late = finding("late-page", Verdict.IDLE)  # listed idle on the second page only
    quiet = finding("quiet-but-busy", Verdict.ACTIVE)  # active and not listed: both say not idle
    with Stubber(client) as stubber:
        expect_pages(stubber,
                     {"idleRecommendations": [idle("Churn-Model", description="No invocations in 14 days."),
                                              idle("busy-api", savings=1234.4), EC2_INSTANCE],
                      "nextToken": "page-2"},
                     {"idleRecommendations": [idle("late-page")]})
        opinions = opinion.read_idle_recommendations(client)
        stubber.assert_no_pending_responses()

    assert (opinions.state, opinions.pages, opinions.region) == ("enrolled", 2, REGION)
    opinion.attach([churn, busy, forgotten, late, quiet], opinions)
    assert [f.aws_opinion for f in (churn, busy, forgotten, late, quiet)] == [
        "agrees", "disagrees", "disagrees", "agrees", "agrees"]
    assert churn.aws_finding == "No invocations in 14 days."
    assert busy.aws_finding == "Compute Optimizer: Idle, saves ~$1,234/month"
    assert forgotten.aws_finding is None and quiet.aws_finding is None


def test_recommendations_for_other_resources_are_ignored(client):
    untyped = idle("no-type", resource_type=None)  # no resourceType: its SageMaker endpoint ARN decides
    with Stubber(client) as stubber:
        expect_pages(stubber, {"idleRecommendations": [EC2_INSTANCE, untyped, idle("kept")]})
        opinions = opinion.read_idle_recommendations(client)
    assert sorted(opinions.recommendations) == [endpoint_arn("kept"), endpoint_arn("no-type")]


def test_an_opinion_never_changes_a_verdict_score_or_action(client):
    ours = finding("busy-api", Verdict.ACTIVE)
    with Stubber(client) as stubber:
        expect_pages(stubber, {"idleRecommendations": [idle("busy-api")]})
        opinion.attach([ours], opinion.read_idle_recommendations(client))
    assert ours.aws_opinion == "disagrees"
    assert (ours.verdict, ours.score, ours.action, ours.reason) == (Verdict.ACTIVE, 0, Action.MARK, "test")


def test_without_an_arn_a_finding_is_matched_by_endpoint_name_and_region(client):
    by_name = finding("Churn-Model", Verdict.ACTIVE, arn=None)  # SageMaker lowercases names in ARNs
    elsewhere = finding("churn-model", Verdict.ACTIVE, arn=None, region="us-east-1")
    with Stubber(client) as stubber:
        expect_pages(stubber, {"idleRecommendations": [idle("churn-model")]})
        opinion.attach([by_name, elsewhere], opinion.read_idle_recommendations(client))
    assert (by_name.aws_opinion, by_name.aws_finding) == ("disagrees", "Compute Optimizer: Idle, saves ~$412/month")
    assert (elsewhere.aws_opinion, elsewhere.aws_finding) == ("agrees", None)


def test_per_resource_errors_are_counted_and_otherwise_ignored(client):
    errors = [{"identifier": endpoint_arn("odd"), "code": "InternalError", "message": "could not analyse",
               "resourceType": "EC2Instance"}, {"identifier": "other", "code": "InternalError"}]
    with Stubber(client) as stubber:
        expect_pages(stubber, {"idleRecommendations": [idle("kept")], "errors": errors})
        opinions = opinion.read_idle_recommendations(client)
    assert (opinions.state, opinions.resource_errors) == ("enrolled", 2)
    assert opinions.resource_error == f"{endpoint_arn('odd')}: InternalError: could not analyse"
    assert list(opinions.recommendations) == [endpoint_arn("kept")]


# --- not enrolled, unavailable ------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "status", "state"), [
    ("OptInRequiredException", 400, "not-enrolled"),
    ("AccessDeniedException", 400, "unavailable"),
    ("ValidationException", 400, "unavailable"),  # e.g. AWS rejects SageMakerEndpoint as a resource type
    ("InvalidParameterValueException", 400, "unavailable"),
    ("ThrottlingException", 400, "unavailable"),  # Stubber answers once: no retry happens here
])
def test_an_error_becomes_a_state_for_every_finding_and_is_never_raised(client, code, status, state):
    findings = [finding("churn-model", Verdict.IDLE), finding("busy-api", Verdict.ACTIVE)]
    with Stubber(client) as stubber:
        stubber.add_client_error("get_idle_recommendations", service_error_code=code, service_message="no",
                                 http_status_code=status, expected_params={"filters": FILTERS,
                                                                           "maxResults": opinion.PAGE_SIZE})
        opinions = opinion.read_idle_recommendations(client)
    assert (opinions.state, opinions.reason, opinions.recommendations) == (state, f"{code}: no", {})
    opinion.attach(findings, opinions)
    assert [(f.aws_opinion, f.aws_finding) for f in findings] == [(state, None), (state, None)]
    assert [f.verdict for f in findings] == [Verdict.IDLE, Verdict.ACTIVE]


def test_a_failure_on_a_later_page_makes_the_whole_opinion_unavailable(client):
    """Half a listing would make every endpoint of the missing pages 'disagree'."""
    with Stubber(client) as stubber:
        expect_pages(stubber, {"idleRecommendations": [idle("churn-model")], "nextToken": "page-2"})
        stubber.add_client_error("get_idle_recommendations", service_error_code="InternalServerException")
        opinions = opinion.read_idle_recommendations(client)
    assert (opinions.state, opinions.recommendations, opinions.pages) == ("unavailable", {}, 1)


def test_an_unreachable_service_is_unavailable(client):
    def unreachable(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://compute-optimizer.eu-west-1.amazonaws.com/")

    client.meta.events.register_first("before-send.compute-optimizer.GetIdleRecommendations", unreachable)
    opinions = opinion.read_idle_recommendations(client)
    assert opinions.state == "unavailable"
    assert opinions.reason is not None and opinions.reason.startswith("EndpointConnectionError: ")


def test_a_token_that_repeats_ends_the_listing(client):
    with Stubber(client) as stubber:
        expect_pages(stubber, {"idleRecommendations": [idle("a")], "nextToken": "same"},
                     {"idleRecommendations": [idle("b")], "nextToken": "same"})
        opinions = opinion.read_idle_recommendations(client)
        stubber.assert_no_pending_responses()
    assert (opinions.state, opinions.pages, len(opinions.recommendations)) == ("enrolled", 2, 2)


def test_the_client_gives_up_quickly(client):
    """A second opinion must not stall a run: few attempts, short timeouts, in the scanned region."""
    config = client.meta.config
    assert client.meta.region_name == REGION
    assert config.retries["total_max_attempts"] <= 3 and config.connect_timeout <= 5 and config.read_timeout <= 15
