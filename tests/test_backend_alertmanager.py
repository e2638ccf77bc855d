"""Alertmanager half of the real backend, against a real Alertmanager (API v2)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from monitoring_services import post_alert

from tools.alertmanager.client import Alert, AlertmanagerClient
from tools.backend import ToolFailure
from tools.real.alerts import from_alertmanager
from tools.real.http import HttpApi
from tools.real.settings import HttpEndpoint


@pytest.fixture
def client(alertmanager_url: str) -> Iterator[AlertmanagerClient]:
    api = HttpApi(HttpEndpoint(name="Alertmanager", url=alertmanager_url, timeout_seconds=5))
    yield AlertmanagerClient(api)
    api.close()


def _alert(client: AlertmanagerClient, name: str, until: Callable[[Alert], bool] = lambda _a: True,
           **labels: str) -> Alert:
    """Alertmanager applies silences asynchronously: wait (bounded) for the state. The
    session's Alertmanager is shared, so the alert is also picked by ``labels``."""
    deadline = time.monotonic() + 10
    while True:
        found = [a for a in client.alerts()
                 if a.name == name and labels.items() <= a.labels.items()]
        if found and until(found[0]):
            return found[0]
        if time.monotonic() > deadline:
            pytest.fail(f"alert {name} never reached the expected state: {found}")
        time.sleep(0.1)


def _silence(client: AlertmanagerClient, matchers: dict[str, str],
             minutes: int = 30, author: str = "U01ALICE") -> str:
    now = datetime.now(UTC)
    return client.create_silence(matchers, starts_at=now,
                                 ends_at=now + timedelta(minutes=minutes),
                                 created_by=author, comment="disk is scratch space")


def test_a_posted_alert_is_listed_active_with_its_labels(
        client: AlertmanagerClient, alertmanager_url: str) -> None:
    post_alert(alertmanager_url, "KubePodCrashLooping",
               {"namespace": "shop", "pod": "checkout-1", "severity": "warning"},
               "Pod is crash looping.")
    alert = _alert(client, "KubePodCrashLooping", pod="checkout-1")
    record = from_alertmanager(alert)
    assert record.state == "firing"
    assert record.labels == {"namespace": "shop", "pod": "checkout-1", "severity": "warning"}
    assert record.summary == "Pod is crash looping." and record.severity == "warning"


def test_a_silence_suppresses_the_alert_and_records_author_comment_and_duration(
        client: AlertmanagerClient, alertmanager_url: str) -> None:
    # The session's Alertmanager is shared: a mount point no other test alerts on.
    post_alert(alertmanager_url, "NodeFilesystemAlmostFull",
               {"namespace": "ops", "mountpoint": "/var/cache/builds", "severity": "warning"},
               "Filesystem has less than 10% space left.")
    _alert(client, "NodeFilesystemAlmostFull", mountpoint="/var/cache/builds")
    silence_id = _silence(client, {"alertname": "NodeFilesystemAlmostFull",
                                   "mountpoint": "/var/cache/builds"}, minutes=45)
    silenced = _alert(client, "NodeFilesystemAlmostFull",
                      lambda a: a.status.state == "suppressed", mountpoint="/var/cache/builds")
    assert silenced.status.silenced_by == [silence_id]
    assert from_alertmanager(silenced).state == "silenced"
    [stored] = [s for s in client.silences() if s.id == silence_id]
    assert stored.status.state == "active"
    assert stored.created_by == "U01ALICE" and stored.comment == "disk is scratch space"
    assert {m.render() for m in stored.matchers} == {"alertname=NodeFilesystemAlmostFull",
                                                     "mountpoint=/var/cache/builds"}
    length = stored.ends_at - stored.starts_at
    assert timedelta(minutes=44) < length <= timedelta(minutes=45, seconds=1)


def test_expiring_a_silence_ends_it_and_the_alert_fires_again(
        client: AlertmanagerClient, alertmanager_url: str) -> None:
    post_alert(alertmanager_url, "CartLatencyHigh", {"namespace": "shop"}, "p99 above 1s")
    silence_id = _silence(client, {"alertname": "CartLatencyHigh"})
    _alert(client, "CartLatencyHigh", lambda a: a.status.state == "suppressed")
    before = client.expire_silence(silence_id)
    assert before.status.state == "active"
    assert client.silence(silence_id).status.state == "expired"
    _alert(client, "CartLatencyHigh", lambda a: a.status.state == "active")
    again = client.expire_silence(silence_id)  # expiring twice changes nothing
    assert again.status.state == "expired"


def test_expiring_an_unknown_silence_says_it_was_not_found(client: AlertmanagerClient) -> None:
    with pytest.raises(ToolFailure, match="not found"):
        client.expire_silence("6f1d7c9e-0000-4000-8000-000000000000")
    with pytest.raises(ToolFailure, match="not found"):
        client.expire_silence("not-a-uuid")


def test_a_silence_without_matchers_is_refused_before_any_request(
        client: AlertmanagerClient) -> None:
    with pytest.raises(ToolFailure, match="at least one matcher"):
        _silence(client, {})


def test_alertmanager_validation_errors_are_permanent_and_explained(
        client: AlertmanagerClient) -> None:
    now = datetime.now(UTC)
    with pytest.raises(ToolFailure) as failed:
        client.create_silence({"alertname": "X"}, starts_at=now, ends_at=now - timedelta(hours=1),
                              created_by="U01ALICE", comment="backwards")
    assert not failed.value.transient
    assert "Alertmanager rejected creating a silence (400)" in str(failed.value)
