"""Kubernetes client errors as ToolFailures a person (or the executor) can act on.

The API server explains most refusals in a Status object; its message is kept verbatim
because it names the exact object, verb and permission.
"""

from __future__ import annotations

import json
from typing import Any

import urllib3
from kubernetes.client.exceptions import ApiException

from tools.real.http import HttpFailure, retry_after_seconds

# A 409 is a refused precondition: nothing changed, so even a non-idempotent step may be
# sent again once it has re-read the object. The executor retries only failures that carry
# retry_after when the tool is not idempotent.
CONFLICT_RETRY_AFTER = 1.0


def _status_message(exc: ApiException) -> str:
    try:
        body: Any = json.loads(exc.body or "")
    except ValueError:
        return (exc.body or exc.reason or "").strip()[:300]
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return str(exc.reason or "")


def _header(exc: ApiException, name: str) -> str | None:
    headers = exc.headers or {}
    value = headers.get(name) if hasattr(headers, "get") else None
    return str(value) if value is not None else None


def from_api_exception(exc: ApiException, what: str, host: str) -> HttpFailure:
    status = int(exc.status or 0)
    message = _status_message(exc)
    if status == 0:
        # The client reports TLS and request-building problems with status 0.
        return HttpFailure(f"Kubernetes API at {host} failed while {what}: {message}",
                           status=0)
    if status == 401:
        return HttpFailure(
            f"Kubernetes API at {host} rejected the credentials while {what} "
            "(401 Unauthorized): check KUBECONFIG / the service-account token", status=status)
    if status == 403:
        return HttpFailure(f"forbidden while {what}: {message}", status=status)
    if status == 404:
        return HttpFailure(f"not found while {what}: {message}", status=status)
    if status == 409:
        return HttpFailure(
            f"conflict while {what}: {message} (the object changed since it was read; "
            "running the step again re-reads it)",
            status=status, transient=True, retry_after=CONFLICT_RETRY_AFTER)
    if status == 429 or status >= 500:
        after = retry_after_seconds(_header(exc, "Retry-After"))
        return HttpFailure(f"Kubernetes API failed while {what} ({status}): {message}",
                           status=status, transient=True, retry_after=after)
    return HttpFailure(f"Kubernetes API refused {what} ({status}): {message}", status=status)


def from_transport_error(exc: urllib3.exceptions.HTTPError, what: str, host: str) -> HttpFailure:
    reason = getattr(exc, "reason", None) or exc
    # NewConnectionError subclasses ConnectTimeoutError in urllib3, so test for it first.
    refused = isinstance(exc, urllib3.exceptions.NewConnectionError) or isinstance(
        reason, urllib3.exceptions.NewConnectionError)
    timed_out = isinstance(exc, urllib3.exceptions.TimeoutError) or isinstance(
        reason, urllib3.exceptions.TimeoutError)
    if timed_out and not refused:
        return HttpFailure(f"Kubernetes API at {host} timed out while {what}",
                           status=0, transient=True)
    return HttpFailure(f"Kubernetes API at {host} is unreachable while {what}: {reason}",
                       status=0, transient=True)


def malformed(exc: Exception, what: str, host: str) -> HttpFailure:
    return HttpFailure(f"malformed response from the Kubernetes API at {host} while {what}: "
                       f"{str(exc).splitlines()[0][:200]}", status=0)
