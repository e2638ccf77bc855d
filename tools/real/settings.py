"""Settings of the real backend, read once from environment variables.

Every problem is an InputError naming the variable, so a misconfigured deployment says
exactly which setting to fix instead of failing on the first tool call.

Variables:
  OPSBOT_ENVIRONMENT           required: the environment the policies apply to (e.g. prod)
  KUBECONFIG                   kubeconfig file; without it, in-cluster config when
                               KUBERNETES_SERVICE_HOST is set, else ~/.kube/config
  OPSBOT_KUBE_CONTEXT          kubeconfig context (default: the current one)
  OPSBOT_NAMESPACES            comma-separated namespaces to see and act in (default: all);
                               silences must then carry a namespace matcher among them
  OPSBOT_SERVICE_LABELS        pod-template labels naming a deployment's service, first
                               present wins (default: app.kubernetes.io/name,app)
  PROMETHEUS_URL               required
  ALERTMANAGER_URL             optional; without it alerts come from Prometheus and
                               silences are unavailable
  <PROMETHEUS|ALERTMANAGER>_TOKEN, _USERNAME + _PASSWORD, _CA_FILE   auth and TLS
  OPSBOT_HTTP_TIMEOUT          seconds per request, every API (default 10)
  OPSBOT_ERROR_BUDGET_QUERY    PromQL, %s = service
                               (default slo:error_budget_remaining:ratio{service="%s"})
  OPSBOT_SLO_TARGET_QUERY      PromQL, %s = service (default slo:objective:ratio{service="%s"})
  OPSBOT_SLO_TARGET            fixed SLO target when the target query has no sample
  OPSBOT_SILENCE_AUTHOR        createdBy of silences when no approver is passed (opsbot)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr

from assistant.errors import InputError

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


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _float(env: Mapping[str, str], name: str, *, low: float, high: float) -> float | None:
    raw = _get(env, name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"expected a number, got {raw!r}", source=SOURCE, field=name) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise InputError(f"must be between {low:g} and {high:g}, got {raw}",
                         source=SOURCE, field=name)
    return value


def _url(env: Mapping[str, str], name: str) -> str | None:
    raw = _get(env, name)
    if raw is None:
        return None
    try:
        url = httpx.URL(raw)
    except httpx.InvalidURL as exc:
        raise InputError(f"not a URL: {exc}", source=SOURCE, field=name) from None
    if url.scheme not in ("http", "https") or not url.host:
        raise InputError(f"expected an http:// or https:// URL, got {raw!r}",
                         source=SOURCE, field=name)
    return raw.rstrip("/")


def _file(env: Mapping[str, str], name: str) -> Path | None:
    raw = _get(env, name)
    if raw is None:
        return None
    path = Path(raw).expanduser()
    if not path.is_file():
        raise InputError(f"no such file: {path}", source=SOURCE, field=name)
    return path


def _endpoint(env: Mapping[str, str], prefix: str, name: str,
              timeout: float) -> HttpEndpoint | None:
    url = _url(env, f"{prefix}_URL")
    if url is None:
        return None
    token = _get(env, f"{prefix}_TOKEN")
    username = _get(env, f"{prefix}_USERNAME")
    password = _get(env, f"{prefix}_PASSWORD")
    if token and (username or password):
        raise InputError("set either a bearer token or a username and password, not both",
                         source=SOURCE, field=f"{prefix}_TOKEN")
    if bool(username) != bool(password):
        missing = f"{prefix}_PASSWORD" if username else f"{prefix}_USERNAME"
        raise InputError("basic auth needs both a username and a password",
                         source=SOURCE, field=missing)
    return HttpEndpoint(
        name=name,
        url=url,
        bearer_token=SecretStr(token) if token else None,
        username=username,
        password=SecretStr(password) if password else None,
        ca_file=_file(env, f"{prefix}_CA_FILE"),
        timeout_seconds=timeout,
    )


def _template(env: Mapping[str, str], name: str, default: str) -> str:
    value = _get(env, name)
    if value is None:
        return default
    if SERVICE_PLACEHOLDER not in value:
        raise InputError(f"the query must contain {SERVICE_PLACEHOLDER} where the service "
                         f"name goes, got {value!r}", source=SOURCE, field=name)
    return value


def _names(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = _get(env, name)
    if raw is None:
        return default
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def settings_from_env(env: Mapping[str, str]) -> RealSettings:
    """The real backend's settings (the variables are listed at the top of this module)."""
    environment = _get(env, "OPSBOT_ENVIRONMENT")
    if environment is None:
        # Policies are per environment; guessing one could apply the wrong rules.
        raise InputError("name the environment the policies apply to (e.g. prod)",
                         source=SOURCE, field="OPSBOT_ENVIRONMENT")
    timeout = _float(env, "OPSBOT_HTTP_TIMEOUT", low=0.1, high=300) or DEFAULT_TIMEOUT_SECONDS
    prometheus = _endpoint(env, "PROMETHEUS", "Prometheus", timeout)
    if prometheus is None:
        raise InputError("the Prometheus URL is required for metrics and error budgets",
                         source=SOURCE, field="PROMETHEUS_URL")
    kubeconfig = _file(env, "KUBECONFIG")
    in_cluster = kubeconfig is None and _get(env, "KUBERNETES_SERVICE_HOST") is not None
    return RealSettings(
        environment=environment,
        kubernetes=KubernetesSettings(
            kubeconfig=kubeconfig,
            context=_get(env, "OPSBOT_KUBE_CONTEXT"),
            in_cluster=in_cluster,
            namespaces=_names(env, "OPSBOT_NAMESPACES", ()),
            service_labels=_names(env, "OPSBOT_SERVICE_LABELS", DEFAULT_SERVICE_LABELS),
            timeout_seconds=timeout,
        ),
        prometheus=prometheus,
        alertmanager=_endpoint(env, "ALERTMANAGER", "Alertmanager", timeout),
        slo=SloQueries(
            error_budget=_template(env, "OPSBOT_ERROR_BUDGET_QUERY", DEFAULT_ERROR_BUDGET_QUERY),
            slo_target=_template(env, "OPSBOT_SLO_TARGET_QUERY", DEFAULT_SLO_TARGET_QUERY),
            fixed_slo_target=_float(env, "OPSBOT_SLO_TARGET", low=0.0, high=1.0),
        ),
        silence_author=_get(env, "OPSBOT_SILENCE_AUTHOR") or "opsbot",
    )
