#!/usr/bin/env bash
# `make deploy-local`: the real CDK CLI bootstraps and deploys the stack into moto_server.
#
# moto_server listens on 127.0.0.1 only, on a free port, with fake credentials, and is
# stopped on exit whatever happens. Proves that `cdk deploy` of this app works end to end
# (assets published, template accepted, outputs produced) without an AWS account.
# Bounded in time: each CLI step has its own timeout (DEPLOY_LOCAL_STEP_TIMEOUT, seconds).
set -euo pipefail
cd "$(dirname "$0")/.."

STEP_TIMEOUT="${DEPLOY_LOCAL_STEP_TIMEOUT:-300}"
PYTHON="${PYTHON:-.venv/bin/python}"
CDK=node_modules/.bin/cdk
MOTO=.venv/bin/moto_server
for tool in "$CDK" "$MOTO" "$PYTHON"; do
  if [[ ! -x "$tool" ]]; then
    echo "deploy-local: $tool is missing; run 'make install' and 'npm ci' first" >&2
    exit 2
  fi
done

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
"$MOTO" -H 127.0.0.1 -p "$PORT" >"$WORK/moto.log" 2>&1 &
SERVER_PID=$!

# Everything below talks to the emulator only: fake credentials, no profile, explicit endpoint.
# localhost, not 127.0.0.1: the CDK CLI derives S3 virtual-host addresses from the endpoint.
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
export AWS_ENDPOINT_URL="http://localhost:$PORT"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export CDK_DISABLE_CLI_TELEMETRY=true JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
ACCOUNT=123456789012  # moto's default account

for _ in $(seq 1 100); do
  if curl -sf "$AWS_ENDPOINT_URL/moto-api/" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$WORK/moto.log" >&2; echo "deploy-local: moto_server died" >&2; exit 1; fi
  sleep 0.2
done

started=$SECONDS
# Bootstrap from an empty directory: the environment is explicit, so the app need not be synthesized twice.
ROOT="$PWD"
(cd "$WORK" && timeout "$STEP_TIMEOUT" "$ROOT/$CDK" bootstrap "aws://$ACCOUNT/$AWS_REGION" --no-notices --ci) \
  >"$WORK/bootstrap.log" 2>&1 || { cat "$WORK/bootstrap.log" >&2; echo "deploy-local: cdk bootstrap failed" >&2; exit 1; }
bootstrapped=$SECONDS
timeout "$STEP_TIMEOUT" "$CDK" deploy --method=direct --require-approval never --no-notices --ci \
  --output "$WORK/cdk.out" --outputs-file "$WORK/outputs.json" >"$WORK/deploy.log" 2>&1 \
  || { cat "$WORK/deploy.log" >&2; echo "deploy-local: cdk deploy failed" >&2; exit 1; }
deployed=$SECONDS

"$PYTHON" scripts/check_deployment.py "$WORK/outputs.json"
echo "deploy-local: ok (bootstrap $((bootstrapped - started)) s, deploy $((deployed - bootstrapped)) s)"
