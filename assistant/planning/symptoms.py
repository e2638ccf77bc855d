"""What a question says people see ("won't open", "spins forever"), and which troubled
workload the evidence ties that to. Pure (the diagnosis is passed in).

A symptom is what users meet, not a workload's state: "titles won't open" or "the button
spins" are symptoms, "it restarted" or "traffic went up" are not. A finding explains a
symptom when it is the kind of trouble that shows that way: a rollout whose pods fail or
whose errors stepped up shows as failures, saturation as slowness. The words only pick
which kind of trouble; the evidence picks the workload, and only when exactly one of the
troubled workloads in scope shows that kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from assistant.analysis import Finding
from assistant.models import DeploymentInfo, Inventory
from assistant.planning.alert_linking import instances_named
from assistant.planning.entities import (
    LinkedEntities,
    core_name,
    entities_of,
    in_trouble,
    words_naming,
)
from assistant.planning.names import mentions
from assistant.planning.ordinary_words import is_ordinary

# Troubled workloads a symptom may be tied to: with more in scope, one fitting is chance.
SUSPECTS_FOR_A_SYMPTOM = 6

# The findings about one workload, from its evidence.
Diagnose = Callable[[LinkedEntities], Sequence[Finding]]


class Symptom(StrEnum):
    FAILING = "failing"
    SLOW = "slow"


_NOT = r"(?:won[’']?t|wont|can[’']?t|cant|cannot|doesn[’']?t|don[’']?t|not)"
_USE = (r"(?:open|load|play|start|work|connect|download|render|sign in|log in|login|accept|"
        r"scan|validate|verify|authori[sz]e|go through|let\s+(?:\w+\s+)?(?:in|through))")
# What people turned away meet: valid input not taken ("scans bounce", "cards not accepted",
# "tickets come back invalid", "flags good cards as fraud"), and a device or page showing
# failure ("the readers flash red").
_TURNED_AWAY = (
    r"reject(?:s|ed|ing|ions?)?|refus(?:e|es|ed|ing|als?)|den(?:y|ies|ied|ials?)|"
    r"declin(?:e|es|ed|ing)|bounc(?:e|es|ed|ing)|turn(?:s|ed|ing)?\s+(?:\w+\s+)?away|"
    r"lock(?:s|ed|ing)?\s+(?:\w+\s+)?out|not\s+(?:being\s+)?(?:accepted|validated|verified|"
    r"authori[sz]ed|honou?red|recogni[sz]ed|let\s+(?:in|through))|"
    r"(?:(?:come|comes|coming|came)\s+back|say|says|said|show|shows|showing|showed|marked|"
    r"flagged|read|reads|return|returns|returned)\s+(?:as\s+)?"
    r"(?:invalid|expired|unknown|unauthori[sz]ed|not\s+valid)|"
    r"as\s+(?:invalid|expired|unauthori[sz]ed|not\s+valid|fraud(?:ulent)?)|"
    r"(?:flash|flashes|flashing|flashed|show|shows|showing|showed|turn|turns|turned|"
    r"go|goes|going|went|light|lights|lit|blink|blinks|blinking|glow|glows|glowing)\s+"
    r"(?:up\s+)?red|red\s+(?:lights?|screens?|cross(?:es)?|x|leds?|banners?)")
_SAYS = {
    Symptom.FAILING: re.compile(
        rf"\b(?:errors?(?![\s-]*budget)|erroring|fail(?:s|ed|ing|ures?)?|broken|borked|"
        rf"exceptions?|5xx|50[0234]s?|{_NOT}\s+{_USE}|{_TURNED_AWAY}|"
        rf"crash(?:es|ed|ing)?|outage|dead(?![\s-]*letter))\b"),
    Symptom.SLOW: re.compile(
        r"\b(?:slow(?:s|er|ly|ness)?|sluggish|laggy|latency|spin(?:s|ning|ner)?|hang(?:s|ing)?|hung|"
        r"timeouts?|tim(?:es|ed|ing)\s+out|forever|takes\s+ages|lagging|unresponsive|"
        # "the shop is crawling", "checkout drags", "grinding to a halt"
        r"crawl(?:s|ed|ing)?|drag(?:s|ging)|grind(?:s|ing)?\s+to\s+a\s+halt)\b"),
}
# What each kind of trouble looks like to the people using the workload.
_SHOWS: dict[str, frozenset[Symptom]] = {
    "bad-rollout": frozenset({Symptom.FAILING}),
    "dependency-refuses": frozenset({Symptom.FAILING}),
    "saturation": frozenset({Symptom.SLOW}),
    "cpu-saturation": frozenset({Symptom.SLOW}),
    "autoscaler-pinned": frozenset({Symptom.SLOW}),
    "latency-step": frozenset({Symptom.SLOW}),
    # The replicas its autoscaler asks for are forbidden: the ones there carry the load.
    "quota-blocked": frozenset({Symptom.SLOW}),
}
# A leak's containers are killed at the limit, failing the requests and dropping the
# sessions they held, and a climbing heap slows them before each kill. Between kills it
# serves as before (its error ratio stays flat), so that explains a symptom said of the
# workload, but is too faint to tie an unnamed symptom to it on the evidence alone.
_SHOWS_WHEN_NAMED: dict[str, frozenset[Symptom]] = {
    **_SHOWS,
    "memory-exhaustion": frozenset({Symptom.FAILING, Symptom.SLOW}),
}
_CLAUSE = re.compile(r"[^.!?;,\n]+")
# A clause that refers back to what the question named ("email-sender went out too, is
# it broken as well?") says the symptom of that, not of something unnamed.
_REFERS_BACK = re.compile(r"\b(?:it|its|it[’']s|this one|that one)\b")
# What may stand between a subject and what is said of it: "the sorter is dead", "billing
# keeps failing", "the recorder has been totally broken". A noun there ("the recorder page
# spins") makes the page the subject instead.
_JOINS = (r"(?:is|are|was|were|be|been|being|has|have|had|keeps?|kept|still|just|now|again|"
          r"totally|completely|fully|all|also|too|really|seems?|looks?|appears?|started|"
          r"starts|began|begun|went|goes|getting|got|constantly|always|already|suddenly)\b")


# A word a symptom is said of ("billing keeps crash looping", "the payroll gateway times
# out", "plows are crawling"), before what joins it to the symptom.
_SUBJECT = re.compile(rf"\b([a-z][a-z0-9]*(?:-[a-z0-9]+)*)(?:[’']s)?(?:\s+{_JOINS})*\s+")
# What people use and meet on a platform, and the people themselves: a symptom said of
# one ("the app spins", "cards declined", "riders can't log in") is what users see of some
# workload, so it is no name. Nor is a word for the platform's own parts ("pods keep
# crashing", "the service times out"). Anything else a symptom is said of is a thing of
# its own: a workload we do not have ("billing"), or something outside the platform
# ("plows are crawling on route 9", "buses were turned away by snow drifts").
_USED = frozenset(
    """
    app site website web page screen button form link portal dashboard login logon signin
    signup account profile checkout cart basket search upload download feed map list menu
    notification alert message email mail chat receipt ticket pass card tap scan title ebook
    book video stream audio call meeting payment purchase order booking reservation quote
    access permission entry connection session transaction refund voucher coupon loan licence
    license key token code turnstile barrier door till pump scanner handheld printer label
    report invoice transfer reader gate kiosk terminal device phone mobile laptop browser
    tablet player widget banner image photo picture file document result display view tab
    people person user customer client rider patient guest member passenger shopper
    viewer listener staff agent student patron visitor caller subscriber buyer seller
    everyone everybody somebody someone nobody
    pod container request response error job build deploy deployment rollout node service
    api server backend frontend worker db database system platform cluster traffic latency
    endpoint queue cache thing stuff everything something nothing lot
    """.split())
_PLURAL = re.compile(r"(?:ies|es|s)$")
# What may come before a clause's subject: "the payroll gateway", "ok so billing". A word
# deeper in the clause ("buying a day ticket online crawls") is no subject of its own.
_LEADS = re.compile(r"\s*(?:(?:ok|okay|so|and|but|also|now|hey|then)\s+)*"
                    r"(?:(?:the|our|a|an|my|your|their|this|that|all|some)\s+)?"
                    r"(?:[a-z0-9][\w-]*\s+){0,2}")


def symptoms_in(text: str) -> frozenset[Symptom]:
    """The symptoms the text describes."""
    lowered = text.lower()
    return frozenset(s for s, says in _SAYS.items() if says.search(lowered))


def shown_by(findings: Sequence[Finding], named: bool = True) -> frozenset[Symptom]:
    """The symptoms the findings' trouble would show: of a workload the asker's words
    name, or (not ``named``) the ones it alone ties to a workload nobody named."""
    shows = _SHOWS_WHEN_NAMED if named else _SHOWS
    return frozenset(s for f in findings for s in shows.get(f.kind, ()))


def said_of(clause: str, words: Collection[str]) -> frozenset[Symptom]:
    """The symptoms ``clause`` says of one of ``words`` as its subject: "the recorder is
    broken" and "billing keeps failing" say it of their word; "the recorder page spins"
    says it of the page, and "sends them back to the waiting room" of nothing there."""
    lowered = clause.lower()
    said: set[Symptom] = set()
    for word in words:
        for joined in re.finditer(rf"\b{re.escape(word)}(?:[’']s)?(?:\s+{_JOINS})*\s+",
                                  lowered):
            said.update(s for s, says in _SAYS.items()
                        if says.match(lowered, joined.end()) is not None)
    return frozenset(said)


def _used(word: str) -> bool:
    """``word`` is a thing people use or meet, singular or plural, or the people."""
    return word in _USED or any(f"{_PLURAL.sub('', word)}{end}" in _USED
                                for end in ("", "y", "e"))


def said_of_unknown(clause: str, known: Collection[str]) -> dict[str, frozenset[Symptom]]:
    """Per word a symptom of ``clause`` is said of as the clause's subject that is neither
    a part of a ``known`` name nor an ordinary word nor a thing people use: the symptoms
    said of it. A past form is a verb ("titles people borrowed won't open": the titles
    fail)."""
    lowered = clause.lower()
    said: dict[str, set[Symptom]] = {}
    for joined in _SUBJECT.finditer(lowered):
        word = joined.group(1)
        if _LEADS.fullmatch(lowered[:joined.start()]) is None:
            continue
        # A symptom's own word ("spins forever") is no subject of the next one.
        if (word in known or len(word) < 3 or word.endswith("ed") or is_ordinary(word)
                or _used(word) or symptoms_in(word)):
            continue
        for s, says in _SAYS.items():
            if says.match(lowered, joined.end()) is not None:
                said.setdefault(word, set()).add(s)
    return {w: frozenset(s) for w, s in said.items()}


def known_words(inventory: Inventory) -> frozenset[str]:
    """The names, and the parts of names, of what the inventory holds."""
    names = {n for d in inventory.deployments for n in (d.name, d.service, d.namespace)}
    return frozenset(names | {p for n in names for p in n.split("-")})


def said_of_subject(text: str, subject: LinkedEntities,
                    inventory: Inventory) -> frozenset[Symptom]:
    """The symptoms ``text`` says of the thread's subject by a word naming it, loosely or
    not ("recorder broken since the deploy" of session-recorder)."""
    words = _naming(text, subject, inventory)
    return frozenset().union(*(said_of(c, words) for c in _CLAUSE.findall(text.lower())))


def _naming(text: str, subject: LinkedEntities | None, inventory: Inventory) -> frozenset[str]:
    """The words of ``text`` that name the ``subject`` workload as a thing. A past form
    of a part of its name is a verb ("titles people borrowed won't open" of borrow-api:
    the titles fail), unless the name itself is spelt so (feed-puller's "feed"). The
    name short of its role suffix ("rider" of rider-api) names it too, even when another
    name or its namespace shares that word: linking already chose the subject by it."""
    dep = None if subject is None else inventory.deployment(
        subject.namespace or "", subject.deployment or "", subject.kind)
    if dep is None:
        return frozenset()
    parts = set(dep.name.split("-")) | set(dep.service.split("-"))
    core = core_name(dep.name)
    by_core = {core} if core != dep.name and re.search(
        rf"(?<![\w-]){re.escape(core)}(?![\w-])", text.lower()) else set()
    return frozenset(w for w in words_naming(text, dep, inventory)
                     if not w.endswith("ed") or w in parts) | by_core


def unattributed(text: str, inventory: Inventory,
                 subject: LinkedEntities | None = None, cleared: str | None = None,
                 subject_unnamed: bool = False) -> list[frozenset[Symptom]]:
    """Per clause that describes a symptom without naming a workload ("titles people
    borrowed won't open"), its symptoms; "patron-sso is failing" says whose it is, and so
    does "is it failing?" after a name, and "the recorder is broken" when the recorder is
    the ``subject``'s word. A clause that names only ``cleared`` (a workload the evidence
    found healthy) and tells rather than asks is the asker's guess at whose the symptom is,
    which the evidence has ruled out: "cart went out right when the errors started" still
    describes errors nobody has explained; "is cart failing?" asks. With
    ``subject_unnamed``, a word naming the subject short of its whole name names nothing
    but the symptom said of it: "one rider in five gets 'card declined'" names no rider-api.
    A symptom said of something no name here names ("plows are crawling") or in a clause
    naming a firing alert's instance ("buses turned away at the harlow gate") is not one
    to tie to a workload."""
    words = _naming(text, subject, inventory)
    known = known_words(inventory)
    found = []
    lowered = text.lower()
    for match in _CLAUSE.finditer(lowered):
        clause = match.group(0)
        # A clause naming a firing alert's instance ("the board flashes red for harlow")
        # says what that instance shows.
        if instances_named(clause, inventory):
            continue
        # "recorder broken" is the recorder's; "gates reject passes AND the shop is
        # crawling" leaves the rejecting unexplained beside the shop's crawl; "plows are
        # crawling" is the plows', no workload's.
        said = (symptoms_in(clause) - said_of(clause, words)
                - frozenset().union(*said_of_unknown(clause, known).values()))
        named = {d.name for d in inventory.deployments
                 if (mentions(clause, d.name) or mentions(clause, d.service))
                 and not (subject_unnamed and _is(d, subject))}
        asks = lowered[match.end():match.end() + 1] == "?"
        if said and _REFERS_BACK.search(clause) is None and (
                not named or (named == {cleared} and not asks)):
            found.append(said)
    return found


def _is(d: DeploymentInfo, subject: LinkedEntities | None) -> bool:
    """``d`` is the thread's subject."""
    return subject is not None and (d.namespace, d.name) == (subject.namespace,
                                                             subject.deployment)


def suspects(inventory: Inventory, question: str, besides: Collection[tuple[str, str]],
             namespace: str | None = None,
             subject: LinkedEntities | None = None) -> list[DeploymentInfo] | None:
    """The troubled workloads a symptom may be tied to: in ``namespace`` when given, else in
    the namespaces the question names, else anywhere; None when too many are in trouble
    there for one fitting to say anything. The namespace of a ``subject`` named after it
    is named by the same word as the subject: "one rider in five" of rider/rider-api puts
    nothing in the rider namespace."""
    named = {d.namespace for d in inventory.deployments if mentions(question, d.namespace)}
    if subject is not None and subject.namespace in (subject.deployment or "").split("-"):
        named.discard(subject.namespace)
    where = {namespace} if namespace else named
    pool = [d for d in in_trouble(inventory)
            if (not where or d.namespace in where) and (d.namespace, d.name) not in besides]
    return pool if len(pool) <= SUSPECTS_FOR_A_SYMPTOM else None


@dataclass(frozen=True)
class Tied:
    entities: LinkedEntities
    symptoms: frozenset[Symptom]
    findings: tuple[Finding, ...]  # the ones that explain the symptoms

    def because(self) -> str:
        said = " and ".join(sorted(self.symptoms))
        found = "; ".join(dict.fromkeys(f.summary for f in self.findings))
        return (f"{self.entities.namespace}/{self.entities.deployment}'s findings explain "
                f"what you describe ({said}: {found})")


def tied_to(symptoms: frozenset[Symptom], pool: Sequence[DeploymentInfo],
            diagnose: Diagnose, named: Collection[DeploymentInfo] = ()) -> Tied | None:
    """The one workload of ``pool`` whose findings explain one of ``symptoms``; of those
    the question's words ``named`` ("the chairside viewer" of viewer-gateway), any trouble
    that shows that way."""
    tied = []
    for dep in pool:
        entities = entities_of(dep)
        said = dep in named
        explaining = tuple(f for f in diagnose(entities) if shown_by([f], said) & symptoms)
        if explaining:
            tied.append(Tied(entities, shown_by(explaining, said) & symptoms, explaining))
    return tied[0] if len(tied) == 1 else None


def tied_beside(question: str, subject: LinkedEntities, findings: Sequence[Finding],
                inventory: Inventory, besides: Collection[tuple[str, str]],
                diagnose: Diagnose) -> Tied | None:
    """Another workload that a symptom the question describes is about, when the thread's
    subject (with ``findings`` about it) does not show that symptom: "the borrow button
    spins, and borrowed titles won't open" is about the saturated borrow-api and about the
    one workload failing; "licences failing, restart drm-keystore?" with drm-keystore
    healthy is about the neighbour whose rollout fails. A healthy subject keeps the search
    to its namespace, where the asker put the trouble; ``besides`` are left out."""
    shown = shown_by(findings)
    healthy = not any(f.supports for f in findings) and not any(
        (d.namespace, d.name) == (subject.namespace, subject.deployment)
        for d in in_trouble(inventory))
    cleared = subject.deployment if healthy and any(f.kind == "healthy" for f in findings) \
        else None
    # What the subject shows is explained; a clause's other symptom ("rejecting passes
    # AND the shop crawling") still is not.
    unshown = [said - shown for said in unattributed(question, inventory, subject, cleared)
               if said - shown]
    if not unshown:
        return None
    pool = suspects(inventory, question, besides, subject.namespace if healthy else None)
    if not pool:
        return None
    named = [d for d in pool if words_naming(question, d, inventory)]
    return tied_to(frozenset().union(*unshown), pool, diagnose, named)
