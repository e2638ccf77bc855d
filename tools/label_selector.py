"""Kubernetes label selectors (``app=api,tier!=db,env in (prod,stage),!canary``): parsed
to check a tool's argument before any API call, and matched where there is no API server
to do it (the sandbox). Pure.

The grammar is the API server's (k8s.io/apimachinery labels.Parse): equality ``=``/``==``,
inequality ``!=``, set ``in``/``notin`` and existence ``key``/``!key``, terms joined by
commas (commas inside a set's parentheses belong to the set).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# A label key: an optional DNS-subdomain prefix and a name of up to 63 characters.
_KEY = (r"(?:[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?/)?"
        r"[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
_VALUE = r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?"
_EQUALITY = re.compile(rf"\s*({_KEY})\s*(==|=|!=)\s*({_VALUE})\s*")
_SET = re.compile(rf"\s*({_KEY})\s+(in|notin)\s*\(([^()]*)\)\s*")
_EXISTS = re.compile(rf"\s*(!?)\s*({_KEY})\s*")
_VALUE_ONLY = re.compile(_VALUE)
MAX_LENGTH = 1024


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str  # "=", "!=", "in", "notin", "exists", "!"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.key)
        match self.operator:
            case "=" | "in":
                return value in self.values
            case "!=" | "notin":
                return value not in self.values
            case "exists":
                return value is not None
        return value is None


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[Requirement, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(r.matches(labels) for r in self.requirements)


def _terms(text: str) -> list[str]:
    """Split at the commas outside parentheses."""
    terms, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _requirement(term: str, text: str) -> Requirement:
    if m := _SET.fullmatch(term):
        values = [v.strip() for v in m[3].split(",")]
        if not all(_VALUE_ONLY.fullmatch(v) for v in values):
            raise ValueError(f"label selector {text!r}: bad value in {term.strip()!r}")
        return Requirement(m[1], m[2], frozenset(values))
    if m := _EQUALITY.fullmatch(term):
        operator = "!=" if m[2] == "!=" else "="
        return Requirement(m[1], operator, frozenset({m[3]}))
    if m := _EXISTS.fullmatch(term):
        return Requirement(m[2], "!" if m[1] else "exists")
    raise ValueError(
        f"label selector {text!r}: cannot parse {term.strip()!r}; terms are key=value, "
        "key!=value, key in (a,b), key notin (a,b), key or !key, joined by commas")


def parse_label_selector(text: str) -> LabelSelector:
    """Parse ``text``; ValueError names the term that is not a requirement."""
    if not text.strip():
        raise ValueError("label selector is empty: it would select every pod")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"label selector is {len(text)} characters; at most {MAX_LENGTH}")
    return LabelSelector(tuple(_requirement(t, text) for t in _terms(text)))
