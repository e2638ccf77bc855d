"""Alertmanager API v2: alerts with their silenced state, and silences.

Matchers opsbot writes are exact label equality only: a regex silence is too easy to make
wider than the approver meant.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from tools.backend import ToolFailure
from tools.real.http import HttpApi, HttpFailure


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class AlertStatus(_Loose):
    state: Literal["active", "suppressed", "unprocessed"]
    silenced_by: list[str] = Field(default_factory=list, alias="silencedBy")
    inhibited_by: list[str] = Field(default_factory=list, alias="inhibitedBy")


class Alert(_Loose):
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: datetime = Field(alias="startsAt")
    ends_at: datetime | None = Field(None, alias="endsAt")
    fingerprint: str
    status: AlertStatus

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")


class Matcher(_Loose):
    name: str
    value: str
    is_regex: bool = Field(False, alias="isRegex")
    is_equal: bool = Field(True, alias="isEqual")

    def render(self) -> str:
        op = ("=~" if self.is_regex else "=") if self.is_equal else ("!~" if self.is_regex
                                                                      else "!=")
        return f"{self.name}{op}{self.value}"


class SilenceStatus(_Loose):
    state: Literal["active", "pending", "expired"]


class Silence(_Loose):
    id: str
    status: SilenceStatus
    matchers: list[Matcher]
    starts_at: datetime = Field(alias="startsAt")
    ends_at: datetime = Field(alias="endsAt")
    created_by: str = Field(alias="createdBy")
    comment: str = ""


class _Created(_Loose):
    silence_id: str = Field(alias="silenceID")


_ALERTS = TypeAdapter(list[Alert])
_SILENCES = TypeAdapter(list[Silence])
_SILENCE = TypeAdapter(Silence)
_CREATED = TypeAdapter(_Created)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class AlertmanagerClient:
    def __init__(self, api: HttpApi) -> None:
        self._api = api

    def close(self) -> None:
        self._api.close()

    def alerts(self) -> list[Alert]:
        """Every alert Alertmanager holds: active, silenced and inhibited alike."""
        what = "listing alerts"
        body = self._api.request("GET", "/api/v2/alerts", what=what, params={
            "active": "true", "silenced": "true", "inhibited": "true", "unprocessed": "true",
        })
        return self._api.validated(_ALERTS, body, what)

    def silences(self) -> list[Silence]:
        what = "listing silences"
        body = self._api.request("GET", "/api/v2/silences", what=what)
        return self._api.validated(_SILENCES, body, what)

    def silence(self, silence_id: str) -> Silence:
        what = f"reading silence {silence_id}"
        try:
            body = self._api.request("GET", f"/api/v2/silence/{silence_id}", what=what)
        except HttpFailure as exc:
            # 422: Alertmanager refuses ids that are not UUIDs before looking them up.
            if exc.status in (404, 422):
                raise ToolFailure(f"silence {silence_id} not found in Alertmanager") from exc
            raise
        return self._api.validated(_SILENCE, body, what)

    def create_silence(self, matchers: Mapping[str, str], *, starts_at: datetime,
                       ends_at: datetime, created_by: str, comment: str) -> str:
        """Exact-match silence; returns its id."""
        if not matchers:
            raise ToolFailure("a silence needs at least one matcher")
        what = "creating a silence"
        body = self._api.request("POST", "/api/v2/silences", what=what, json={
            "matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True}
                         for k, v in sorted(matchers.items())],
            "startsAt": _iso(starts_at),
            "endsAt": _iso(ends_at),
            "createdBy": created_by,
            "comment": comment,
        })
        return self._api.validated(_CREATED, body, what).silence_id

    def expire_silence(self, silence_id: str) -> Silence:
        """Ends the silence now; returns it as it was. Expiring an expired one is a no-op."""
        current = self.silence(silence_id)
        if current.status.state != "expired":
            self._api.request("DELETE", f"/api/v2/silence/{silence_id}",
                              what=f"expiring silence {silence_id}")
        return current
