"""A faulty network between our boto3 clients and moto: it can throttle, drop, refuse, alter,
lose the answer to, or "crash" at any call (shared by tests/faults and tests/soak).

Why at the network: botocore's own machinery (retries in adaptive mode, paginators, error
parsing) must see the faults exactly as it would see AWS's, so faults are injected where
moto answers a request (moto's before-send stubber), not above botocore. A throttled
request never reaches moto, so it has no side effect, as on AWS.

Retries stay real; only their sleeping is not: botocore's back-off sleeps are recorded
instead of slept (`Network.slept`), and the adaptive rate limiter's token bucket gets a
clock that moves 10 s each time it is read, so it never waits (with a frozen test clock
it would otherwise wait forever).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import botocore.endpoint
import botocore.retries.bucket
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError
from moto.core.botocore_stubber import BotocoreStubber, MockRawResponse

DEFAULT_REGION = "us-east-1"  # where a request's URL names no region (S3's global endpoint)

SERVICE_NAMES = {"application-auto-scaling": "application-autoscaling",
                 "resource-groups-tagging-api": "resourcegroupstaggingapi"}
_REGION_IN_HOST = re.compile(r"\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com")


class Crash(BaseException):
    """The Lambda process dies here (timeout, out of memory): nothing in the run may catch it."""


# --- the faulty network -----------------------------------------------------------------------

@dataclass
class Request:
    """One attempt of one call, as the network sees it."""

    service: str  # boto3's name: sagemaker, cloudwatch, application-autoscaling, s3, sns, ...
    operation: str
    region: str
    url: str
    body: bytes
    account: str = ""  # the account the request's credentials act in (organization mode's faults)

    @property
    def name(self) -> str:
        return f"{self.service}:{self.operation}"

    def params(self) -> dict[str, Any]:
        """The request's JSON body (every service here but S3 and SNS speaks JSON)."""
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            return {}


Match = Callable[[Request], bool]


def call(name: str, region: str | None = None, when: Match | None = None) -> Match:
    """Matches 'service:Operation' (or 'service:*') in a region, optionally with a further test."""
    service, _, operation = name.partition(":")

    def match(request: Request) -> bool:
        return (request.service == service and operation in ("*", request.operation)
                and (region is None or request.region == region) and (when is None or when(request)))

    return match


@dataclass
class Rule:
    match: Match
    effect: str  # throttle | unreachable | refuse | before | alter | crash | lose | emulate (AWS where moto differs)
    share: float = 1.0  # of matching attempts, chosen by a seeded hash
    seed: int = 0
    code: str = ""
    message: str = ""
    status: int = 400
    action: Callable[..., Any] | None = None
    times: int | None = None  # at most this many injections, then the rule is spent (None: never)
    used: int = 0


def error_response(request: Request, code: str, message: str, status: int) -> AWSResponse:
    """An AWS error response in the protocol botocore expects for this service."""
    if request.service == "s3":
        body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
        headers = {"Content-Type": "application/xml"}
    elif request.service == "sns":
        body = (f'<ErrorResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type>'
                f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>")
        headers = {"Content-Type": "text/xml"}
    else:
        body = json.dumps({"__type": code, "message": message})
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}
    return AWSResponse(request.url, status, headers, MockRawResponse(body))


def json_response(request: Request, document: dict[str, Any]) -> AWSResponse:
    """A successful JSON-protocol answer made up by the network."""
    return AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.0"},
                       MockRawResponse(json.dumps(document)))


def throttling_code(request: Request) -> tuple[str, int]:
    return {"s3": ("SlowDown", 503), "sns": ("Throttling", 400)}.get(request.service, ("ThrottlingException", 400))


def replace_body(response: AWSResponse, body: bytes) -> AWSResponse:
    """The same answer with another body (length and checksums dropped: they would not match)."""
    dropped = ("content-length", "content-md5", "etag")
    headers = {k: v for k, v in response.headers.items()
               if k.lower() not in dropped and not k.lower().startswith("x-amz-checksum")}
    return AWSResponse(response.url, response.status_code, headers, MockRawResponse(body))


