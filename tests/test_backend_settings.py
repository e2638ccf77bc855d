"""Configuring the real backend from environment variables: defaults, and errors that
name the variable to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config.reading import load_config
from assistant.errors import InputError
from tools.real.backend import open_backend
from tools.real.settings import (
    DEFAULT_ERROR_BUDGET_QUERY,
    DEFAULT_SERVICE_LABELS,
    RealSettings,
    real_settings,
)

BASE = {"OPSBOT_ENVIRONMENT": "prod", "PROMETHEUS_URL": "http://prometheus:9090/"}


def settings_from_env(env: dict[str, str]) -> RealSettings:
    return real_settings(load_config(env).tree.kubernetes)


def _error(env: dict[str, str]) -> InputError:
    with pytest.raises(InputError) as failed:
        settings_from_env(env)
    assert failed.value.source == "environment"
    return failed.value


def test_the_minimum_is_an_environment_and_a_prometheus() -> None:
    settings = settings_from_env(BASE)
    assert settings.environment == "prod"
    assert settings.prometheus.url == "http://prometheus:9090"
    assert settings.alertmanager is None
    assert settings.kubernetes.namespaces == ()
    assert settings.kubernetes.service_labels == DEFAULT_SERVICE_LABELS
    assert settings.slo.error_budget == DEFAULT_ERROR_BUDGET_QUERY
    assert settings.silence_author == "opsbot"


def test_every_option_is_read(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\n")
    settings = settings_from_env({
        **BASE,
        "KUBECONFIG": str(kubeconfig),
        "KUBERNETES_SERVICE_HOST": "10.0.0.1",
        "OPSBOT_KUBE_CONTEXT": "prod-eu",
        "OPSBOT_NAMESPACES": "shop, payments,,",
        "OPSBOT_SERVICE_LABELS": "app.kubernetes.io/part-of",
        "PROMETHEUS_TOKEN": "prom-secret",
        "ALERTMANAGER_URL": "https://alertmanager.example:9093",
        "ALERTMANAGER_USERNAME": "ops",
        "ALERTMANAGER_PASSWORD": "am-secret",
        "OPSBOT_HTTP_TIMEOUT": "2.5",
        "OPSBOT_ERROR_BUDGET_QUERY": 'budget{svc="%s"}',
        "OPSBOT_SLO_TARGET_QUERY": 'target{svc="%s"}',
        "OPSBOT_SLO_TARGET": "0.999",
        "OPSBOT_SILENCE_AUTHOR": "opsbot-prod",
    })
    kube = settings.kubernetes
    assert kube.kubeconfig == kubeconfig and not kube.in_cluster  # the file wins
    assert kube.context == "prod-eu" and kube.namespaces == ("shop", "payments")
    assert kube.service_labels == ("app.kubernetes.io/part-of",)
    assert kube.timeout_seconds == settings.prometheus.timeout_seconds == 2.5
    assert settings.prometheus.bearer_token is not None
    assert settings.alertmanager is not None and settings.alertmanager.username == "ops"
    assert (settings.slo.error_budget, settings.slo.slo_target,
            settings.slo.fixed_slo_target) == ('budget{svc="%s"}', 'target{svc="%s"}', 0.999)
    assert settings.silence_author == "opsbot-prod"
    assert "prom-secret" not in repr(settings) and "am-secret" not in repr(settings)


def test_in_cluster_config_is_chosen_inside_a_pod_without_a_kubeconfig() -> None:
    settings = settings_from_env({**BASE, "KUBERNETES_SERVICE_HOST": "10.0.0.1"})
    assert settings.kubernetes.in_cluster


@pytest.mark.parametrize(("env", "field", "words"), [
    ({"PROMETHEUS_URL": "http://p:9090"}, "OPSBOT_ENVIRONMENT", "name the environment"),
    ({"OPSBOT_ENVIRONMENT": "prod"}, "PROMETHEUS_URL", "required"),
    ({**BASE, "PROMETHEUS_URL": "prometheus:9090"}, "PROMETHEUS_URL", "http:// or https://"),
    ({**BASE, "ALERTMANAGER_URL": "ftp://am"}, "ALERTMANAGER_URL", "http:// or https://"),
    ({**BASE, "PROMETHEUS_TOKEN": "t", "PROMETHEUS_USERNAME": "u",
      "PROMETHEUS_PASSWORD": "p"}, "PROMETHEUS_TOKEN", "not both"),
    ({**BASE, "PROMETHEUS_USERNAME": "u"}, "PROMETHEUS_PASSWORD", "both a username"),
    ({**BASE, "PROMETHEUS_CA_FILE": "/no/such/ca.pem"}, "PROMETHEUS_CA_FILE", "no such file"),
    ({**BASE, "KUBECONFIG": "/no/such/kubeconfig"}, "KUBECONFIG", "no such file"),
    ({**BASE, "OPSBOT_HTTP_TIMEOUT": "soon"}, "OPSBOT_HTTP_TIMEOUT", "expected a number"),
    ({**BASE, "OPSBOT_SLO_TARGET": "99.9"}, "OPSBOT_SLO_TARGET", "between 0 and 1"),
    ({**BASE, "OPSBOT_ERROR_BUDGET_QUERY": "slo:budget"}, "OPSBOT_ERROR_BUDGET_QUERY", "%s"),
])
def test_bad_settings_name_the_variable(env: dict[str, str], field: str, words: str) -> None:
    error = _error(env)
    assert error.field == field
    assert words in error.message


def test_in_cluster_config_outside_a_pod_fails_naming_the_variable(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The client reads the service host from os.environ, not from our mapping.
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    with pytest.raises(InputError) as failed:
        open_backend(load_config({**BASE, "KUBERNETES_SERVICE_HOST": "10.0.0.1"}).tree.kubernetes)
    assert failed.value.field == "KUBERNETES_SERVICE_HOST"
    assert "cannot load Kubernetes configuration" in failed.value.message


def test_a_broken_kubeconfig_fails_naming_kubeconfig(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nclusters: []\ncontexts: []\nusers: []\n")
    with pytest.raises(InputError) as failed:
        open_backend(load_config({**BASE, "KUBECONFIG": str(kubeconfig)}).tree.kubernetes)
    assert failed.value.field == "KUBECONFIG"
