"""The fresh checks of a live endpoint right before it is reclaimed: still the endpoint that
was judged, still opted in by its owner, and every hosted component opted in too."""

from __future__ import annotations

from typing import Any

from cost_watcher.judge.tags import parse_tags
from cost_watcher.model import Action, Finding
from cost_watcher.scan import inventory
from cost_watcher.settings import Settings


def changed_since_scan(finding: Finding, live: dict[str, Any], sagemaker: Any, settings: Settings) -> str | None:
    """Why the endpoint is no longer the one that was judged, or None.

    Between scan and action an endpoint may be re-created under the same name, re-configured,
    or its owner may withdraw the opt-in (or remove our mark to postpone). Tags are read
    fresh here, one call per endpoint about to be reclaimed, so none of that is missed.
    """
    scanned = finding.endpoint
    if scanned is not None:
        if scanned.created and live.get("CreationTime") and live["CreationTime"] != scanned.created:
            return "endpoint was re-created since the scan"
        if scanned.config_name and live.get("EndpointConfigName") != scanned.config_name:
            return "endpoint was re-configured since the scan"
    state = parse_tags(inventory.list_tags(sagemaker, live.get("EndpointArn") or finding.endpoint.arn),
                       settings.tag_prefix)
    if state.ignore or state.reclaim != finding.reclaim_tag:
        return "the owner changed the opt-in tags since the scan"
    if state.idle_since != finding.idle_since:
        return "the idle-since mark changed since the scan"
    return None


def untagged_component(finding: Finding, live: dict[str, Any], sagemaker: Any, settings: Settings) -> str | None:
    """Why a hosted inference component stops the reclaim, or None. IAM lets us delete or scale
    a component only when the component itself carries the opt-in, so an endpoint whose
    components lack it would be left half-done (autoscaling removed, components kept): the
    owner is told to tag them instead. One ListTags per component, for reclaim candidates only."""
    components = finding.endpoint.components if finding.endpoint else []
    accepted = ("delete",) if finding.action == Action.DELETE else ("delete", "scale-down")
    arn_base = (live.get("EndpointArn") or finding.endpoint.arn).rsplit(":", 1)[0]
    key = settings.tags.reclaim
    for component in components:
        tags = inventory.list_tags(sagemaker, f"{arn_base}:inference-component/{component.name}")
        if tags.get(key) not in accepted:
            finding.warnings.append(f"inference component {component.name} needs its own tag {key}="
                                    f"{finding.reclaim_tag} (IAM checks each component's tags)")
            return f"inference component {component.name} is not tagged {key}={' or '.join(accepted)}"
    return None
