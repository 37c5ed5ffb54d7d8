"""moto's server on 127.0.0.1 behind a WSGI wrapper that adds latency and counts requests.

Real AWS answers in tens of milliseconds; an in-process moto answers in one or two. Without
the injected delay a benchmark would reward whatever does the least Python work, not what
makes the fewest round trips, which is what decides wall time against the real service.
The counter is kept at the server so it sees every request, retries included, whatever
client made it.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from werkzeug.serving import BaseWSGIServer, make_server

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# SigV4 signing names that differ from boto3's service names, so server and client counts compare.
SIGNING_TO_SERVICE = {"monitoring": "cloudwatch", "tagging": "resourcegroupstaggingapi"}
# Services moto does not emulate, answered as AWS answers an account that never opted in:
# moto answers them with a 500, which botocore retries with back-off, a wait AWS never makes.
# https://docs.aws.amazon.com/compute-optimizer/latest/APIReference/API_GetIdleRecommendations.html
NOT_EMULATED = {
    "compute-optimizer": (400, {"__type": "OptInRequiredException",
                                "message": "The account is not opted in to AWS Compute Optimizer."}),
}


def _not_emulated(service: str, start_response: Callable[..., Any]) -> list[bytes] | None:
    if service not in NOT_EMULATED:
        return None
    status, document = NOT_EMULATED[service]
    start_response(f"{status} Bad Request", [("Content-Type", "application/x-amz-json-1.0"),
                                             ("x-amzn-ErrorType", document["__type"])])
    return [json.dumps(document).encode()]


def service_of(environ: dict[str, Any]) -> str:
    """The signing service from a SigV4 Authorization header's credential scope."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    try:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0]
        signing_name = scope.split("/")[3]
    except IndexError:
        return "unknown"
    return SIGNING_TO_SERVICE.get(signing_name, signing_name)


def operation_of(environ: dict[str, Any], body: bytes) -> str:
    """The API operation, whichever protocol carried it.

    JSON protocols name it in X-Amz-Target (``SageMaker.ListEndpoints``); Smithy RPC v2
    (CloudWatch's default in current botocore) in the path (``/service/X/operation/Op``);
    the query protocol in an ``Action`` form field or query-string parameter.
    """
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    path = environ.get("PATH_INFO", "")
    if "/operation/" in path:
        return path.rsplit("/operation/", 1)[1].strip("/")
    for text in (environ.get("QUERY_STRING", ""), body.decode("utf-8", "replace") if _is_form(environ) else ""):
        action = parse_qs(text).get("Action")
        if action:
            return action[0]
    return "unknown"


def _is_form(environ: dict[str, Any]) -> bool:
    return environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded")


@dataclass
class CountingLatencyApp:
    """WSGI middleware: each request takes `latency_s`; requests are counted as 'service:Operation'.

    A request takes max(latency, moto's own handling time), not their sum: on AWS the
    service's work is inside its latency, and moto's slow generic serializer (tens of ms
    for a week of hourly datapoints) should not be charged to whichever scan reads more
    datapoints per call. moto's handling time per operation is kept (`busy`) so a slow
    figure can be told apart: the client's round trips, or the emulator's work.
    """

    app: WsgiApp
    latency_s: float = 0.04
    calls: Counter[str] = field(default_factory=Counter)
    busy: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = b""
        if _is_form(environ):
            # Reading the form consumes the stream; hand moto an identical one.
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
        key = f"{service_of(environ)}:{operation_of(environ, body)}"
        with self._lock:
            self.calls[key] += 1
        began = time.perf_counter()
        body_parts = _not_emulated(key.split(":", 1)[0], start_response)
        if body_parts is None:
            body_parts = list(self.app(environ, start_response))  # moto answers eagerly; materialise to time it
        busy = time.perf_counter() - began
        with self._lock:
            self.busy[key] += busy
        if busy < self.latency_s:
            time.sleep(self.latency_s - busy)  # releases the GIL: concurrent requests wait in parallel, as on AWS
        return body_parts

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.busy.clear()

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self.calls.items()))

    def busy_seconds(self) -> dict[str, float]:
        with self._lock:
            return {key: round(value, 3) for key, value in sorted(self.busy.items())}


class LatencyServer:
    """moto's DomainDispatcherApplication served on 127.0.0.1 (a free port) in a daemon thread.

    In-process on purpose: moto's backends are module globals, so the benchmark can seed
    them directly (seconds instead of the tens of thousands of API calls seeding costs).
    Starting one installs the benchmark's AWS-faithful patches (cost_watcher.sim.moto_fidelity),
    so whoever serves the simulated account gets AWS's answers, not moto's gaps.
    """

    def __init__(self, latency_s: float = 0.04, host: str = "127.0.0.1", port: int = 0) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        from cost_watcher.sim.moto_fidelity import make_moto_behave_like_aws

        make_moto_behave_like_aws()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per request
        self.app = CountingLatencyApp(DomainDispatcherApplication(create_backend_app), latency_s)
        self._server: BaseWSGIServer = make_server(host, port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto-server", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> LatencyServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
