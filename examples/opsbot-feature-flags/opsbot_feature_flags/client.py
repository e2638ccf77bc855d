"""The flag service's HTTP API, as this plugin uses it.

    GET /flags/{key}  -> {"key": ..., "enabled": bool, "service": ...}
    PUT /flags/{key}     {"enabled": bool, "changed_by": ...} -> the flag after the change

Transport errors and 5xx answers are transient (the executor may retry an idempotent
call); anything else is a plain failure that names the flag and the service URL.
"""

from __future__ import annotations

import httpx
from pydantic import BaseModel, ValidationError

from tools.backend import ToolFailure

TIMEOUT_SECONDS = 5.0


class Flag(BaseModel):
    key: str
    enabled: bool
    service: str | None = None


class FlagService:
    def __init__(self, base_url: str, timeout: float = TIMEOUT_SECONDS) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout

    def get(self, key: str) -> Flag:
        return self._send("GET", key)

    def set(self, key: str, enabled: bool, changed_by: str) -> Flag:
        return self._send("PUT", key, {"enabled": enabled, "changed_by": changed_by})

    def _send(self, method: str, key: str, body: dict[str, object] | None = None) -> Flag:
        url = f"{self.base_url}/flags/{key}"
        try:
            response = httpx.request(method, url, json=body, timeout=self._timeout)
        except httpx.TransportError as exc:
            raise ToolFailure(f"flag service {self.base_url} unreachable: {exc}",
                              transient=True) from exc
        if response.status_code == 404:
            raise ToolFailure(f"flag {key!r} does not exist in {self.base_url}")
        if response.status_code >= 400:
            raise ToolFailure(f"flag service {self.base_url} answered {response.status_code} "
                              f"to {method} {key}: {response.text[:200]}",
                              transient=response.status_code >= 500)
        try:
            return Flag.model_validate_json(response.content)
        except ValidationError as exc:
            raise ToolFailure(f"flag service {self.base_url} sent an unexpected answer for "
                              f"{key}: {exc}") from exc
