"""The organization run as AWS runs it: the state machine's definition, taken from the synthesized
template, executed by moto's Step Functions interpreter, its Lambda tasks dispatched in-process to
our handler (moto's Lambda would need Docker) with the function's environment from the template.

Deviations, all named: the OU filter and the owners' topics point at the simulated organization
(the template's are examples); Retry intervals are recorded instead of slept; moto's interpreter
is made to honour the Map's failure tolerance as AWS does (sim/stepfunctions.py).
"""

from __future__ import annotations

import json
import time
from types import SimpleNamespace
from typing import Any

import pytest
from moto import mock_aws

from cost_watcher.faces.organization import handle_step
from cost_watcher.scan.clients import Clients
from cost_watcher.sim.stepfunctions import for_moto, tolerate_failed_items
from tests.infra.synthesis import synthesize
from tests.infra.template import only, render, resources
from tests.organization.world import BUCKET, build_world, published
from tests.support.names import OTHER_REGION, REGION

pytestmark = pytest.mark.slow  # synthesizes the stacks (shared with tests/infra) and runs executions

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:cost-watcher-org"
ROLE_ARN = "arn:aws:iam::123456789012:role/cost-watcher-org-run"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> dict[str, Any]:
    return synthesize(tmp_path_factory.mktemp("cdk.out")).templates["org"]


def definition(template: dict[str, Any]) -> str:
    _, machine = only(template, "AWS::StepFunctions::StateMachine")
    parts = machine["DefinitionString"]["Fn::Join"][1]
    return "".join(part if isinstance(part, str) else FUNCTION_ARN for part in parts)


def environment(template: dict[str, Any], world) -> dict[str, str]:
    """The function's environment as the template sets it, its tokens filled from the simulated hub."""
    bucket_id, _ = only(template, "AWS::S3::Bucket")
    topics = sorted(resources(template, "AWS::SNS::Topic"))  # the central topic and the e-mail route's
    refs = {"AWS::Partition": "aws", "AWS::AccountId": "123456789012", "AWS::Region": REGION, bucket_id: BUCKET}
    central = next(t for t in topics if t.startswith("Alerts"))
    refs.update({topic: world.vision_topic for topic in topics}, **{central: world.topic})
    _, function = only(template, "AWS::Lambda::Function")
    env = {name: render(value, refs) for name, value in function["Environment"]["Variables"].items()}
    env["ORGANIZATION_UNITS"] = ",".join(world.org.units[name] for name in ("ml",)) + f",{world.org.root}"
    env["ORGANIZATION_OWNER_ROUTES"] = json.dumps({world.account("team-a").id: world.team_topic,
                                                   "vision": world.vision_topic})
    return env


class Context:
    aws_request_id = "in-process"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 15 * 60 * 1000


@pytest.fixture
def run(template, now, monkeypatch):
    """Execute the state machine once; returns (world, execution, invocations, slept)."""
    from moto.awslambda.models import LambdaBackend
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    invocations: list[dict[str, Any]] = []
    slept: list[float] = []
    crash: set[str] = set()
    monkeypatch.setattr(retrier_decl, "time", SimpleNamespace(sleep=slept.append))
    tolerate_failed_items()

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        world = build_world(now)
        env = environment(template, world)

        def dispatch(self, function_name, qualifier, body, headers, response_headers):
            assert function_name == FUNCTION_ARN
            event = json.loads(body)
            invocations.append(event)
            try:
                if event["step"] == "item" and event["item"]["account"] in crash:
                    raise RuntimeError("Task timed out after 900.00 seconds")
                return json.dumps(handle_step(event, Context(), env, Clients())).encode()
            except Exception as error:  # noqa: BLE001 - what Lambda answers for an unhandled error
                response_headers["x-amz-function-error"] = "Unhandled"
                return json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)}).encode()

        monkeypatch.setattr(LambdaBackend, "invoke", dispatch)
        sfn = world.hub.client("stepfunctions", REGION)
        machine = sfn.create_state_machine(name="cost-watcher-org", definition=for_moto(definition(template)),
                                           roleArn=ROLE_ARN)["stateMachineArn"]

        def execute(name: str, crashing: tuple[str, ...] = (), tolerated: float | None = None) -> dict[str, Any]:
            crash.clear()
            crash.update(world.account(account).id for account in crashing)
            target = machine
            if tolerated is not None:  # the same machine deployed with another tolerated_failure_percentage
                asl = json.loads(definition(template))
                asl["States"]["Every account and region"]["ToleratedFailurePercentage"] = tolerated
                target = sfn.create_state_machine(name=f"tolerant-{name}", definition=for_moto(json.dumps(asl)),
                                                  roleArn=ROLE_ARN)["stateMachineArn"]
            arn = sfn.start_execution(stateMachineArn=target, name=name, input="{}")["executionArn"]
            for _ in range(600):
                described = sfn.describe_execution(executionArn=arn)
                if described["status"] != "RUNNING":
                    return described
                time.sleep(0.1)
            raise AssertionError("the execution did not finish in 60 s")

        yield SimpleNamespace(world=world, execute=execute, invocations=invocations, slept=slept)


