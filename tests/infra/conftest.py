"""Template tests share one synthesis of both deployment variants (see synthesis.py)."""

from __future__ import annotations

import pytest

from tests.infra.synthesis import Synth, synthesize


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def report_template(synth: Synth) -> dict:
    return synth.templates["report"]


@pytest.fixture(scope="session")
def act_template(synth: Synth) -> dict:
    return synth.templates["act"]
