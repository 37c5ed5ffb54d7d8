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