def stored_report(world, name: str) -> dict[str, Any]:
    s3 = world.hub.s3()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="reports/")["Contents"]]
    (key,) = [k for k in keys if k.endswith(f"/{name}.json")]
    return json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def test_the_state_machine_fans_out_every_account_and_region_and_sends_one_digest(run):
    execution = run.execute("night-1")
    assert execution["status"] == "SUCCEEDED", execution
    world = run.world
    steps = [event["step"] for event in run.invocations]
    assert steps[0] == "accounts" and steps[-1] == "merge" and steps.count("merge") == 1
    items = {(e["item"]["account"], e["item"]["region"]) for e in run.invocations if e["step"] == "item"}
    assert len(items) == steps.count("item") == 4 * 2, "every ACTIVE account x both regions, each once"
    assert all(e["run_id"] == "night-1" for e in run.invocations)
    report = stored_report(world, "night-1")
    seen = {a["name"]: a["seen"] for a in report["accounts"]}
    assert seen == {**seen, "master": "seen", "team-a": "seen", "team-b": "seen"}
    assert seen["team-c"].startswith("not seen: ") and "AccessDenied" in seen["team-c"]
    acted = {e["name"] for e in report["endpoints"] if (e["action_result"] or "").startswith("done")}
    assert acted == {"a-churn", "b-west"}, "act mode, opted in and due, in the accounts that were seen"
    assert len(published(world.topic)) == 1
    assert "a-churn" in published(world.team_topic)[0] and "a-vision" in published(world.vision_topic)[0]
    # the same execution name again (a re-drive): no digest twice, nothing reclaimed twice
    again = run.execute("night-1-redrive")
    assert again["status"] == "SUCCEEDED"
    assert not any((e["action_result"] or "").startswith("done") for e in stored_report(world, "night-1-redrive")[
        "endpoints"]), "what was reclaimed is gone; nothing else is due"


def test_a_crashing_account_over_the_tolerance_fails_the_run_after_its_digest(run):
    execution = run.execute("night-2", crashing=("team-b",))
    world = run.world
    team_b = world.account("team-b").id
    crashed = [e for e in run.invocations if e["step"] == "item" and e["item"]["account"] == team_b]
    assert len(crashed) == 2 * 3, "each of team-b's items ran, then was retried twice"
    assert sorted(set(run.slept))[:2] == [30, 60], "the definition's back-off between retries"
    # 2 of 8 items failed: 25% is over the synthesized 5% tolerance, so the Map fails, yet the digest goes out
    assert execution["status"] == "FAILED"
    report = stored_report(world, "night-2")
    unseen = {a["name"]: a["seen"] for a in report["accounts"] if a["seen"] != "seen"}
    assert set(unseen) == {"team-b", "team-c"} and "did not finish" in unseen["team-b"]
    assert {(e["account"], e["region"]) for e in report["errors"] if e["account"] == team_b} == {
        (team_b, REGION), (team_b, OTHER_REGION)}
    assert len(published(world.topic)) == 1, "the digest of what was seen still went out"


def test_a_crashing_account_within_the_tolerance_leaves_the_run_succeeded_and_reported(run):
    execution = run.execute("night-3", crashing=("team-b",), tolerated=30)  # 2 of 8 items: 25%
    assert execution["status"] == "SUCCEEDED", execution
    report = stored_report(run.world, "night-3")
    assert {a["name"] for a in report["accounts"] if a["seen"] != "seen"} == {"team-b", "team-c"}
    acted = {e["name"] for e in report["endpoints"] if (e["action_result"] or "").startswith("done")}
    assert acted == {"a-churn"}, "team-a, seen, is acted on; team-b, not seen, is not"
    assert len(published(run.world.topic)) == 1
