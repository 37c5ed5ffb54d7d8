"""What an earlier attempt of the same run did (Lambda retries a run that died with the same
run id): read from the run's journal and checked against the live endpoint, so a retry
reports it and does not repeat it."""

from __future__ import annotations

from typing import Any

from cost_watcher.aws import AwsClients
from cost_watcher.errors import EndpointGone
from cost_watcher.judge import policy
from cost_watcher.model import Action, Finding, Outcome
from cost_watcher.reclaim import actions
from cost_watcher.reclaim.journal import STARTED, Journal
from cost_watcher.reclaim.ledger import Ledger
from cost_watcher.record import finding_from_dict


def carry_over(journal: Journal, findings: list[Finding], ready: list[Finding], clients: AwsClients,
               ledger: Ledger) -> list[Finding]:
    """Bring what an earlier attempt of this run did into this attempt's findings; returns
    the ready candidates still to act on (those it finished are not acted on again).

    A journalled action that ended 'done' is reported as done by the earlier attempt. One
    still 'started' was cut off: reported as done when it took effect, else continued when
    the endpoint is ready again.
    """
    if not journal.entries:
        return ready
    by_key = {(f.region, f.name): f for f in findings}
    waiting = {(f.region, f.name) for f in ready}
    for key, entry in journal.entries.items():
        result = entry.get("result") or ""
        if result == STARTED and not done_by_earlier_attempt(entry, clients, ledger):
            continue  # continued below when the endpoint is ready again; else judged afresh
        if result != STARTED and not result.startswith("done"):
            continue
        finding = by_key.get(key)
        if finding is None:
            finding = finding_from_dict(entry["finding"])
            findings.append(finding)
        earlier = finding_from_dict(entry["finding"])
        finding.action, finding.action_reason = Action(entry["action"]), earlier.action_reason
        finding.action_result = Outcome.done(f"by an earlier attempt of run {journal.run_id}")
        waiting.discard(key)
    return [f for f in ready if (f.region, f.name) in waiting]


def done_by_earlier_attempt(entry: dict[str, Any], clients: AwsClients, ledger: Ledger) -> bool:
    """Whether a journalled action that was cut off took effect: a delete when the endpoint is
    gone (or Deleting), a scale-down when its variants ask for no more than its record's plan.
    Anything unreadable is 'no': then this attempt's own judgement of the endpoint stands."""
    sagemaker = clients.sagemaker(entry["region"])
    try:
        if entry.get("action") == str(Action.DELETE):
            return actions.describe_endpoint(sagemaker, entry["name"]).get("EndpointStatus") == "Deleting"
        record = ledger.latest_record(entry["name"], entry["region"], ("scale-down",))
        if record is None:
            return False
        plan = policy.ScaleDownPlan.from_dict(record.doc.get("scale_down", {}))
        counts = [(v["VariantName"], v["To"], v["DesiredWeight"]) for v in plan.variants]
        return bool(counts) and actions.counts_in_effect(sagemaker, entry["name"], counts)
    except EndpointGone:
        return entry.get("action") == str(Action.DELETE)
    except Exception:  # noqa: BLE001 - unknown: the current judgement of the endpoint stands
        return False

