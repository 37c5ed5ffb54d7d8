"""A small evaluator of identity policies: does the function role allow one request?

Enough of IAM's documented logic for the policies we write: Action and Resource wildcards,
explicit Deny over Allow, and the condition operators below with IAM's rules for a key the
request does not carry (a positive operator fails, a negated one passes, `...IfExists` passes,
`ForAllValues:` passes, `ForAnyValue:` fails). Anything it does not model (NotAction,
NotResource, another operator, a CloudFormation function it cannot render) raises instead of
guessing, so a policy the evaluator does not understand can never pass as allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from tests.infra.template import as_list, only

Context = Mapping[str, str | tuple[str, ...]]


@dataclass(frozen=True)
class Request:
    """One authorization IAM makes for an API call: action, resource ARN, condition context."""

    action: str
    resource: str
    context: Context = field(default_factory=dict)
    because: str = ""  # the call that needs it, for messages

    def __str__(self) -> str:
        extra = f" {dict(self.context)}" if self.context else ""
        return f"{self.action} on {self.resource}{extra} (for {self.because or 'a call'})"


class NotModelled(Exception):
    """The policy uses something this evaluator does not implement."""


def function_role(template: dict[str, Any]) -> str:
    """Logical id of the role the (only) Lambda function runs with."""
    _, function = only(template, "AWS::Lambda::Function")
    return function["Role"]["Fn::GetAtt"][0]


def role_statements(template: dict[str, Any], role_id: str) -> list[dict[str, Any]]:
    """Every statement of every identity policy attached to the role: its inline policies and the
    AWS::IAM::Policy / ManagedPolicy resources that name it."""
    found: list[dict[str, Any]] = []
    resources = template["Resources"]
    for policy in resources[role_id]["Properties"].get("Policies", []):
        found += as_list(policy["PolicyDocument"]["Statement"])
    for resource in resources.values():
        properties = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy") and \
                {"Ref": role_id} in properties.get("Roles", []):
            found += as_list(properties["PolicyDocument"]["Statement"])
    if resources[role_id]["Properties"].get("ManagedPolicyArns"):
        raise NotModelled(f"role {role_id} has managed policies whose statements are not in the template")
    return found


def render(value: Any, refs: Mapping[str, str]) -> str:
    """A CloudFormation string expression, with `refs` giving each Ref ("Id") and GetAtt ("Id.Attr")."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (function, argument), = value.items()
        if function == "Ref" and argument in refs:
            return refs[argument]
        if function == "Fn::GetAtt" and ".".join(argument) in refs:
            return refs[".".join(argument)]
        if function == "Fn::Join":
            separator, parts = argument
            return separator.join(render(part, refs) for part in parts)
    raise NotModelled(f"cannot render {value!r}: give a value for it")


def allowed(statements: list[dict[str, Any]], request: Request, refs: Mapping[str, str]) -> bool:
    """IAM's identity-policy decision for one request: an explicit Deny wins, then any Allow."""
    matching = [s for s in statements if _applies(s, request, refs)]
    if any(s["Effect"] == "Deny" for s in matching):
        return False
    return any(s["Effect"] == "Allow" for s in matching)


def granted_actions(statements: list[dict[str, Any]]) -> set[str]:
    return {action for s in statements if s["Effect"] == "Allow" for action in as_list(s["Action"])}


# --- matching ---------------------------------------------------------------------------------

def _applies(statement: dict[str, Any], request: Request, refs: Mapping[str, str]) -> bool:
    if "NotAction" in statement or "NotResource" in statement or "Principal" in statement:
        raise NotModelled(f"statement {statement.get('Sid', statement)} uses NotAction/NotResource/Principal")
    if not any(_wildcard(pattern, ignore_case=True).fullmatch(request.action)
               for pattern in as_list(statement["Action"])):
        return False
    if not any(_wildcard(render(resource, refs)).fullmatch(request.resource)
               for resource in as_list(statement["Resource"])):
        return False
    return all(_condition(operator, key, as_list(values), request.context)
               for operator, block in statement.get("Condition", {}).items()
               for key, values in block.items())


@lru_cache(maxsize=512)
def _wildcard(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """IAM's `*` (any run of characters, `/` and `:` included) and `?` (one character)."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


_STRING_TESTS = {
    "StringEquals": lambda value, wanted: value == wanted,
    "StringEqualsIgnoreCase": lambda value, wanted: value.casefold() == wanted.casefold(),
    "StringLike": lambda value, wanted: bool(_wildcard(wanted).fullmatch(value)),
}


def _condition(operator: str, key: str, wanted: list[Any], context: Context) -> bool:
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    present = {k.lower(): v for k, v in context.items()}  # condition key names are case-insensitive
    value = present.get(key.lower())

    if base == "Null":
        if qualifier or if_exists:
            raise NotModelled(f"{operator}")
        return (value is None) == (str(wanted[0]).lower() == "true")

    negated = base.startswith("StringNot")
    test = _STRING_TESTS.get(base.replace("StringNot", "String", 1))
    if test is None or qualifier not in ("", "ForAllValues", "ForAnyValue") or not all(isinstance(w, str)
                                                                                       for w in wanted):
        raise NotModelled(f"condition operator {operator} with {wanted!r}")

    def one(item: str) -> bool:
        hit = any(test(item, w) for w in wanted)
        return not hit if negated else hit

    values = (value,) if isinstance(value, str) else tuple(value or ())
    if qualifier == "ForAllValues":
        return all(one(v) for v in values)  # vacuously true for a key the request lacks
    if qualifier == "ForAnyValue":
        return any(one(v) for v in values)
    if value is None:
        return if_exists or negated
    if len(values) != 1:
        raise NotModelled(f"{operator} on multi-valued key {key}: use ForAllValues/ForAnyValue")
    return one(values[0])


def denied(statements: list[dict[str, Any]], requests: list[Request], refs: Mapping[str, str]) -> Iterator[str]:
    """The requests the statements do not allow, as readable lines."""
    for request in requests:
        if not allowed(statements, request, refs):
            yield str(request)
