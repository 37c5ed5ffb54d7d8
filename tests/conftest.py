"""Shared fixtures: fake credentials for every test, and moto accounts built by the demo builder."""

from __future__ import annotations

import os

import pytest

# Set before any boto3 client exists, so nothing can ever reach a real AWS endpoint.
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SECURITY_TOKEN="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
)
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)


@pytest.fixture
def aws():
    """An empty moto account for the duration of one test."""
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def now():
    from datetime import UTC, datetime

    return datetime.now(UTC).replace(microsecond=0)


def new_clients():
    """Clients on the current moto account, which answers as AWS would (demo.make_moto_behave_like_aws)."""
    from cost_watcher.scan.clients import Clients
    from cost_watcher.sim.moto_fidelity import make_moto_behave_like_aws, simulate_inference_components

    make_moto_behave_like_aws()
    made = Clients()
    simulate_inference_components(made, [])
    return made


@pytest.fixture
def clients(aws):
    return new_clients()


@pytest.fixture(scope="module")
def demo_report():
    """One scan of the demo account shared by a module's read-only tests: (report, now)."""
    from datetime import UTC, datetime

    from moto import mock_aws

    from cost_watcher.engine import run
    from cost_watcher.settings import Settings
    from cost_watcher.sim.account import build_demo_account
    from cost_watcher.sim.specs import DEMO_REGIONS

    with mock_aws():
        made = new_clients()
        now = datetime.now(UTC).replace(microsecond=0)
        build_demo_account(made, now)
        yield run(Settings(regions=DEMO_REGIONS, pricing="table"), made, now), now


@pytest.fixture
def demo_account(clients, now):
    """The demo's simulated account (24 endpoints, two regions), built by the one builder."""
    from cost_watcher.sim.account import build_demo_account

    specs = build_demo_account(clients, now)
    return {spec.name: spec for spec in specs}


@pytest.fixture
def scan(clients, now):
    """Run the engine on the moto account: scan(**settings) -> Report."""
    from cost_watcher.engine import run
    from cost_watcher.settings import Settings
    from cost_watcher.sim.specs import DEMO_REGIONS

    def scan_now(**changes):
        settings = Settings(regions=DEMO_REGIONS, pricing="table").replace(**changes)
        return run(settings, clients, now)

    return scan_now


@pytest.fixture(autouse=True)
def _cold_prices():
    """Price List answers a test stubbed are never another test's: the warm-Lambda cache starts empty."""
    from cost_watcher.scan.prices import WARM_PRICES

    WARM_PRICES.clear()
    yield
    WARM_PRICES.clear()
