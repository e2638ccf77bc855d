"""Which alert a question is about, by name: exact, loose ("the consumer lag alert") or
misspelled ("KafkaConsumerGroupLagg"), and in which namespace. Pure.

Alerts are entities like deployments: "silence the replication-lag alert in identity" is
about the alert ReplicationLagHigh firing in namespace identity, not about a deployment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.models import AlertInfo, Inventory
from assistant.planning.likeness import likeness

_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_WORD = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_FILLER = frozenset({"kube", "k8s", "high", "low", "is", "too", "alert", "rate"})
# Loose matches on parts of a name need the person to be talking about an alert: "crash
# looping" alone describes a symptom, "the crash looping alert" names KubePodCrashLooping.
_ALERT_WORDS = re.compile(r"\b(?:alert|alerts|alarm|alarms|page|paging|paged|firing|fired)\b")
WHOLE_NAME = 0.85  # similarity of one written word to the whole alert name
TOKEN = 0.8  # similarity of a written word to one part of the name


@dataclass(frozen=True)
class AlertLink:
    alertname: str
    namespace: str | None  # None: the name fires in several namespaces and none was named
    namespaces: tuple[str, ...]  # where it fires (or is silenced) now
    score: float
    labels: dict[str, str] | None  # the one firing instance it names, when there is one


def _parts(name: str) -> list[str]:
    return [p.lower() for p in _CAMEL.findall(name)]


def _score(name: str, words: list[str], loose: bool) -> float:
    lowered = name.lower()
    for w in words:
        if w == lowered:
            return 1.0
    if any(likeness(w, lowered, WHOLE_NAME) >= WHOLE_NAME for w in words if len(w) > 6):
        return 0.9
    if not loose:
        return 0.0
    parts = [p for p in _parts(name) if p not in _FILLER] or _parts(name)
    hits = sum(any(w == p or (len(p) > 3 and likeness(w, p, TOKEN) >= TOKEN)
                   for w in words) for p in parts)
    if hits < 2 and not (hits == 1 and len(parts) == 1):
        return 0.0
    return 0.5 + 0.3 * hits / len(parts)


def link_alert(text: str, inventory: Inventory) -> AlertLink | None:
    """The alert the text names best, or None when it names none (or two equally)."""
    words = [w.strip("._-") for w in _WORD.findall(text.lower().replace("-", " "))]
    words += [w.strip("._-") for w in _WORD.findall(text.lower())]
    by_name: dict[str, list[AlertInfo]] = {}
    for alert in inventory.alerts:
        by_name.setdefault(alert.name, []).append(alert)
    loose = _ALERT_WORDS.search(text.lower()) is not None
    scored = sorted(((_score(name, words, loose), name) for name in by_name), reverse=True)
    scored = [(s, n) for s, n in scored if s >= 0.5]
    if not scored or (len(scored) > 1 and scored[0][0] - scored[1][0] < 0.05):
        return None
    score, name = scored[0]
    namespaces = tuple(sorted({a.labels["namespace"] for a in by_name[name]
                               if "namespace" in a.labels}))
    lowered = f" {text.lower()} "
    named = [ns for ns in namespaces
             if re.search(rf"(?<![a-z0-9-]){re.escape(ns)}(?![a-z0-9-])", lowered)]
    if len(named) == 1:
        namespace: str | None = named[0]
    elif len(namespaces) == 1:
        namespace = namespaces[0]
    else:
        namespace = None
    instances = [a for a in by_name[name] if a.state == "firing"
                 and (namespace is None or a.labels.get("namespace") == namespace)]
    labels = dict(instances[0].labels) if len(instances) == 1 else None
    return AlertLink(alertname=name, namespace=namespace, namespaces=namespaces, score=score,
                     labels=labels)
