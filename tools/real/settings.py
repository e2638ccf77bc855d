"""Settings of the real backend (OPSBOT_BACKEND=kubernetes).

``KubernetesBackendConfig`` is the section of the configuration tree (assistant/config/
tree.py) that holds the variables, each checked as it is read; ``real_settings`` turns it
into the structure the backend is built from, with the checks that span several variables.
Every problem is an InputError naming the variable, so a misconfigured deployment says
exactly which setting to fix instead of failing on the first tool call.
"""

from __future__ import annotations

import math
from pathlib import Path

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

from assistant.errors import InputError
from assistant.setting import setting

SOURCE = "environment"
SERVICE_PLACEHOLDER = "%s"
DEFAULT_ERROR_BUDGET_QUERY = 'slo:error_budget_remaining:ratio{service="%s"}'
DEFAULT_SLO_TARGET_QUERY = 'slo:objective:ratio{service="%s"}'
DEFAULT_SERVICE_LABELS = ("app.kubernetes.io/name", "app")
DEFAULT_TIMEOUT_SECONDS = 10.0


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HttpEndpoint(Frozen):
    """One HTTP API (Prometheus or Alertmanager) and how to authenticate to it."""

    name: str  # for messages: "Prometheus", "Alertmanager"
    url: str
    bearer_token: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    ca_file: Path | None = None
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS


class KubernetesSettings(Frozen):
    kubeconfig: Path | None = None  # None with in_cluster False: the client's default file
    context: str | None = None
    in_cluster: bool = False
    namespaces: tuple[str, ...] = ()  # empty: every namespace the credentials can list
    service_labels: tuple[str, ...] = DEFAULT_SERVICE_LABELS
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS


class SloQueries(Frozen):
    """PromQL templates; ``%s`` is replaced by the service name."""

    error_budget: str = DEFAULT_ERROR_BUDGET_QUERY
    slo_target: str = DEFAULT_SLO_TARGET_QUERY
    fixed_slo_target: float | None = None  # used when the target query has no sample


class RealSettings(Frozen):
    environment: str
    kubernetes: KubernetesSettings
    prometheus: HttpEndpoint
    alertmanager: HttpEndpoint | None = None
    slo: SloQueries = SloQueries()
    silence_author: str = "opsbot"


class KubernetesBackendConfig(Frozen):
    """The real backend's variables, as read; ``real_settings`` checks them together."""

    environment: str | None = setting(
        None, "OPSBOT_ENVIRONMENT", "required: the environment the policies apply to (prod)")
    kubeconfig: Path | None = setting(
        None, "KUBECONFIG", "kubeconfig file; without it, in-cluster config inside a pod, "
        "else ~/.kube/config")
    service_host: str | None = setting(
        None, "KUBERNETES_SERVICE_HOST", "set by Kubernetes inside a pod: selects in-cluster "
        "config when no kubeconfig is given")
    context: str | None = setting(None, "OPSBOT_KUBE_CONTEXT",
                                  "kubeconfig context (default: the current one)")
    namespaces: tuple[str, ...] = setting(
        (), "OPSBOT_NAMESPACES", "namespaces to see and act in (default: all); silences must "
        "then carry a namespace matcher among them", split=",")
    service_labels: tuple[str, ...] = setting(
        DEFAULT_SERVICE_LABELS, "OPSBOT_SERVICE_LABELS",
        "pod-template labels naming a deployment's service, first present wins", split=",")
    http_timeout_seconds: float = setting(DEFAULT_TIMEOUT_SECONDS, "OPSBOT_HTTP_TIMEOUT",
                                          "seconds per request, every API", ge=0.1, le=300)
    error_budget_query: str = setting(DEFAULT_ERROR_BUDGET_QUERY, "OPSBOT_ERROR_BUDGET_QUERY",
                                      "PromQL, %s = service")
    slo_target_query: str = setting(DEFAULT_SLO_TARGET_QUERY, "OPSBOT_SLO_TARGET_QUERY",
                                    "PromQL, %s = service")
    slo_target: float | None = setting(
        None, "OPSBOT_SLO_TARGET", "fixed SLO target when the target query has no sample")
    silence_author: str = setting("opsbot", "OPSBOT_SILENCE_AUTHOR",
                                  "createdBy of silences when no approver is passed")
    prometheus_url: str | None = setting(None, "PROMETHEUS_URL", "required: Prometheus")
    prometheus_token: SecretStr | None = setting(None, "PROMETHEUS_TOKEN", "bearer token")
    prometheus_username: str | None = setting(None, "PROMETHEUS_USERNAME", "basic auth user")
    prometheus_password: SecretStr | None = setting(None, "PROMETHEUS_PASSWORD",
                                                    "basic auth password")
    prometheus_ca_file: Path | None = setting(None, "PROMETHEUS_CA_FILE", "CA bundle (PEM)")
    alertmanager_url: str | None = setting(
        None, "ALERTMANAGER_URL", "without it alerts come from Prometheus and silences are "
        "unavailable")
    alertmanager_token: SecretStr | None = setting(None, "ALERTMANAGER_TOKEN", "bearer token")
    alertmanager_username: str | None = setting(None, "ALERTMANAGER_USERNAME",
                                                "basic auth user")
    alertmanager_password: SecretStr | None = setting(None, "ALERTMANAGER_PASSWORD",
                                                      "basic auth password")
    alertmanager_ca_file: Path | None = setting(None, "ALERTMANAGER_CA_FILE",
                                                "CA bundle (PEM)")

    @field_validator("prometheus_url", "alertmanager_url")
    @classmethod
    def _http_url(cls, raw: str | None) -> str | None:
        if raw is None:
            return None
        try:
            url = httpx.URL(raw)
        except httpx.InvalidURL as exc:
            raise ValueError(f"not a URL: {exc}") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"expected an http:// or https:// URL, got {raw!r}")
        return raw.rstrip("/")

    @field_validator("kubeconfig", "prometheus_ca_file", "alertmanager_ca_file")
    @classmethod
    def _existing_file(cls, path: Path | None) -> Path | None:
        if path is None:
            return None
        path = path.expanduser()
        if not path.is_file():
            raise ValueError(f"no such file: {path}")
        return path

    @field_validator("error_budget_query", "slo_target_query")
    @classmethod
    def _template(cls, value: str) -> str:
        if SERVICE_PLACEHOLDER not in value:
            raise ValueError(f"the query must contain {SERVICE_PLACEHOLDER} where the service "
                             f"name goes, got {value!r}")
        return value

    @field_validator("slo_target")
    @classmethod
    def _ratio(cls, value: float | None) -> float | None:
        if value is not None and not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise ValueError(f"must be between 0 and 1, got {value:g}")
        return value


