"""A second opinion from AWS: what Compute Optimizer's idle recommendations say about our endpoints.

Why: a reader trusts a verdict more when AWS's own analysis agrees, and looks twice where it does
not. Why it is only an opinion: Compute Optimizer needs the account enrolled, looks back over its
own window, and botocore's model (1.43) does not even list ``SageMakerEndpoint`` among the idle
resource types, so AWS may reject or ignore the filter. So nothing here decides anything: verdicts,
plans and actions never read it, every failure becomes a state (``not-enrolled``, ``unavailable``),
and nothing here raises.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cost_watcher.errors import describe_error, error_code
from cost_watcher.model import Finding, Verdict

SAGEMAKER_ENDPOINT = "SageMakerEndpoint"  # sent although botocore's enum lacks it: botocore does not check enums
FILTERS = [{"name": "ResourceType", "values": [SAGEMAKER_ENDPOINT]}]
IDLE_FINDINGS = frozenset({"Idle", "Unused", "Unattached"})  # the IdleFinding values: all mean "pays for nothing"
PAGE_SIZE = 100  # the API's maximum: fewest calls
MAX_PAGES = 100  # a service that keeps answering with new tokens must not hold up the run

ENROLLED, NOT_ENROLLED, UNAVAILABLE = "enrolled", "not-enrolled", "unavailable"
AGREES, DISAGREES = "agrees", "disagrees"


@dataclass(frozen=True)
class Recommendation:
    """One SageMaker endpoint Compute Optimizer listed, in its own words."""

    arn: str
    finding: str  # Idle | Unused | Unattached
    description: str | None = None  # findingDescription
    monthly_savings: float | None = None  # savingsOpportunity.estimatedMonthlySavings.value
    currency: str | None = None

    @property
    def idle(self) -> bool:
        return self.finding in IDLE_FINDINGS

    def words(self) -> str:
        """AWS's findingDescription, or a line made of its finding and savings."""
        if self.description:
            return self.description
        if self.monthly_savings is None:
            return f"Compute Optimizer: {self.finding}"
        amount = (f"${self.monthly_savings:,.0f}" if self.currency in (None, "USD")
                  else f"{self.monthly_savings:,.0f} {self.currency}")
        return f"Compute Optimizer: {self.finding}, saves ~{amount}/month"


@dataclass
class Opinions:
    """What one region's Compute Optimizer said: a state, and the endpoints it listed (by lowercase ARN)."""

    state: str  # enrolled | not-enrolled | unavailable
    region: str | None = None
    recommendations: dict[str, Recommendation] = field(default_factory=dict)
    reason: str | None = None  # why not-enrolled or unavailable
    resource_errors: int = 0  # entries of the response's `errors` list (per-resource failures), ignored
    resource_error: str | None = None  # the first of them, in words
    pages: int = 0


def read_idle_recommendations(compute_optimizer_client: Any) -> Opinions:
    """Every idle SageMaker endpoint Compute Optimizer lists in the client's region; never raises.

    One listing per region, page by page (botocore has no paginator for this operation).
    """
    client = compute_optimizer_client
    region = getattr(getattr(client, "meta", None), "region_name", None)
    opinions = Opinions(ENROLLED, region)
    try:
        pages = _pages(client)
        for page in pages:
            opinions.pages += 1
            _read_page(opinions, page)
    except Exception as error:  # noqa: BLE001 - an opinion that cannot be read is a state, never a failed run
        state = NOT_ENROLLED if error_code(error) == "OptInRequiredException" else UNAVAILABLE
        return Opinions(state, region, reason=describe_error(error), pages=opinions.pages)
    return opinions


def _pages(client: Any) -> Iterable[dict[str, Any]]:
    if client.can_paginate("get_idle_recommendations"):  # a later botocore may model one
        yield from client.get_paginator("get_idle_recommendations").paginate(filters=FILTERS)
        return
    params: dict[str, Any] = {"filters": FILTERS, "maxResults": PAGE_SIZE}
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        page = client.get_idle_recommendations(**params)
        yield page
        token = page.get("nextToken")
        if not token or token in seen:
            return
        seen.add(token)
        params["nextToken"] = token


def _read_page(opinions: Opinions, page: dict[str, Any]) -> None:
    for item in page.get("idleRecommendations") or []:
        arn = item.get("resourceArn") or ""
        if not _is_sagemaker_endpoint(item.get("resourceType"), arn):
            continue  # AWS may ignore a filter it does not know: keep SageMaker endpoints only
        savings = (item.get("savingsOpportunity") or {}).get("estimatedMonthlySavings") or {}
        value = savings.get("value")
        opinions.recommendations[arn.lower()] = Recommendation(
            arn=arn,
            finding=str(item.get("finding") or ""),
            description=item.get("findingDescription") or None,
            monthly_savings=float(value) if isinstance(value, (int, float)) else None,
            currency=savings.get("currency"),
        )
    for entry in page.get("errors") or []:
        opinions.resource_errors += 1
        if opinions.resource_error is None:
            message = entry.get("message")
            opinions.resource_error = f"{entry.get('identifier') or '?'}: {entry.get('code') or 'Error'}" + (
                f": {message}" if message else "")


def _is_sagemaker_endpoint(resource_type: str | None, arn: str) -> bool:
    return resource_type == SAGEMAKER_ENDPOINT or (arn.startswith("arn:aws") and ":sagemaker:" in arn
                                                   and ":endpoint/" in arn)


def attach(findings: Iterable[Finding], opinions: Opinions) -> None:
    """Set each finding's `aws_opinion` and `aws_finding`; verdicts, plans and actions are left alone."""
    by_name = {_region_and_name(arn): rec for arn, rec in opinions.recommendations.items()}
    for finding in findings:
        if opinions.state != ENROLLED:
            finding.aws_opinion, finding.aws_finding = opinions.state, None
            continue
        arn = finding.endpoint.arn if finding.endpoint is not None else ""
        rec = (opinions.recommendations.get(arn.lower()) if arn
               else by_name.get((finding.region, finding.name.lower())))
        aws_idle = rec is not None and rec.idle
        finding.aws_opinion = AGREES if aws_idle == (finding.verdict == Verdict.IDLE) else DISAGREES
        finding.aws_finding = rec.words() if rec is not None else None


def _region_and_name(arn: str) -> tuple[str, str]:
    """(region, lowercase endpoint name) of `arn:<partition>:sagemaker:<region>:<account>:endpoint/<name>`."""
    parts = arn.split(":", 5)
    region = parts[3] if len(parts) == 6 else ""
    return region, arn.rpartition(":endpoint/")[2].lower()
