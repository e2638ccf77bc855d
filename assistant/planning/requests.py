"""What action, if any, the person explicitly asks for. Pure.

An SRE types "roll it back" or "scale search-api to 12": that request is honoured even
when live state shows no trouble (policy and an approver still decide), and an explicit
replica count replaces the runbook's default.
"""

from __future__ import annotations

import re

from tools.catalog import CATALOG

_REPLICAS = re.compile(
    r"\b(?:to|at)\s+(\d{1,4})\b(?!\s*(?:%|percent|min|minutes|h|hours|s|seconds|ms))"
    r"|\b(\d{1,4})\s+(?:replicas|pods|instances)\b"
)
_REVISION = re.compile(r"\brev(?:ision)?\s*#?\s*(\d{1,6})\b")


def requested_tools(question: str) -> frozenset[str]:
    text = question.lower()
    return frozenset(name for name, spec in CATALOG.items()
                     if spec.asked_by is not None and spec.asked_by.search(text))


def requested_replicas(question: str) -> int | None:
    found = _REPLICAS.search(question.lower())
    if not found:
        return None
    return int(found.group(1) or found.group(2))


def requested_values(text: str) -> dict[str, int]:
    """The values an order states outright, by the argument they set."""
    values = {}
    if (replicas := requested_replicas(text)) is not None:
        values["replicas"] = replicas
    if (revision := _REVISION.search(text.lower())) is not None:
        values["revision"] = int(revision.group(1))
    return values
