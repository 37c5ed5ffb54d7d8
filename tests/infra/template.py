"""Small readers of a synthesized CloudFormation template, so tests say what they check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def resources(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {key: value for key, value in template["Resources"].items() if value["Type"] == resource_type}


def only(template: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    """The single resource of a type (logical id, properties); fails if there is not exactly one."""
    found = resources(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    (logical_id, resource), = found.items()
    return logical_id, resource.get("Properties", {})


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def identity_statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(policy logical id, statement) for every statement of every IAM policy attached to a role."""
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for statement in properties["PolicyDocument"]["Statement"]:
                yield logical_id, statement
        elif resource["Type"] == "AWS::IAM::Role":
            for policy in properties.get("Policies", []):
                for statement in policy["PolicyDocument"]["Statement"]:
                    yield logical_id, statement


def statements_with(template: dict[str, Any], action: str) -> list[dict[str, Any]]:
    """Allow statements whose Action list names `action` exactly."""
    return [s for _, s in identity_statements(template) if s["Effect"] == "Allow" and action in as_list(s["Action"])]


def all_actions(template: dict[str, Any]) -> set[str]:
    return {a for _, s in identity_statements(template) if s["Effect"] == "Allow" for a in as_list(s["Action"])}


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def get_att(logical_id: str, attribute: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def mentions(value: Any, logical_id: str) -> bool:
    """Whether a CloudFormation expression refers to `logical_id` anywhere (Ref or GetAtt)."""
    if isinstance(value, dict):
        if value.get("Ref") == logical_id:
            return True
        if "Fn::GetAtt" in value and value["Fn::GetAtt"][0] == logical_id:
            return True
        return any(mentions(item, logical_id) for item in value.values())
    if isinstance(value, list):
        return any(mentions(item, logical_id) for item in value)
    return False


def render(value: Any, values: dict[str, str]) -> str:
    """A CloudFormation string expression with Refs replaced from `values` (for parsing tests)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return values[value["Ref"]]
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(render(part, values) for part in parts)
    raise AssertionError(f"cannot render {value!r}")
