"""The policy file format (`policies/*.yaml`) as pydantic models.

Names that point elsewhere (roles, environments) may be defined in another file, so the
loader passes every file's declared names in the validation context; an unknown name then
fails validation at its own location and the error names file and line.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from assistant.models import ToolClass
from tools.catalog import CATALOG

TOOL_CLASSES = frozenset(c.value for c in ToolClass)
MUTATING_CLASSES = (ToolClass.REMEDIATION.value, ToolClass.CHANGE.value)

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKLY_TIME = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)\s+(\d{1,2}):(\d{2})$")
_RULE_ID = r"^[a-z0-9][a-z0-9._-]*$"
_NAMESPACE = re.compile(r"^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# Durations are added to and subtracted from clock times (approval expiry, rate windows),
# which overflow past year 9999; ten years is longer than any TTL or window means.
MAX_DURATION_DAYS = 3650


def parse_duration(value: Any) -> timedelta:
    """'15m', '1h30m', '2d' or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    else:
        match = _DURATION.match(str(value).strip())
        if not match or not any(match.groups()):
            raise ValueError(f"expected a duration such as 15m, 1h or 2d, got {value!r}")
        days, hours, minutes, secs = (int(g or 0) for g in match.groups())
        seconds = ((days * 24 + hours) * 60 + minutes) * 60 + secs
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    if seconds > MAX_DURATION_DAYS * 86400:
        raise ValueError(f"a duration must be at most {MAX_DURATION_DAYS}d, got {value!r}")
    return timedelta(seconds=seconds)


RuleId = Annotated[str, Field(pattern=_RULE_ID, max_length=100)]
Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def _known(key: str, what: str) -> AfterValidator:
    """A name declared somewhere in the policy files (passed in the validation context)."""

    def check(value: str, info: ValidationInfo) -> str:
        known = info.context.get(key) if info.context else None
        if known is not None and value not in known:
            raise ValueError(f"unknown {what} {value!r}; known: {', '.join(sorted(known))}")
        return value

    return AfterValidator(check)


def _known_tool(value: str) -> str:
    if value not in CATALOG and value not in TOOL_CLASSES:
        raise ValueError(
            f"unknown tool or tool class {value!r}; classes: "
            f"{', '.join(sorted(TOOL_CLASSES))}; tools: {', '.join(sorted(CATALOG))}"
        )
    return value


def _namespace_name(value: str) -> str:
    # A name that no namespace can have would silently never match; "*" in particular is
    # how a blast radius says "every namespace", which already touches each listed one.
    if not _NAMESPACE.match(value):
        raise ValueError(
            f"{value!r} is not a Kubernetes namespace name (lowercase letters, digits and '-', "
            "at most 63); list each namespace by name, no patterns"
        )
    return value


Tools = list[Annotated[str, AfterValidator(_known_tool)]]
Roles = list[Annotated[str, _known("roles", "role")]]
Environments = list[Annotated[str, _known("environments", "environment")]]


def _mutating() -> list[str]:
    return list(MUTATING_CLASSES)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Scoped(Strict):
    """A rule that applies to some environments (all when omitted)."""

    id: RuleId
    environments: Environments | None = None


class ToolScoped(Scoped):
    """A guard that applies to some tools; mutating tools when omitted."""

    tools: Tools = Field(default_factory=_mutating)


class Grant(Scoped):
    """What a role may request and approve in some environments."""

    request: Tools = Field(default_factory=list)
    approve: Tools = Field(default_factory=list)


class Role(Strict):
    description: str = ""
    grants: list[Grant] = Field(default_factory=list)


class Holder(Strict):
    """A chat user or chat user group and the roles it holds."""

    name: str | None = None
    roles: Roles


class BlastRadiusLimit(ToolScoped):
    # Only calls on workloads of these kinds (the blast radius names the kind); all when
    # omitted.
    kinds: list[Literal["Deployment", "StatefulSet", "DaemonSet"]] | None = None
    max_pods: int | None = Field(None, ge=0)
    max_replica_change: int | None = Field(None, ge=0)
    max_replica_factor: float | None = Field(None, ge=1.0)
    max_service_fraction: float | None = Field(None, ge=0.0, le=1.0)
    forbidden_namespaces: list[Annotated[str, AfterValidator(_namespace_name)]] = Field(
        default_factory=list)


