"""The inference-component path. moto has no inference components, so SageMaker is answered by
botocore's Stubber (strict: every call, in order) while CloudWatch is moto's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from botocore.stub import Stubber

from cost_watcher.engine import run
from cost_watcher.model import Verdict
from cost_watcher.scan.clients import Clients
from cost_watcher.settings import Settings
from cost_watcher.sim.moto_fidelity import make_moto_behave_like_aws

REGION = "us-east-1"
ACCOUNT = "123456789012"


def arn(kind: str, name: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{kind}/{name}"


def endpoint_summary(name: str, created):
    return {
        "EndpointName": name,
        "EndpointArn": arn("endpoint", name),
        "CreationTime": created,
        "LastModifiedTime": created,
        "EndpointStatus": "InService",
    }


def component(name: str, endpoint: str, created):
    return {
        "InferenceComponentName": name,
        "InferenceComponentArn": arn("inference-component", name),
        "EndpointName": endpoint,
        "EndpointArn": arn("endpoint", endpoint),
        "VariantName": "AllTraffic",
        "CreationTime": created,
        "LastModifiedTime": created,
        "InferenceComponentStatus": "InService",
    }


def expect_describe(stub: Stubber, name: str, created, instances: int, copies: dict[str, int] | None = None) -> None:
    stub.add_response(
        "describe_endpoint",
        {
            "EndpointName": name,
            "EndpointArn": arn("endpoint", name),
            "EndpointConfigName": f"{name}-config",
            "ProductionVariants": [
                {"VariantName": "AllTraffic", "CurrentInstanceCount": instances, "DesiredInstanceCount": instances}
            ],
            "EndpointStatus": "InService",
            "CreationTime": created,
            "LastModifiedTime": created,
        },
        {"EndpointName": name},
    )
    stub.add_response(
        "describe_endpoint_config",
        {
            "EndpointConfigName": f"{name}-config",
            "EndpointConfigArn": arn("endpoint-config", f"{name}-config"),
            "ProductionVariants": [
                {"VariantName": "AllTraffic", "InstanceType": "ml.g5.12xlarge", "InitialInstanceCount": instances}
            ],
            "CreationTime": created,
        },
        {"EndpointConfigName": f"{name}-config"},
    )
    # tags: from the region's tag listing (GetResources on moto: none), not ListTags
    for component_name, count in (copies or {}).items():
        stub.add_response(
            "describe_inference_component",
            {"InferenceComponentName": component_name,
             "InferenceComponentArn": arn("inference-component", component_name),
             "EndpointName": name, "EndpointArn": arn("endpoint", name), "CreationTime": created,
             "LastModifiedTime": created, "InferenceComponentStatus": "InService",
             "RuntimeConfig": {"DesiredCopyCount": count, "CurrentCopyCount": count}},
            {"InferenceComponentName": component_name},
        )


@pytest.fixture
def clients(aws):
    make_moto_behave_like_aws()
    return Clients(max_workers=1)


def put_invocations(clients: Clients, dimensions: list[dict], now, hours: range, count: float = 30.0) -> None:
    clients.cloudwatch(REGION).put_metric_data(
        Namespace="AWS/SageMaker",
        MetricData=[
            {
                "MetricName": "Invocations",
                "Dimensions": dimensions,
                "Timestamp": now - timedelta(hours=h),
                "Value": count,
            }
            for h in hours
        ],
    )


def put_cpu(clients: Clients, endpoint: str, now) -> None:
    dims = [{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": "AllTraffic"}]
    clients.cloudwatch(REGION).put_metric_data(
        Namespace="/aws/sagemaker/Endpoints",
        MetricData=[
            {"MetricName": "CPUUtilization", "Dimensions": dims, "Timestamp": now - timedelta(hours=h), "Value": 12.0}
            for h in range(1, 4)
        ],
    )


def test_endpoint_is_idle_only_when_all_its_components_are(clients, now):
    created = now - timedelta(days=40)
    for name in ("llm-host", "old-host"):
        put_cpu(clients, name, now)
    put_invocations(clients, [{"Name": "InferenceComponentName", "Value": "ic-llama"}], now, range(1, 100))

    sagemaker = clients.sagemaker(REGION)
    sent_queries = []
    clients.cloudwatch(REGION).meta.events.register(
        "provide-client-params.cloudwatch.GetMetricData",
        lambda params, **_: sent_queries.extend(params["MetricDataQueries"]),
    )
    with Stubber(sagemaker) as stub:
        stub.add_response(
            "list_endpoints",
            {"Endpoints": [endpoint_summary("llm-host", created), endpoint_summary("old-host", created)]},
            None,
        )
        stub.add_response(
            "list_inference_components",
            {
                "InferenceComponents": [
                    component("ic-llama", "llm-host", created),
                    component("ic-mistral", "llm-host", created),
                    component("ic-old", "old-host", created),
                ]
            },
            None,
        )
        expect_describe(stub, "llm-host", created, 2, {"ic-llama": 1, "ic-mistral": 1})  # ic-mistral: no traffic
        expect_describe(stub, "old-host", created, 1, {"ic-old": 1})
        report = run(Settings(regions=(REGION,), pricing="table", max_workers=1), clients, now)
        stub.assert_no_pending_responses()

    by_name = {f.name: f for f in report.findings}
    assert by_name["llm-host"].verdict == Verdict.ACTIVE
    assert by_name["llm-host"].invocations == pytest.approx(99 * 30)
    assert by_name["old-host"].verdict == Verdict.IDLE
    assert by_name["old-host"].components == ["ic-old"]
    assert by_name["old-host"].monthly_cost_usd > 0
    assert report.errors == []
    component_queries = [
        q
        for q in sent_queries
        if any(d["Name"] == "InferenceComponentName" for d in q["MetricStat"]["Metric"]["Dimensions"])
    ]
    assert {q["MetricStat"]["Metric"]["Dimensions"][0]["Value"] for q in component_queries} == {
        "ic-llama",
        "ic-mistral",
        "ic-old",
    }
    assert all(len(q["MetricStat"]["Metric"]["Dimensions"]) == 1 for q in component_queries)


def test_unlisted_components_make_the_region_incomplete(clients, now):
    with Stubber(clients.sagemaker(REGION)) as stub:
        stub.add_response(
            "list_endpoints", {"Endpoints": [endpoint_summary("llm-host", now - timedelta(days=40))]}, None
        )
        stub.add_client_error("list_inference_components", "AccessDeniedException", "not authorized")
        stub.add_response(
            "describe_endpoint",
            {
                "EndpointName": "llm-host",
                "EndpointArn": arn("endpoint", "llm-host"),
                "EndpointConfigName": "c",
                "ProductionVariants": [{"VariantName": "AllTraffic", "CurrentInstanceCount": 1}],
                "EndpointStatus": "InService",
                "CreationTime": now,
                "LastModifiedTime": now,
            },
            None,
        )
        stub.add_response(
            "describe_endpoint_config",
            {
                "EndpointConfigName": "c",
                "EndpointConfigArn": arn("endpoint-config", "c"),
                "CreationTime": now,
                "ProductionVariants": [
                    {"VariantName": "AllTraffic", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
                ],
            },
            None,
        )
        report = run(Settings(regions=(REGION,), pricing="table", dry_run=False, ledger=None), clients, now)
    assert [(e.region, e.operation) for e in report.errors] == [(REGION, "sagemaker:ListInferenceComponents")]
    assert all(str(f.action) not in ("delete", "scale-down") for f in report.findings)
