"""With OPSBOT_NAMESPACES set, a silence through the real Alertmanager must be pinned to one
of those namespaces: Alertmanager applies an unpinned silence to every namespace's alerts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tools.alertmanager.client import AlertmanagerClient
from tools.backend import ToolFailure
from tools.catalog import SilenceAlertArgs
from tools.prometheus.client import PrometheusClient
from tools.real.http import HttpApi
from tools.real.monitoring import Monitoring
from tools.real.settings import HttpEndpoint, SloQueries


def _monitoring(alertmanager_url: str, namespaces: tuple[str, ...]) -> Monitoring:
    def endpoint(name: str, url: str) -> HttpEndpoint:
        return HttpEndpoint(name=name, url=url, timeout_seconds=5)

    # Silences never reach Prometheus; the URL only has to be well formed.
    return Monitoring(PrometheusClient(HttpApi(endpoint("Prometheus", "http://127.0.0.1:9"))),
                      SloQueries(),
                      AlertmanagerClient(HttpApi(endpoint("Alertmanager", alertmanager_url))),
                      lambda: datetime.now(UTC), namespaces=namespaces)


def _silence_ids(monitoring: Monitoring) -> set[str]:
    """The session's Alertmanager is shared: a test compares with what was there before."""
    return {s.id for s in monitoring.silences()}


@pytest.fixture
def scoped(alertmanager_url: str) -> Iterator[Monitoring]:
    monitoring = _monitoring(alertmanager_url, ("shop",))
    yield monitoring
    monitoring.close()


def test_a_silence_without_a_namespace_matcher_is_refused_before_alertmanager_sees_it(
        scoped: Monitoring) -> None:
    before = _silence_ids(scoped)
    args = SilenceAlertArgs(alertname="KubePodCrashLooping")
    with pytest.raises(ToolFailure, match=r"without a namespace matcher.*OPSBOT_NAMESPACES: shop"):
        scoped.preview_silence(args)
    with pytest.raises(ToolFailure, match="add a namespace matcher"):
        scoped.silence_alert(args, approved_by="U01ALICE")
    assert _silence_ids(scoped) == before


def test_a_silence_in_another_namespace_is_refused(scoped: Monitoring) -> None:
    before = _silence_ids(scoped)
    args = SilenceAlertArgs(alertname="KubePodCrashLooping", matchers={"namespace": "kube-system"})
    with pytest.raises(ToolFailure, match="'kube-system' is outside this opsbot's scope"):
        scoped.silence_alert(args, approved_by="U01ALICE")
    assert _silence_ids(scoped) == before


def test_a_silence_pinned_inside_the_scope_is_created(scoped: Monitoring) -> None:
    before = _silence_ids(scoped)
    args = SilenceAlertArgs(alertname="KubePodCrashLooping", matchers={"namespace": "shop"})
    out = scoped.silence_alert(args, approved_by="U01ALICE")
    silence_id = out.json_data()["changed"]["silence_id"]
    assert _silence_ids(scoped) == {*before, silence_id}
    scoped.expire_silence(silence_id)


def test_without_a_scope_an_unpinned_silence_is_left_to_the_policy(
        alertmanager_url: str) -> None:
    monitoring = _monitoring(alertmanager_url, ())
    preview = monitoring.preview_silence(SilenceAlertArgs(alertname="Watchdog"))
    assert "alertname=Watchdog" in preview
    monitoring.close()
