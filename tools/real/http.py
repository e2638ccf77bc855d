"""HTTP to Prometheus and Alertmanager: one client per API, every failure a ToolFailure.

The executor retries only failures flagged transient (timeouts, resets, 429, 5xx), so this
is where the line between "try again" and "a person must fix something" is drawn.
"""

from __future__ import annotations

import json
import ssl
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError

from assistant.errors import InputError
from tools.backend import ToolFailure
from tools.real.settings import SOURCE, HttpEndpoint

T = TypeVar("T")

_AUTH_HINT = {
    401: "the credentials were rejected (401 Unauthorized): check {prefix}_TOKEN or "
         "{prefix}_USERNAME/{prefix}_PASSWORD",
    403: "access is forbidden (403 Forbidden): the credentials lack permission",
}


def build_client(endpoint: HttpEndpoint) -> httpx.Client:
    headers = {"Accept": "application/json"}
    auth: httpx.BasicAuth | None = None
    if endpoint.bearer_token is not None:
        headers["Authorization"] = f"Bearer {endpoint.bearer_token.get_secret_value()}"
    elif endpoint.username and endpoint.password is not None:
        auth = httpx.BasicAuth(endpoint.username, endpoint.password.get_secret_value())
    verify: ssl.SSLContext | bool = True
    if endpoint.ca_file is not None:
        try:
            verify = ssl.create_default_context(cafile=str(endpoint.ca_file))
        except (ssl.SSLError, OSError) as exc:
            raise InputError(f"cannot load CA certificates from {endpoint.ca_file}: {exc}",
                             source=SOURCE, field=f"{endpoint.name.upper()}_CA_FILE") from exc
    return httpx.Client(
        base_url=endpoint.url,
        headers=headers,
        auth=auth,
        verify=verify,
        timeout=endpoint.timeout_seconds,
        follow_redirects=False,
    )


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After is either seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _error_text(response: httpx.Response) -> str:
    """The API's own explanation: Prometheus says {"error"}, Alertmanager {"message"} or text."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300]
    if isinstance(body, dict):
        for key in ("error", "message"):
            if isinstance(body.get(key), str):
                return body[key]
    if isinstance(body, str):
        return body
    return json.dumps(body)[:300]


class HttpFailure(ToolFailure):
    """A ToolFailure that carries the HTTP status, for callers that treat one specially."""

    def __init__(self, message: str, *, status: int, transient: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(message, transient=transient, retry_after=retry_after)
        self.status = status


class HttpApi:
    """Requests to one API; returns parsed JSON or raises ToolFailure."""

    def __init__(self, endpoint: HttpEndpoint, client: httpx.Client | None = None) -> None:
        self.endpoint = endpoint
        self._client = client or build_client(endpoint)
        self._prefix = endpoint.name.upper()

    def close(self) -> None:
        self._client.close()

    def request(self, method: str, path: str, *, what: str, **kwargs: Any) -> Any:
        name, url = self.endpoint.name, self.endpoint.url
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise ToolFailure(
                f"{name} at {url} did not answer within {self.endpoint.timeout_seconds:g}s "
                f"while {what}", transient=True) from exc
        except httpx.TransportError as exc:
            raise ToolFailure(f"{name} at {url} is unreachable while {what}: {exc}",
                              transient=True) from exc
        if response.is_success:
            if not response.content:
                return None
            try:
                return response.json()
            except ValueError as exc:
                raise ToolFailure(f"malformed response from {name} while {what}: not JSON "
                                  f"({response.text[:80]!r})") from exc
        raise self._failure(response, what)

    def validated(self, adapter: TypeAdapter[T], body: Any, what: str) -> T:
        """``body`` checked against the shape the API documents, or a ToolFailure."""
        try:
            return adapter.validate_python(body)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ToolFailure(f"malformed response from {self.endpoint.name} while {what}: "
                              f"{where}: {first['msg']}") from exc

    def _failure(self, response: httpx.Response, what: str) -> HttpFailure:
        name, status = self.endpoint.name, response.status_code
        detail = _error_text(response)
        if status in _AUTH_HINT:
            hint = _AUTH_HINT[status].format(prefix=self._prefix)
            return HttpFailure(f"{name} refused {what}: {hint}"
                               + (f" ({detail})" if detail else ""), status=status)
        if status == 429 or status >= 500:
            after = retry_after_seconds(response.headers.get("Retry-After"))
            return HttpFailure(f"{name} failed {what} with {status} {response.reason_phrase}"
                               + (f": {detail}" if detail else ""),
                               status=status, transient=True, retry_after=after)
        if status == 404:
            return HttpFailure(f"{name} has no such endpoint or object while {what} "
                               f"(404 at {response.request.url.path}): {detail}", status=status)
        return HttpFailure(f"{name} rejected {what} ({status}): {detail}", status=status)
