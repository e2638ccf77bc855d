"""Which firing alert a question describes in the alert's own words. Pure.

An alert's rule says what it means and whom it affects ("broadcasters' warning tickers miss
new warnings"); a question that reports that effect in the same words ("broadcasters say
their warning crawls stopped picking up new warnings") is about the workload the alert
fires about, even when it names nothing or only loosely names another. The alert's labels
say which workload; its words only say which alert, so a note in an annotation can point at
nothing but its own alert's workload, and only the summary and description are read.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from assistant.analysis.workloads import QUIET_SEVERITIES
from assistant.models import AlertInfo, DeploymentInfo, Inventory
from assistant.planning.entities import firing_about, in_trouble
from assistant.planning.ordinary_words import is_ordinary

STEM = 5  # words sharing this many first letters are one word ("warning", "warnings")
SHARED_WORDS = 2  # distinct words a question must share with an alert's own to describe it
_WORD = re.compile(r"[a-z][a-z'’-]*[a-z]")


def _stems(text: str) -> set[str]:
    return {w.split("'")[0].split("’")[0][:STEM] for w in _WORD.findall(text.lower())
            if len(w) >= 4 and not is_ordinary(w)}


def _loud(alerts: Collection[AlertInfo]) -> list[AlertInfo]:
    return [a for a in alerts if a.severity.lower() not in QUIET_SEVERITIES]


def described(question: str, inventory: Inventory) -> tuple[DeploymentInfo, str] | None:
    """The one troubled workload a loud alert about which the question describes best in
    the alert's own words, with that alert's name; None when no alert's words fit, or
    those of several workloads' alerts fit alike."""
    said = _stems(question)
    best: list[tuple[int, DeploymentInfo, str]] = []
    for dep in in_trouble(inventory):
        for alert in _loud(firing_about(dep, inventory)):
            shared = len(said & _stems(alert.about))
            if shared >= SHARED_WORDS:
                best.append((shared, dep, alert.name))
    if not best:
        return None
    top = max(shared for shared, _, _ in best)
    fits = {(d.namespace, d.name): (d, name) for shared, d, name in best if shared == top}
    return next(iter(fits.values())) if len(fits) == 1 else None
