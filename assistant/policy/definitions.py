"""Parse, validate and merge policy documents into one set of located definitions.

Several files merge: sections concatenate in file-name order, and a name (role, user,
group, rule id) defined twice is an error naming both places.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from assistant.errors import InputError
from assistant.policy.guards import Origin
from assistant.policy.schema import (
    ApprovalRule,
    BlastRadiusLimit,
    Concurrency,
    ErrorBudgetRule,
    FreezeWindow,
    Grant,
    Holder,
    PolicyFile,
    RateLimit,
    Role,
)
from assistant.yamlfile import LineMap, load_model, parse_yaml

# Covariant: a located freeze window is a located scoped rule (Located is immutable).
T_co = TypeVar("T_co", covariant=True)

# Rule ids the engine itself uses in reasons; a policy file may not reuse them.
BUILTIN_RULES = frozenset({
    "unknown-tool", "unknown-environment", "no-role", "not-granted", "no-approval-rule",
    "no-approver",
})

_RULE_SECTIONS = (
    "blast_radius", "error_budget", "freeze_windows", "approvals", "rate_limits", "concurrency",
)


@dataclass(frozen=True, slots=True)
class Located(Generic[T_co]):
    item: T_co
    origin: Origin


@dataclass
class Definitions:
    """Everything the policy files say, merged, each item with where it was written."""

    version: str
    environments: dict[str, Origin] = field(default_factory=dict)
    roles: dict[str, Located[Role]] = field(default_factory=dict)
    users: dict[str, Located[Holder]] = field(default_factory=dict)
    groups: dict[str, Located[Holder]] = field(default_factory=dict)
    grants: list[tuple[str, Located[Grant]]] = field(default_factory=list)
    blast_radius: list[Located[BlastRadiusLimit]] = field(default_factory=list)
    error_budget: list[Located[ErrorBudgetRule]] = field(default_factory=list)
    freeze_windows: list[Located[FreezeWindow]] = field(default_factory=list)
    approvals: list[Located[ApprovalRule]] = field(default_factory=list)
    rate_limits: list[Located[RateLimit]] = field(default_factory=list)
    concurrency: list[Located[Concurrency]] = field(default_factory=list)

    @property
    def rule_origins(self) -> list[Origin]:
        """Every rule with an id, in evaluation order."""
        origins = [located.origin for _, located in self.grants]
        for section in _RULE_SECTIONS:
            origins.extend(located.origin for located in getattr(self, section))
        return origins


def policy_version(documents: Sequence[tuple[str, str]]) -> str:
    """Hash of the files' names and contents: the same files give the same version
    wherever the checkout lives."""
    digest = hashlib.sha256()
    for source, text in documents:
        digest.update(source.rsplit("/", 1)[-1].encode())
        digest.update(b"\0")
        digest.update(text.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _declared_names(parsed: Sequence[tuple[str, Any, LineMap]]) -> dict[str, frozenset[str]]:
    """Role and environment names from every file, so references can cross files."""
    roles: set[str] = set()
    environments: set[str] = set()
    for _, data, _ in parsed:
        if not isinstance(data, dict):
            continue
        if isinstance(data.get("roles"), dict):
            roles.update(str(name) for name in data["roles"])
        if isinstance(data.get("environments"), list):
            environments.update(str(name) for name in data["environments"])
    return {"roles": frozenset(roles), "environments": frozenset(environments)}


def _claim(claimed: dict[tuple[str, str], Origin], what: str, name: str, origin: Origin) -> None:
    first = claimed.setdefault((what, name), origin)
    if first is not origin:
        raise InputError(
            f"{what} {name!r} is already defined at {first.source}:{first.line}",
            source=origin.source, line=origin.line,
        )


def _merge_file(defs: Definitions, model: PolicyFile, source: str, lines: LineMap,
                claimed: dict[tuple[str, str], Origin]) -> None:
    def origin(name: str, *path: str | int) -> Origin:
        return Origin(name, source, lines.line_of(path))

    def add_rule(rule_id: str, *path: str | int) -> Origin:
        where = origin(rule_id, *path)
        if rule_id in BUILTIN_RULES:
            raise InputError(f"rule id {rule_id!r} is reserved for the engine's own reasons",
                             source=source, line=where.line)
        _claim(claimed, "rule id", rule_id, where)
        return where

    for index, env in enumerate(model.environments):
        defs.environments.setdefault(env, origin(env, "environments", index))
    for name, role in model.roles.items():
        where = origin(name, "roles", name)
        _claim(claimed, "role", name, where)
        defs.roles[name] = Located(role, where)
        for index, grant in enumerate(role.grants):
            defs.grants.append(
                (name, Located(grant, add_rule(grant.id, "roles", name, "grants", index)))
            )
    for section in ("users", "groups"):
        for name, holder in getattr(model, section).items():
            where = origin(name, section, name)
            _claim(claimed, section[:-1], name, where)
            getattr(defs, section)[name] = Located(holder, where)
    for section in _RULE_SECTIONS:
        for index, rule in enumerate(getattr(model, section)):
            getattr(defs, section).append(Located(rule, add_rule(rule.id, section, index)))


def _check_one_rate_limit_per_environment(defs: Definitions) -> None:
    # The caller counts recent actions for one window per environment, so two windows
    # in one environment could not both be honoured.
    seen: dict[str, Origin] = {}
    for located in defs.rate_limits:
        for env in located.item.environments or sorted(defs.environments):
            if env in seen:
                first = seen[env]
                raise InputError(
                    f"environment {env!r} already has a rate limit ({first.rule} at "
                    f"{first.source}:{first.line}); one window per environment",
                    source=located.origin.source, line=located.origin.line,
                )
            seen[env] = located.origin


def merge_documents(documents: Sequence[tuple[str, str]]) -> Definitions:
    """``documents`` are (source name, YAML text) pairs in merge order."""
    if not documents:
        raise InputError("no policy files given")
    parsed = []
    for source, text in documents:
        data, lines = parse_yaml(text, source)
        if data is None:
            raise InputError("file is empty", source=source)
        parsed.append((source, data, lines))
    context = _declared_names(parsed)
    defs = Definitions(version=policy_version(documents))
    claimed: dict[tuple[str, str], Origin] = {}
    for source, data, lines in parsed:
        model = load_model(PolicyFile, data, source, lines, context=context)
        _merge_file(defs, model, source, lines, claimed)
    if not defs.environments:
        raise InputError("no environments declared (add `environments: [prod, ...]`)",
                         source=documents[0][0])
    _check_one_rate_limit_per_environment(defs)
    return defs
