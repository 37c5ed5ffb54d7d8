"""Fail fast and say why: when AWS cannot be reached as the caller, every command ends with exit 4
within 15 s, one line on stderr naming the cause and the fix, nothing on stdout, no traceback.

Each case runs the real command in a child process with an environment of its own (no credentials
file, no instance metadata), so boto3 resolves credentials exactly as on a user's laptop. AWS is a
dead local port or a small local server answering as STS does; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIMIT_SECONDS = 15
# The errors STS answers (https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html).
STS_ERROR = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
             "<Code>{code}</Code><Message>{message}</Message></Error><RequestId>1</RequestId></ErrorResponse>")


def environment(home: Path, **more: str) -> dict[str, str]:
    (home / "config").touch()
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "AWS_CONFIG_FILE": str(home / "config"),
           "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"), "AWS_EC2_METADATA_DISABLED": "true",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "lambda_src"), str(ROOT)]), "AWS_DEFAULT_REGION": "us-east-1"}
    env.update(more)
    return env


def cli(env: dict[str, str], *args: str) -> tuple[int, str, str, float]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "cost_watcher.faces.cli", *args], env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout, done.stderr, time.monotonic() - started


def assert_exit_4(result: tuple[int, str, str, float], *words: str) -> str:
    code, out, err, seconds = result
    assert code == 4, (code, out, err)
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cost-watcher: error:"), err
    assert "Traceback" not in err
    assert seconds < LIMIT_SECONDS
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path


COMMANDS = [("scan", "--region", "us-east-1"), ("scan", "--region", "all"),
            ("restore", "ep", "--region", "us-east-1", "--ledger", "s3://cw-ledger"),
            ("report", "--ledger", "s3://cw-ledger")]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_no_credentials(home, command):
    assert_exit_4(cli(environment(home), *command), "no AWS credentials", "aws configure", "aws sso login",
                  "--profile", "--demo")


@pytest.mark.parametrize("how", ["flag", "AWS_PROFILE"])
def test_unknown_profile(home, how):
    (home / "config").write_text("[profile dev]\nregion = eu-west-1\n")
    if how == "flag":
        line = assert_exit_4(cli(environment(home), "scan", "--profile", "ghost"), "'ghost'", "--profile")
        assert "dev" in line, "the known profiles are named"
    else:
        assert_exit_4(cli(environment(home, AWS_PROFILE="ghost"), "scan"), "'ghost'", "AWS_PROFILE")


def test_sso_session_not_logged_in(home):
    (home / "config").write_text(
        "[profile sso]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Dev\nregion = us-east-1\n"
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n")
    assert_exit_4(cli(environment(home), "scan", "--profile", "sso"), "SSO", "aws sso login --profile sso")


def test_refused_connection_to_a_dead_local_port(home):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = environment(home, AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="secret",
                      AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}")
    for command in COMMANDS[:1] + COMMANDS[2:]:
        assert_exit_4(cli(env, *command), "AWS cannot be reached", f"127.0.0.1:{port}")


class _Sts(http.server.BaseHTTPRequestHandler):
    code = "ExpiredToken"
    message = "The security token included in the request is expired"
    requests = 0

    def do_POST(self) -> None:
        type(self).requests += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = STS_ERROR.format(code=self.code, message=self.message).encode()
        self.send_response(403)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def sts():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Sts)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("code", "words"), [("ExpiredToken", ["expired", "aws sso login"]),
                                             ("InvalidClientTokenId", ["does not accept", "aws configure"])])
def test_expired_or_invalid_credentials(home, sts, code, words):
    _Sts.code, _Sts.requests = code, 0
    env = environment(home, AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="secret",
                      AWS_SESSION_TOKEN="old", AWS_ENDPOINT_URL=f"http://127.0.0.1:{sts.server_address[1]}")
    assert_exit_4(cli(env, "scan", "--region", "us-east-1"), code, *words)
    assert 1 <= _Sts.requests <= 2, "one STS call, at most one retry"


def test_restore_dry_run_reads_a_local_ledger_without_aws(home, tmp_path):
    from cost_watcher.reclaim.ledger import Ledger
    from cost_watcher.store import DirectoryStore

    ledger = tmp_path / "ledger"
    Ledger(DirectoryStore(ledger)).write("us-east-1", "churn", "delete", {
        "endpoint": {"EndpointName": "churn", "EndpointConfigName": "churn-config"},
        "endpoint_config": {"EndpointConfigName": "churn-config", "ProductionVariants": [
            {"VariantName": "AllTraffic", "InitialInstanceCount": 2, "InstanceType": "ml.m5.large"}]},
        "models": [{"ModelName": "churn-model"}], "tags": [{"Key": "team", "Value": "ml"}],
        "scalable_targets": [{"ResourceId": "endpoint/churn/variant/AllTraffic"}]})
    code, out, err, _ = cli(environment(home), "restore", "churn", "--region", "us-east-1", "--ledger", str(ledger),
                            "--dry-run")
    assert code == 3, err
    assert "Dry run: nothing was changed" in out and "create model churn-model" in out
    assert "AllTraffic: 2 \N{MULTIPLICATION SIGN} ml.m5.large" in out and "register 1 scalable target" in out
    assert "not compared with what exists" in err and "no AWS credentials" in err and "Traceback" not in err
    code, out, err, _ = cli(environment(home), "restore", "churn", "--region", "us-east-1", "--ledger", str(ledger))
    assert code == 4 and out == "", "a real restore needs AWS"