def _endpoint(config: KubernetesBackendConfig, prefix: str, name: str) -> HttpEndpoint | None:
    low = prefix.lower()
    url: str | None = getattr(config, f"{low}_url")
    if url is None:
        return None
    token: SecretStr | None = getattr(config, f"{low}_token")
    username: str | None = getattr(config, f"{low}_username")
    password: SecretStr | None = getattr(config, f"{low}_password")
    if token and (username or password):
        raise InputError("set either a bearer token or a username and password, not both",
                         source=SOURCE, field=f"{prefix}_TOKEN")
    if bool(username) != bool(password):
        missing = f"{prefix}_PASSWORD" if username else f"{prefix}_USERNAME"
        raise InputError("basic auth needs both a username and a password",
                         source=SOURCE, field=missing)
    return HttpEndpoint(name=name, url=url, bearer_token=token, username=username,
                        password=password, ca_file=getattr(config, f"{low}_ca_file"),
                        timeout_seconds=config.http_timeout_seconds)


def real_settings(config: KubernetesBackendConfig) -> RealSettings:
    """The real backend's settings, once the variables that must be set are."""
    if config.environment is None:
        # Policies are per environment; guessing one could apply the wrong rules.
        raise InputError("name the environment the policies apply to (e.g. prod)",
                         source=SOURCE, field="OPSBOT_ENVIRONMENT")
    prometheus = _endpoint(config, "PROMETHEUS", "Prometheus")
    if prometheus is None:
        raise InputError("the Prometheus URL is required for metrics and error budgets",
                         source=SOURCE, field="PROMETHEUS_URL")
    return RealSettings(
        environment=config.environment,
        kubernetes=KubernetesSettings(
            kubeconfig=config.kubeconfig,
            context=config.context,
            in_cluster=config.kubeconfig is None and config.service_host is not None,
            namespaces=config.namespaces,
            service_labels=config.service_labels,
            timeout_seconds=config.http_timeout_seconds,
        ),
        prometheus=prometheus,
        alertmanager=_endpoint(config, "ALERTMANAGER", "Alertmanager"),
        slo=SloQueries(error_budget=config.error_budget_query,
                       slo_target=config.slo_target_query,
                       fixed_slo_target=config.slo_target),
        silence_author=config.silence_author,
    )
