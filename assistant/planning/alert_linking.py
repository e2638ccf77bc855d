"""Which alert a question is about, by name: exact, loose ("the consumer lag alert") or
misspelled ("KafkaConsumerGroupLagg"), and in which namespace. Pure.

An alert may also be named only by what it watches, in words its name does not use: "the
disk alert" is NodeFilesystemSpaceFillingUp, "the cert expiry alert" CertificateExpiringSoon.
Such a mention counts only for alerts firing unsilenced now, and only when one alert fits it
better than any other: several fitting equally are the asker's to choose between.

Alerts are entities like deployments: "silence the replication-lag alert in identity" is
about the alert ReplicationLagHigh firing in namespace identity, not about a deployment.
A word that is a piece of one firing instance's label values picks that instance out the
same way: "the claims queue alert" is QueueBacklogHigh where it fires about claims-outbound,
never the same-named alert firing somewhere else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.models import AlertInfo, Inventory
from assistant.planning.likeness import likeness, misspelling
from assistant.planning.names import name_pattern

_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_WORD = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_FILLER = frozenset({"kube", "k8s", "high", "low", "is", "too", "alert", "rate"})
# Loose matches on parts of a name need the person to be talking about an alert: "crash
# looping" alone describes a symptom, "the crash looping alert" names KubePodCrashLooping.
_ALERT_WORDS = re.compile(r"\b(?:alert|alerts|alarm|alarms|page|paging|paged|firing|fired)\b")
# Words people use for what an alert watches, each group standing for any of its members.
# Kept small and general: a word here must mean the same thing in any alert's name.
_KINDRED = (
    frozenset({"disk", "disks", "filesystem", "filesystems", "fs", "volume", "volumes",
               "space", "storage"}),
    frozenset({"lag", "lagging", "behind", "delay", "delayed"}),
    frozenset({"cert", "certs", "certificate", "certificates", "tls", "ssl"}),
    frozenset({"memory", "mem", "oom", "oomkilled"}),
    frozenset({"latency", "slow", "slowness"}),
    frozenset({"error", "errors", "5xx", "failures", "failing"}),
    frozenset({"crash", "crashing", "crashloop", "crashlooping"}),
    frozenset({"down", "unreachable", "unavailable", "dead"}),
)
# Words before "alert" that end the phrase naming it: "silence the disk alert" names it by
# "disk"; "mute that alert" names it by nothing.
_NOT_NAMING = frozenset("""
    the that this those these a an any our your my its their his her which what some
    of for on in at to from about with by and or but is are was be
    silence silencing mute muting snooze hush suppress ack acknowledge please can you
    we i it new same other another one firing noisy annoying flaky stupid
