"""The Lambda face: scheduled events run as deployed; a manual invoke may narrow, never widen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cost_watcher.errors import EventError
from cost_watcher.faces.handler import handle, run_id, scheduled_at, settings_for
from cost_watcher.settings import Settings

DEPLOYED = Settings(regions=("us-east-1",), dry_run=True, max_actions_per_run=5)
SCHEDULED = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.scheduler",
    "account": "123456789012",
    "time": "2026-11-22T02:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/cost-watcher"],
    "detail": {},
}


def test_scheduled_event_runs_with_deployed_settings():
    assert settings_for(SCHEDULED, DEPLOYED) == DEPLOYED
    assert settings_for({}, DEPLOYED) == DEPLOYED


def test_overrides_narrow_the_run():
    narrowed = settings_for(
        {"overrides": {"lookback_days": 14, "regions": ["eu-west-1"], "max_actions_per_run": 1}}, DEPLOYED
    )
    assert (narrowed.lookback_days, narrowed.regions, narrowed.max_actions_per_run) == (14, ("eu-west-1",), 1)


@pytest.mark.parametrize(
    ("event", "words"),
    [
        ("run please", "must be a JSON object"),
        ({"lookback": 3}, "unknown event key(s) 'lookback'"),
        ({"overrides": ["lookback_days"]}, "'overrides' must be an object"),
        ({"overrides": {"ledger": "s3://elsewhere"}}, "cannot be set by an invoke"),
        ({"overrides": {"tag_prefix": "x:"}}, "cannot be set by an invoke"),
        ({"overrides": {"mode": "act"}}, "cannot switch it to act"),
        ({"overrides": {"max_actions_per_run": 50}}, "above the deployed cap"),
        ({"overrides": {"lookback_days": 99}}, "from 1 to 63"),
        ({"overrides": {"lookback_days": True}}, "a whole number"),
    ],
)
def test_bad_events_are_rejected_with_what_is_accepted(event, words):
    with pytest.raises(ValueError) as caught:
        settings_for(event, DEPLOYED)
    assert words in str(caught.value)


def test_rejected_invoke_does_nothing(monkeypatch):
    class NoClients:
        def __getattr__(self, name):
            raise AssertionError("a rejected invoke must not call AWS")

    response = handle({"overrides": {"mode": "act"}}, None, {"COST_WATCHER_REGIONS": "us-east-1"}, NoClients())
    assert response["status"] == "rejected" and "report mode" in response["error"]
    response = handle({}, None, {"COST_WATCHER_LOOKBACK_DAYS": "0"}, NoClients())
    assert response["status"] == "rejected" and "lookback_days" in response["error"]


def test_run_id_is_stable_across_retries_of_one_event():
    assert run_id(SCHEDULED, None) == SCHEDULED["id"]
    assert run_id({"execution_id": "exec-1", **SCHEDULED}, None) == "exec-1"
    assert issubclass(EventError, ValueError)


def test_the_scheduled_time_files_the_report_only_when_it_is_a_recent_aware_time():
    now = datetime(2025, 3, 11, 0, 20, tzinfo=UTC)
    due = "2025-03-10T23:50:00Z"
    assert scheduled_at({"time": due}, now) == datetime(2025, 3, 10, 23, 50, tzinfo=UTC)
    assert scheduled_at({"scheduled_time": due, "time": "2025-03-11T00:19:00Z"}, now).day == 10  # Scheduler's own
    for odd in ({"time": "2025-03-01T00:00:00Z"}, {"time": "2025-03-12T00:00:00Z"}, {"time": "2025-03-10T23:50:00"},
                {"time": "yesterday"}, {"time": 5}, {}, None, []):
        assert scheduled_at(odd, now) is None, odd
    assert scheduled_at({"time": due}, now) - now == timedelta(minutes=-30)