class Network:
    """Rules applied in order to every attempt of every call our clients make to moto."""

    def __init__(self) -> None:
        self.rules: list[Rule] = []
        self.attempts: Counter[str] = Counter()  # every attempt, retries included
        self.delivered: Counter[str] = Counter()  # attempts that reached moto
        self.injected: Counter[str] = Counter()  # "effect service:Operation"
        self.slept: list[float] = []  # back-off botocore asked to sleep
        self.enabled = True
        self._seen: Counter[tuple[str, str, bytes]] = Counter()
        self._lock = threading.Lock()

    # -- rules --
    def throttle(self, share: float, seed: int, match: Match | None = None) -> None:
        """Throttle `share` of the attempts, chosen by a hash of (seed, request, repeat): the same
        attempts are throttled in every run whatever the thread scheduling."""
        self.rules.append(Rule(match or (lambda _: True), "throttle", share=share, seed=seed))

    def unreachable(self, match: Match) -> None:
        self.rules.append(Rule(match, "unreachable"))

    def refuse(self, match: Match, code: str, message: str, status: int = 400, times: int | None = None) -> None:
        self.rules.append(Rule(match, "refuse", code=code, message=message, status=status, times=times))

    def emulate(self, match: Match, code: str, message: str) -> None:
        """Answer as AWS does where moto does not (not a fault: not counted, kept by clear())."""
        self.rules.append(Rule(match, "emulate", code=code, message=message))

    def before(self, match: Match, action: Callable[[Request], None], times: int | None = None) -> None:
        """Run `action` just before a matching request reaches moto (the world changes under us)."""
        self.rules.append(Rule(match, "before", action=action, times=times))

    def alter(self, match: Match, action: Callable[[Request, AWSResponse], AWSResponse | None]) -> None:
        """Let `action` replace moto's answer (or answer itself when forward is not needed)."""
        self.rules.append(Rule(match, "alter", action=action))

    def crash(self, match: Match, *, after: bool = True, times: int = 1) -> None:
        """The process dies at a matching call: after moto carried it out (the change is made but
        the run never learns it), or before."""
        self.rules.append(Rule(match, "crash", action=(lambda: after), times=times))

    def intercept(self, match: Match, action: Callable[[Request, Callable[[], AWSResponse]], AWSResponse]) -> None:
        """Let `action` answer a matching request; it may forward it to moto (`forward()`) or not."""
        self.rules.append(Rule(match, "intercept", action=action))

    def lose_response(self, match: Match, times: int = 1) -> None:
        """moto carries the request out, then the connection drops before the answer arrives:
        botocore retries a request that already took effect (a read timeout on AWS)."""
        self.rules.append(Rule(match, "lose", times=times))

    def clear(self) -> None:
        """Drop the faults a test added (the AWS emulations of `world` stay)."""
        self.rules = [rule for rule in self.rules if rule.effect == "emulate"]

    def reset_counts(self) -> None:
        for counter in (self.attempts, self.delivered, self.injected):
            counter.clear()
        self.slept.clear()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Look at the account without faults (assertions, set-up)."""
        self.enabled = False
        try:
            yield
        finally:
            self.enabled = True

    # -- the hook --
    def _chosen(self, rule: Rule, request: Request) -> bool:
        with self._lock:
            key = (request.name, request.url, request.body)
            repeat = self._seen[key]
            self._seen[key] += 1
        digest = hashlib.sha256(f"{rule.seed}|{request.name}|{request.url}|{repeat}|".encode() + request.body)
        return int.from_bytes(digest.digest()[:8], "big") / 2**64 < rule.share

    def _take(self, rule: Rule) -> bool:
        with self._lock:
            if rule.times is not None and rule.used >= rule.times:
                return False
            rule.used += 1
            return True

    def send(self, request: Request, forward: Callable[[], AWSResponse | None]) -> AWSResponse | None:
        if not self.enabled:
            return forward()
        with self._lock:
            self.attempts[request.name] += 1
        alters: list[Rule] = []
        answer: Rule | None = None
        crash_after = lose = False
        for rule in list(self.rules):
            if not rule.match(request):
                continue
            if rule.effect == "throttle":
                if self._chosen(rule, request):
                    self._count("throttle", request)
                    code, status = throttling_code(request)
                    return error_response(request, code, "Rate exceeded", status)
            elif not self._take(rule):
                continue
            elif rule.effect == "unreachable":
                self._count("unreachable", request)
                raise EndpointConnectionError(endpoint_url=request.url)
            elif rule.effect in ("refuse", "emulate"):
                if rule.effect == "refuse":
                    self._count("refuse", request)
                return error_response(request, rule.code, rule.message, rule.status)
            elif rule.effect == "before":
                rule.action(request)
            elif rule.effect == "alter":
                alters.append(rule)
            elif rule.effect == "intercept":
                answer = rule
            elif rule.effect == "lose":
                self._count("lose", request)
                lose = True
            elif rule.effect == "crash":
                self._count("crash", request)
                if not rule.action():
                    raise Crash(f"process died before {request.name}")
                crash_after = True
        def delivered() -> AWSResponse | None:
            with self._lock:
                self.delivered[request.name] += 1
            return forward()

        response = answer.action(request, delivered) if answer else delivered()
        for rule in alters:
            response = rule.action(request, response) or response
        if crash_after:
            raise Crash(f"process died right after {request.name}")
        if lose:
            raise ConnectionClosedError(endpoint_url=request.url)
        return response

    def _count(self, effect: str, request: Request) -> None:
        with self._lock:
            self.injected[f"{effect} {request.name}"] += 1


class _SleeplessTime:
    """botocore.endpoint's `time`, with back-off sleeps recorded instead of slept."""

    def __init__(self, network: Network) -> None:
        import time

        self._time, self._network = time, network

    def sleep(self, seconds: float) -> None:
        self._network.slept.append(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._time, name)