class ErrorBudgetRule(Scoped):
    """Below ``below`` remaining budget, ``frozen`` tools are denied except ``allowed`` ones."""

    below: float = Field(ge=-1.0, le=1.0)
    frozen: Tools
    allowed: Tools = Field(default_factory=list)
    max_age: Duration | None = None
    when_unknown: Literal["freeze", "allow"] = "freeze"


class WeeklyRange(Strict):
    start: str = Field(alias="from")
    end: str = Field(alias="to")

    @field_validator("start", "end")
    @classmethod
    def _weekly_time(cls, v: str) -> str:
        value = " ".join(v.lower().split())
        match = _WEEKLY_TIME.match(value)
        if not match or int(match.group(2)) > 23 or int(match.group(3)) > 59:
            raise ValueError(f"expected a weekday and time such as 'fri 16:00', got {v!r}")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> WeeklyRange:
        if self.start == self.end:
            raise ValueError("a weekly window needs `from` and `to` to differ")
        return self

    def minutes_of_week(self) -> tuple[int, int]:
        return _minute_of_week(self.start), _minute_of_week(self.end)


def _minute_of_week(value: str) -> int:
    match = _WEEKLY_TIME.match(value)
    if match is None:
        raise ValueError(f"not a weekly time: {value!r}")
    day = _WEEKDAYS.index(match.group(1))
    return (day * 24 + int(match.group(2))) * 60 + int(match.group(3))


class FreezeWindow(ToolScoped):
    """A change freeze: a dated range or a weekly range, in local time of ``timezone``.

    ``from`` is inclusive and ``to`` exclusive; a bare date means midnight at its start.
    """

    enabled: bool = True
    timezone: str
    start: datetime | None = Field(None, alias="from")
    end: datetime | None = Field(None, alias="to")
    weekly: WeeklyRange | None = None
    break_glass_roles: Roles = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: name too long
            raise ValueError(
                f"unknown time zone {v!r} (use an IANA name such as Europe/Berlin)"
            ) from exc
        return v

    @field_validator("start", "end")
    @classmethod
    def _local_time(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is not None:
            raise ValueError("give local time without an offset; `timezone` says which zone")
        return v

    @model_validator(mode="after")
    def _one_kind(self) -> FreezeWindow:
        dated = self.start is not None or self.end is not None
        if dated == (self.weekly is not None):
            raise ValueError("a freeze window needs either `from` and `to`, or `weekly`")
        if dated and (self.start is None or self.end is None or self.end <= self.start):
            raise ValueError("a dated freeze window needs `from` before `to`")
        return self


class ApprovalRule(Scoped):
    """How many approvers a matching call needs; the first matching rule applies."""

    tools: Tools = Field(default_factory=_mutating)
    approvers: int = Field(1, ge=1, le=10)
    from_roles: Roles | None = None
    requester_may_approve: bool = False
    ttl: Duration


class RateLimit(ToolScoped):
    """At most ``max_actions`` mutating actions per service within ``window``."""

    max_actions: int = Field(ge=1)
    window: Duration


class Concurrency(ToolScoped):
    """At most one in-flight mutating action per resource."""


class PolicyFile(Strict):
    """One `policies/*.yaml` file; every section is optional because files merge."""

    environments: list[str] = Field(default_factory=list)
    roles: dict[str, Role] = Field(default_factory=dict)
    users: dict[str, Holder] = Field(default_factory=dict)
    groups: dict[str, Holder] = Field(default_factory=dict)
    blast_radius: list[BlastRadiusLimit] = Field(default_factory=list)
    error_budget: list[ErrorBudgetRule] = Field(default_factory=list)
    freeze_windows: list[FreezeWindow] = Field(default_factory=list)
    approvals: list[ApprovalRule] = Field(default_factory=list)
    rate_limits: list[RateLimit] = Field(default_factory=list)
    concurrency: list[Concurrency] = Field(default_factory=list)
