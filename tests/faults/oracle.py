"""The safety oracle every fault and soak test ends with: what changed in the account, and
that each change is one the report says was done, with its restore record."""

from __future__ import annotations

from typing import Any

from faultworld import Outcome, World

from tests.support.names import MARK, REGION


def changes(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    """What happened to each endpoint: deleted, created, scaled, marked, unmarked, other."""
    seen: dict[str, set[str]] = {}
    for name, old in before.items():
        new = after.get(name)
        kinds: set[str] = set()
        if new is None:
            kinds.add("deleted")
        else:
            if (new["created"], new["config"]) != (old["created"], old["config"]):
                kinds.add("replaced")
            if (new["instances"], new["scaling"], new["policies"]) != (old["instances"], old["scaling"],
                                                                       old["policies"]):
                kinds.add("scaled")
            if MARK in new["tags"] and new["tags"][MARK] != old["tags"].get(MARK):
                kinds.add("marked")
            if MARK in old["tags"] and MARK not in new["tags"]:
                kinds.add("unmarked")
            rest = lambda tags: {k: v for k, v in tags.items() if k != MARK}  # noqa: E731
            if rest(new["tags"]) != rest(old["tags"]):
                kinds.add("other")
        if kinds:
            seen[name] = kinds
    for name in after.keys() - before.keys():
        seen[name] = {"created"}
    return seen


def assert_only_reported_changes(world: World, before: dict[str, dict[str, Any]], outcome: Outcome,
                                 region: str = REGION) -> dict[str, set[str]]:
    """The safety oracle. Every change to the account is one the report says was done, and
    every deletion or scale-down has its restore record, taken from the endpoint as it was:
    no endpoint deleted or scaled that shouldn't be, no restore record lost."""
    after = world.state(region)
    happened = changes(before, after)
    for name, kinds in happened.items():
        assert kinds <= {"deleted", "scaled", "marked", "unmarked"}, f"{name}: unexpected change {kinds}"
        finding = outcome.finding(name)
        if "deleted" in kinds:
            assert (finding["action"], finding["action_result"]) == ("delete", "done"), finding
            keys = world.records(name, region)
            assert keys and keys[-1].endswith("-delete.json"), f"{name} was deleted without a restore record"
            record = world.record(keys[-1])
            assert record["endpoint"]["EndpointConfigName"] == before[name]["config"]
            assert record["endpoint_config"]["EndpointConfigName"] == before[name]["config"]
            assert record["models"], f"{name}: its record has no model to restore"
        partial = finding["action"] == "delete" and (finding["action_result"] or "").startswith("failed")
        if "scaled" in kinds and partial and kinds == {"scaled"}:
            # a delete that failed after removing autoscaling (reported; the next run finishes it):
            # the record taken before the change must be there
            assert world.records(name, region)[-1].endswith("-delete.json"), f"{name}: no record"
        elif "scaled" in kinds:
            assert (finding["action"], finding["action_result"]) == ("scale-down", "done"), finding
            keys = world.records(name, region)
            assert keys and keys[-1].endswith("-scale-down.json"), f"{name} was scaled without a restore record"
            plan = world.record(keys[-1])["scale_down"]
            recorded = {v["VariantName"]: v["DesiredInstanceCount"] for v in plan["variants"]}
            assert all(before[name]["instances"][v][0] == n for v, n in recorded.items())
        if "marked" in kinds:
            assert (finding["action"], finding["action_result"]) == ("mark", "done"), finding
        if "unmarked" in kinds:
            result = finding["action_result"] or ""
            assert (finding["action"] == "unmark" and result == "done") or "mark removed" in result, finding
    claimed = {f["name"] for f in outcome.report["endpoints"]
               if f["region"] == region and f["action_result"] == "done"} if outcome.report else set()
    assert claimed <= set(happened), f"the report claims changes that did not happen: {claimed - set(happened)}"
    return happened