class _RacingClock:
    """The adaptive rate limiter's clock: 10 s pass at every reading, so its bucket is always full."""

    def __init__(self) -> None:
        self._now = 1_000_000.0
        self._lock = threading.Lock()

    def current_time(self) -> float:
        with self._lock:
            self._now += 10
            return self._now

    def sleep(self, amount: float) -> None:
        return None


def _request_of(event_name: str, request: Any) -> Request:
    _, service_id, operation = event_name.split(".", 2)
    found = _REGION_IN_HOST.search(request.url)
    raw = request.body
    body = raw if isinstance(raw, bytes) else raw.encode() if isinstance(raw, str) else b""  # S3 uploads stream
    return Request(SERVICE_NAMES.get(service_id, service_id), operation, found.group(1) if found else DEFAULT_REGION,
                   request.url, body, _account_of(request))


def _account_of(request: Any) -> str:
    """Which moto account the request's access key acts in (an assumed role's too)."""
    from moto.iam.models import get_account_id_from

    signed = request.headers.get("Authorization") or b""
    found = re.search(r"Credential=([^/]+)/", signed.decode() if isinstance(signed, bytes) else signed)
    return get_account_id_from(found.group(1)) if found else ""


@pytest.fixture
def net(monkeypatch: pytest.MonkeyPatch) -> Network:
    """The network between our clients and moto, fault-free until a test adds rules."""
    network = Network()
    original = BotocoreStubber.__call__

    def stubbed(stubber: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> AWSResponse | None:
        if not stubber.enabled:
            return original(stubber, event_name, request, **kwargs)
        return network.send(_request_of(event_name, request),
                            lambda: original(stubber, event_name, request, **kwargs))

    monkeypatch.setattr(BotocoreStubber, "__call__", stubbed)
    monkeypatch.setattr(botocore.endpoint, "time", _SleeplessTime(network))
    monkeypatch.setattr(botocore.retries.bucket, "Clock", _RacingClock)
    return network
