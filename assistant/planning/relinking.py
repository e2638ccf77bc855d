"""Evidence over a loose word: which workload a described symptom is about. Pure (the
diagnosis is passed in).

"patients say the call never starts, then throws them back to the waiting room" names
waiting-room-api only by a part of its name, and only as where the patients end up. When
another troubled workload in the same namespace has trouble that began with its own
rollout (a finding that calls for rolling it back) and the loosely named one has none,
that onset is stronger evidence of what the symptom is about than the word. So is a
symptom ("borrowed ebooks won't open") that the loosely named workload does not show,
being healthy, and exactly one troubled workload's findings explain (patron-sso named by
"patrons", drm-licenser's rollout failing), and so is an effect the question reports in
the words a firing alert's own summary or description uses for it ("broadcasters' tickers
miss new warnings"), when that alert's workload has trouble a remedy answers. Each way the
thread is re-linked, the loosely named workload's findings are still shown, and a note
says why. The asker's own request for an action keeps its word's target; so does a thread
that was already about a workload (``Linking.loose`` is never set there).

A loose word that is the subject of a failure said of it ("recorder broken since the
deploy", "the sorter is dead") is the asker saying which workload fails, not where people
end up: a neighbour's rollout onset or alert does not move the thread off it, and the
failure said of it is no symptom to tie elsewhere. Another symptom the question describes
still may be ("recorder broken, and the waiting room spins forever"). The answer then says
the subject looks healthy and names its troubled neighbours, acting on neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.analysis import Finding, Remedy
from assistant.models import Inventory
from assistant.planning.alert_text import described
from assistant.planning.entities import Linking, entities_of, in_trouble
from assistant.planning.intent import remedies_asked
from assistant.planning.symptoms import (
    Diagnose,
    said_of_subject,
    shown_by,
    suspects,
    tied_to,
    unattributed,
)

SUSPECTS_LOOKED_AT = 3  # troubled workloads beside a loose match that get diagnosed

@dataclass(frozen=True)
class Relinked:
    linking: Linking
    note: str
    set_aside: tuple[Finding, ...]  # the loosely named workload's findings: shown, not acted on


def _began_with_rollout(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if Remedy.ROLLBACK in f.supports]


def _by_rollout(linking: Linking, own: Sequence[Finding], inventory: Inventory,
                diagnose: Diagnose) -> Relinked | None:
    """The workload whose trouble began with its rollout, when the question only loosely
    names another one in its namespace whose trouble did not."""
    e = linking.entities
    if _began_with_rollout(own):
        return None
    nearby = [d for d in in_trouble(inventory)
              if d.namespace == e.namespace and d.name != e.deployment]
    began = [(d, found) for d in nearby[:SUSPECTS_LOOKED_AT]
             if (found := _began_with_rollout(diagnose(entities_of(d))))]
    if len(began) != 1:
        return None
    dep, found = began[0]
    note = (f"your words only loosely name {e.namespace}/{e.deployment}, and nothing there "
            f"began with a rollout; {dep.namespace}/{dep.name}'s trouble did "
            f"({'; '.join(dict.fromkeys(f.summary for f in found))}), so this answer is "
            f"about it. Name {e.deployment} to act on it instead")
    return Relinked(linking=Linking(entities=entities_of(dep), source="evidence"),
                    note=note, set_aside=tuple(own))


def _by_symptom(linking: Linking, own: Sequence[Finding], question: str,
                inventory: Inventory, diagnose: Diagnose) -> Relinked | None:
    """The one troubled workload whose findings explain the symptom described, when the
    question only loosely names one that does not show it: healthy, or in trouble of
    another kind ("card declined" is not what a saturated rider-api shows)."""
    e = linking.entities
    said = frozenset().union(*unattributed(question, inventory, e, subject_unnamed=True))
    # The named workload showing any trouble the question describes is rightly named; a
    # second symptom is then tied beside it, not instead of it.
    if not said or shown_by(own) & (said | said_of_subject(question, e, inventory)):
        return None
    pool = suspects(inventory, question, {(e.namespace or "", e.deployment or "")},
                    subject=e)
    tied = tied_to(said, pool, diagnose) if pool else None
    if tied is None:
        return None
    troubled = any(f.supports for f in own) or any(
        (d.namespace, d.name) == (e.namespace, e.deployment) for d in in_trouble(inventory))
    state = "whose trouble does not show that way" if troubled else "which shows no trouble"
    note = (f"your words only loosely name {e.namespace}/{e.deployment}, {state}; "
            f"{tied.because()}, so this answer is about it. Name {e.deployment} "
            "to act on it instead")
    return Relinked(linking=Linking(entities=tied.entities, source="evidence"), note=note,
                    set_aside=tuple(own))


def _by_alert_words(linking: Linking, own: Sequence[Finding], question: str,
                    inventory: Inventory, diagnose: Diagnose) -> Relinked | None:
    """The troubled workload whose alert says, in its own words, what the question
    describes, when the question only loosely names another one, which has no trouble a
    remedy answers and no alert that says it as well."""
    e = linking.entities
    found = described(question, inventory) if not any(f.supports for f in own) else None
    if (found is None or (found[0].namespace, found[0].name) == (e.namespace, e.deployment)
            or not any(f.supports for f in diagnose(entities_of(found[0])))):
        return None
    dep, alertname = found
    note = (f"your words only loosely name {e.namespace}/{e.deployment}, which shows no "
            f"trouble a remedy answers; what you describe is what {alertname} about "
            f"{dep.namespace}/{dep.name} says it means, so this answer is about it. Name "
            f"{e.deployment} to act on it instead")
    return Relinked(linking=Linking(entities=entities_of(dep), source="evidence"), note=note,
                    set_aside=tuple(own))


def relink(linking: Linking, question: str, inventory: Inventory,
           diagnose: Diagnose) -> Relinked | None:
    """The workload the evidence says a loosely worded question is about, when that is not
    the one its words loosely name; None when the words' link stands. A name short only
    of its role suffix ("rider" of rider-api) yields only to a symptom: "one rider in
    five gets 'card declined'" is about whatever declines, not about the rider-api."""
    e = linking.entities
    if not linking.partial or e.namespace is None or remedies_asked(question):
        return None
    own = list(diagnose(e))
    if not linking.loose:
        return _by_symptom(linking, own, question, inventory, diagnose)
    # A symptom the words describe says more than an onset: a slowness is not about the
    # neighbour whose rollout fails.
    by_symptom = _by_symptom(linking, own, question, inventory, diagnose)
    if by_symptom is not None or said_of_subject(question, e, inventory):
        return by_symptom
    return (_by_alert_words(linking, own, question, inventory, diagnose)
            or _by_rollout(linking, own, inventory, diagnose))
