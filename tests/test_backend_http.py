"""How Prometheus and Alertmanager answers become ToolFailures (transient or not), and
how credentials are sent. httpx's MockTransport plays the server's part."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from assistant.errors import InputError
from tools.alertmanager.client import AlertmanagerClient
from tools.backend import ToolFailure
from tools.prometheus.client import PrometheusClient
from tools.real.http import HttpApi, build_client, retry_after_seconds
from tools.real.settings import HttpEndpoint

Handler = Callable[[httpx.Request], httpx.Response]


def _endpoint(**extra: object) -> HttpEndpoint:
    return HttpEndpoint(name="Prometheus", url="http://prometheus.test:9090", **extra)


def _api(handler: Handler, **extra: object) -> HttpApi:
    endpoint = _endpoint(**extra)
    real = build_client(endpoint)  # what would be sent: headers and auth
    client = httpx.Client(base_url=endpoint.url, transport=httpx.MockTransport(handler),
                          headers=real.headers, auth=real.auth)
    return HttpApi(endpoint, client)


def _failure(handler: Handler) -> ToolFailure:
    with pytest.raises(ToolFailure) as failed:
        PrometheusClient(_api(handler)).instant("up", datetime.now(UTC))
    return failed.value


def test_throttling_is_transient_and_carries_retry_after() -> None:
    failure = _failure(lambda r: httpx.Response(429, headers={"Retry-After": "7"},
                                                json={"status": "error", "error": "slow down"}))
    assert failure.transient and failure.retry_after == 7.0
    assert "429" in str(failure) and "slow down" in str(failure)


def test_server_errors_are_transient_without_a_retry_after() -> None:
    failure = _failure(lambda r: httpx.Response(503, text="overloaded"))
    assert failure.transient and failure.retry_after is None
    assert "503 Service Unavailable: overloaded" in str(failure)


@pytest.mark.parametrize(("status", "words"), [
    (401, "credentials were rejected (401 Unauthorized): check PROMETHEUS_TOKEN"),
    (403, "access is forbidden (403 Forbidden)"),
    (404, "404 at /api/v1/query"),
    (422, "rejected evaluating 'up' (422): boom"),
])
def test_client_errors_are_permanent_and_say_what_to_fix(status: int, words: str) -> None:
    failure = _failure(lambda r: httpx.Response(status, json={"status": "error",
                                                              "error": "boom"}))
    assert not failure.transient
    assert words in str(failure)


@pytest.mark.parametrize(("body", "words"), [
    (b"<html>proxy login</html>", "not JSON"),
    (b'{"status": "success", "data": {"resultType": "vector", "result": [{"value": 1}]}}',
     "malformed response from Prometheus"),
    (b'{"status": "success", "data": {"resultType": "nonsense"}}',
     "malformed response from Prometheus"),
])
def test_malformed_answers_are_permanent_failures(body: bytes, words: str) -> None:
    failure = _failure(lambda r: httpx.Response(200, content=body))
    assert not failure.transient
    assert words in str(failure)


def test_a_timeout_is_transient_and_names_the_limit() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    failure = _failure(slow)
    assert failure.transient
    assert "did not answer within 10s" in str(failure)


def test_a_connection_reset_is_transient() -> None:
    def reset(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset by peer", request=request)

    failure = _failure(reset)
    assert failure.transient and "unreachable" in str(failure)


def test_bearer_token_and_basic_auth_are_sent() -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"status": "success",
                                         "data": {"resultType": "vector", "result": []}})

    now = datetime.now(UTC)
    PrometheusClient(_api(record, bearer_token="t0ken")).instant("up", now)
    PrometheusClient(_api(record, username="ops", password="pw")).instant("up", now)
    assert seen[0].headers["Authorization"] == "Bearer t0ken"
    assert seen[1].headers["Authorization"] == "Basic " + base64.b64encode(b"ops:pw").decode()


def test_an_unreadable_ca_file_is_a_configuration_error_naming_the_variable(
        tmp_path: Path) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate")
    with pytest.raises(InputError) as failed:
        build_client(_endpoint(ca_file=bogus))
    assert failed.value.field == "PROMETHEUS_CA_FILE"


def test_alertmanager_errors_name_alertmanager_and_its_message() -> None:
    endpoint = HttpEndpoint(name="Alertmanager", url="http://alertmanager.test:9093")
    transport = httpx.MockTransport(lambda r: httpx.Response(
        400, json={"code": 400, "message": "start time must be before end time"}))
    api = HttpApi(endpoint, httpx.Client(base_url=endpoint.url, transport=transport))
    now = datetime.now(UTC)
    with pytest.raises(ToolFailure) as failed:
        AlertmanagerClient(api).create_silence({"alertname": "X"}, starts_at=now, ends_at=now,
                                               created_by="U01ALICE", comment="")
    assert str(failed.value) == ("Alertmanager rejected creating a silence (400): "
                                 "start time must be before end time")


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