""".split())
_MENTION = re.compile(r"\b(?:alert|alarm|page)s?\b")
_PHRASE_WORDS = 3  # at most this many words before "alert" say which alert
# A word short of this that has no digit names no label value ("on", "db"): too many
# values have such a piece by chance.
VALUE_WORD = 4
_TOKEN = re.compile(r"[a-z0-9][a-z0-9./:_-]*[a-z0-9]")
_EDGE = r"[^a-z0-9]"
# Labels that say where an alert fires, broadest first, for telling same-named ones apart.
_PLACE_LABELS = ("namespace", "instance", "node", "pod", "deployment", "service")
MEANT = 0.6  # the score of an alert named only by what it watches
# Labels that say which rule fired, how loudly or where, not which thing it fires about:
# their values (a namespace, "warning") are shared by many alerts and linked otherwise.
_NOT_IDENTIFYING = frozenset({"alertname", "severity", "namespace", "prometheus", "job",
                              "cluster", "team", "receiver"})
SPELLED = 0.85  # similarity of a written word to a label value it misspells
STEM = 5  # words sharing this many first letters are one word ("expiry", "expiring")
WHOLE_NAME = 0.85  # similarity of one written word to the whole alert name
TOKEN = 0.8  # similarity of a written word to one part of the name


@dataclass(frozen=True)
class AlertLink:
    alertname: str
    namespace: str | None  # None: the name fires in several namespaces and none was named
    namespaces: tuple[str, ...]  # where it fires (or is silenced) now
    score: float
    labels: dict[str, str] | None  # the one firing instance it names, when there is one


def piece_of(token: str, value: str) -> bool:
    """``token`` is a whole piece of ``value``, edged by punctuation or its ends: "3-17"
    of ip-10-20-3-17.eu-west-1.compute.internal:9100, "claims" of claims-outbound."""
    return re.search(rf"(?:^|{_EDGE}){re.escape(token)}(?:$|{_EDGE})", value.lower()) \
        is not None


def value_words(text: str, alertname: str) -> set[str]:
    """The words of ``text`` that could name a label value of an ``alertname`` alert."""
    return {t for t in _TOKEN.findall(text.lower())
            if t != alertname.lower() and (any(c.isdigit() for c in t) or len(t) >= VALUE_WORD)}


def _named_by_values(text: str, name: str, instances: list[AlertInfo]) -> list[AlertInfo]:
    """Of several firing instances, the ones a word of the text names by a piece of a label
    value that only some of them carry; all of them when no word tells them apart."""
    words = value_words(text, name) - set(_parts(name))
    named = [a for a in instances
             if any(any(piece_of(w, v) for v in a.labels.values())
                    and not all(any(piece_of(w, v) for v in o.labels.values())
                                for o in instances)
                    for w in words)]
    return named or instances


def instances_named(text: str, inventory: Inventory) -> list[AlertInfo]:
    """The firing alert instances ``text`` tells apart from their siblings by a piece of a
    label value ("harlow" of depot=d4-harlow, not of d2-ashby)."""
    by_name: dict[str, list[AlertInfo]] = {}
    for alert in inventory.alerts:
        if alert.state == "firing":
            by_name.setdefault(alert.name, []).append(alert)
    named: list[AlertInfo] = []
    for name, instances in by_name.items():
        told = _named_by_values(text, name, instances)
        if len(told) < len(instances):
            named.extend(told)
    return named


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


def _same_word(written: str, part: str) -> bool:
    if written == part or any(written in g and part in g for g in _KINDRED):
        return True
    if len(written) >= STEM and len(part) >= STEM and written[:STEM] == part[:STEM]:
        return True
    return len(part) > 3 and likeness(written, part, TOKEN) >= TOKEN


def _naming_phrases(text: str) -> list[list[str]]:
    """Per mention of an alert, the words just before it that say which one."""
    phrases = []
    for mention in _MENTION.finditer(text):
        before = _WORD.findall(text[:mention.start()].replace("-", " "))
        phrase: list[str] = []
        for word in reversed(before[-_PHRASE_WORDS:]):
            word = word.strip("._-")
            if word in _NOT_NAMING:
                break
            phrase.insert(0, word)
        if phrase:
            phrases.append(phrase)
    return phrases


def alerts_meant(text: str, inventory: Inventory) -> tuple[str, ...]:
    """The alerts firing unsilenced now that a mention by what they watch ("the disk
    alert", "that replication lag alert") fits best, as names; empty when none fits."""
    firing = sorted({a.name for a in inventory.alerts if a.state == "firing"})
    best: tuple[str, ...] = ()
    top = 0
    for phrase in _naming_phrases(text.lower()):
        for name in firing:
            parts = [p for p in _parts(name) if p not in _FILLER] or _parts(name)
            fits = sum(any(_same_word(w, p) for p in parts) for w in phrase)
            if fits > top:
                best, top = (name,), fits
            elif fits == top and fits and name not in best:
                best = (*best, name)
    return best


def where_firing(name: str, inventory: Inventory) -> str:
    """The alert with where it fires unsilenced now, for a question back: "DiskFull in
    monitoring on ip-10-20-3-17:9100"."""
    places = []
    for alert in inventory.alerts:
        if alert.name != name or alert.state != "firing":
            continue
        where = [alert.labels[k] for k in _PLACE_LABELS if k in alert.labels][:2]
        places.append(" on ".join(where))
    return f"{name} in {', '.join(dict.fromkeys(places))}" if any(places) else name


def _names_value(text: str, words: list[str], value: str) -> bool:
    """The text writes the label value as a word, hyphenated or with spaces ("nordic-pub",
    "nordic pub"), or misspells a long one-word value ("harbour-audio")."""
    if len(value) < 4 or value.isdigit():
        return False
    return name_pattern(value.lower()).search(text) is not None or (
        len(value) > 6 and any(misspelling(w, value.lower(), SPELLED) for w in words))


def _words(text: str) -> list[str]:
    lowered = text.lower()
    return [w.strip("._-") for w in _WORD.findall(lowered.replace("-", " ")) + _WORD.findall(
        lowered)]


def told_apart(text: str, alerts: list[AlertInfo]) -> dict[int, dict[str, str]]:
    """Per alert of ``alerts`` (by position), the identifying labels whose values the text
    names and no other of them carries: "nordic-pub" tells one PublisherFeedStale from the
    other, "feed-puller" (both are about it) does not."""
    words = _words(text)
    lowered = text.lower()
    found: dict[int, dict[str, str]] = {}
    for i, alert in enumerate(alerts):
        own = {k: v for k, v in alert.labels.items()
               if k not in _NOT_IDENTIFYING
               and sum(a.labels.get(k) == v for a in alerts) == 1
               and _names_value(lowered, words, v)}
        if own:
            found[i] = own
    return found


def _by_label_value(text: str, inventory: Inventory) -> AlertLink | None:
    """The one alert firing unsilenced that the text names by what it fires about ("the
    nordic-pub feed alert": the alert whose feed label is nordic-pub); None when the text
    names several such alerts, or none."""
    firing = [a for a in inventory.alerts if a.state == "firing"]
    named = told_apart(text, firing)
    if len(named) != 1:
        return None
    alert = firing[next(iter(named))]
    namespace = alert.labels.get("namespace")
    return AlertLink(alertname=alert.name, namespace=namespace,
                     namespaces=(namespace,) if namespace else (), score=MEANT,
                     labels=dict(alert.labels))


def _by_instance_piece(text: str, inventory: Inventory) -> AlertLink | None:
    """The one firing instance the text tells apart from its siblings by a piece of a
    label value ("the board flashes red for harlow": DepotHeartbeatMissing at d4-harlow,
    not at d2-ashby); None when it tells apart none, or several."""
    named = instances_named(text, inventory)
    if len(named) != 1:
        return None
    alert = named[0]
    namespace = alert.labels.get("namespace")
    return AlertLink(alertname=alert.name, namespace=namespace,
                     namespaces=(namespace,) if namespace else (), score=MEANT,
                     labels=dict(alert.labels))


def link_alert(text: str, inventory: Inventory) -> AlertLink | None:
    """The alert the text names best, or None when it names none (or two equally). Of
    several instances of that alert, the one the text names by a label value is meant."""
    words = _words(text)
    by_name: dict[str, list[AlertInfo]] = {}
    for alert in inventory.alerts:
        by_name.setdefault(alert.name, []).append(alert)
    loose = _ALERT_WORDS.search(text.lower()) is not None
    scored = sorted(((_score(name, words, loose), name) for name in by_name), reverse=True)
    scored = [(s, n) for s, n in scored if s >= 0.5]
    meant = alerts_meant(text, inventory) if not scored else ()
    if len(meant) == 1:
        scored = [(MEANT, meant[0])]
    if not scored:
        # An instance named only to leave it out ("not ashby though") is not the one meant.
        kept = without_left_out(text)
        return _by_label_value(kept, inventory) or _by_instance_piece(kept, inventory)
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
    instances = _named_by_values(text, name, [
        a for a in by_name[name] if a.state == "firing"
        and (namespace is None or a.labels.get("namespace") == namespace)])
    named_instances = told_apart(text, instances) if len(instances) > 1 else {}
    if len(named_instances) == 1:
        instances = [instances[next(iter(named_instances))]]
    places = {a.labels["namespace"] for a in instances if "namespace" in a.labels}
    if namespace is None and len(places) == 1:
        namespace = places.pop()
    labels = dict(instances[0].labels) if len(instances) == 1 else None
    return AlertLink(alertname=name, namespace=namespace, namespaces=namespaces, score=score,
                     labels=labels)


# A clause that names something only to leave it out of what is asked: "not ashby
# though", "except kessel", "ashby is real", "leave that one alone". A question ("is
# ashby real?") asks about it instead.
_LEAVES_OUT = re.compile(
    r"^\s*(?:but\s+)?(?:not|except(?:\s+for)?|excluding|apart\s+from|other\s+than|"
    r"leave|leaving|skip|skipping|ignore|ignoring)\b"
    r"|\b(?:is|are|'s|’s)\s+(?:\w+\s+)?(?:real|genuine|legit(?:imate)?)\b"
    r"|\b(?:leave|leaving|keep|keeping)\s+(?:\w+\s+){0,3}?(?:alone|be|out(?:\s+of\s+it)?)\b"
    r"|\b(?:do\s+not|don[’']?t|dont)\s+(?:touch|silence|mute)\b")
_CLAUSES = re.compile(r"[^.!?;,\n]+[.!?;,\n]?")


def without_left_out(text: str) -> str:
    """``text`` without its clauses that name something only to leave it out: what they
    name is no instance meant."""
    return " ".join(c for c in _CLAUSES.findall(text)
                    if c.rstrip().endswith("?") or _LEAVES_OUT.search(c.lower()) is None)


def sibling_named(text: str, alertname: str, labels: dict[str, str],
                  inventory: Inventory) -> AlertLink | None:
    """Another firing instance of the thread's alert (the one whose labels include
    ``labels``) that a word of the text names by a piece of its label values only it
    carries: "and ashby?" in a thread paged for DepotHeartbeatMissing at d4-harlow is the
    same alert at d2-ashby. A sibling named only to leave it out ("not ashby though,
    ashby is real") keeps the thread where it is."""
    instances = [a for a in inventory.alerts if a.name == alertname and a.state == "firing"]
    if len(instances) < 2:
        return None
    named = _named_by_values(without_left_out(text), alertname, instances)
    if len(named) != 1 or labels.items() <= named[0].labels.items():
        return None
    namespace = named[0].labels.get("namespace")
    return AlertLink(alertname=alertname, namespace=namespace,
                     namespaces=(namespace,) if namespace else (), score=MEANT,
                     labels=dict(named[0].labels))
