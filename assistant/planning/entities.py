"""Entity linking: which namespace, deployment, pod, service and alert a thread is about.

Pure: the inventory is passed in. Sources, strongest first: alert labels, the question
text (exact, then fuzzy against the live inventory), then what the thread already linked.
When the words point at two deployments equally, we report the ambiguity instead of
guessing (unless they only loosely name both and the thread or the evidence tells them
apart); when they point at nothing we know, we report that too.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from assistant.models import (
    HPA_LABEL,
    WORKLOAD_KIND_LABELS,
    AlertInfo,
    DeploymentInfo,
    Inventory,
    Remedy,
    labels_name_workload,
)
from assistant.planning.alert_linking import (
    alerts_meant,
    link_alert,
    sibling_named,
    where_firing,
)
from assistant.planning.intent import (
    forbids_an_action,
    remedies_asked,
    split_words,
    without_orders,
)
from assistant.planning.likeness import likeness, misspelling
from assistant.planning.names import OTHER_KINDS, name_pattern
from assistant.planning.ordinary_words import is_aside, is_ordinary
from assistant.redaction.placeholder import PLACEHOLDER_RE

# Name parts that say what kind of component something is, not which one.
_ROLE_SUFFIXES = frozenset(
    {"api", "app", "web", "svc", "service", "server", "worker", "frontend", "backend", "deploy"}
)
NAMED_OUTRIGHT = 0.95  # a score at least this high: the question spells the name out
# Alert labels that may name the workload, most specific first: its kind's, then its
# autoscaler's (an HPA named after what it sizes). Rules built on cAdvisor series carry
# only the container, whose name is the workload's unless set otherwise.
WORKLOAD_LABELS = (*WORKLOAD_KIND_LABELS, HPA_LABEL, "service", "workload",
                   "app_kubernetes_io_name", "app", "container")
# Of those, labels a workload shares with whatever else runs its image or app name: a
# Job's pod may run a container named like a Deployment. With a pod label, they link only
# the workload that pod is of.
_LOOSE_LABELS = frozenset({"app_kubernetes_io_name", "app", "container"})
PART_WEIGHT = 0.5  # a match of one part of a name scores at most this: the weakest kind
# A part several workloads' names share ("booker" of slot-booker and slot-booker-notify)
# says the question is about one of them, not which: far below a distinctive part, so
# only the sharers can tie, and a tie is settled by the thread or the evidence.
SHARED_PART_WEIGHT = 0.3
# Each further part of the same name, or a role word after the part, adds this to the
# best part's score, up to a ceiling below the 0.7 a whole name spelt loosely scores.
FURTHER_NAMING = 0.1
MOST_BY_PARTS = 0.65
MISTYPED_LETTERS = 6  # a word this long, a slip away from a part, is the part mistyped
_WORD = re.compile(r"[a-z0-9][a-z0-9._/-]*[a-z0-9]|[a-z0-9]")
# Words that look like names but are ordinary English or ops vocabulary.
_STOPWORDS = frozenset(
    """
    a an the is are was were be been it its this that these those why what when where how who
    which does do did doing done has have had having keep keeps kept since after before during
    and or but not no of on in at to for from with by about into over under again still just
    our we us you your my me i they them their there here can could should would will may
    pod pods deploy deployment deployments service services namespace alert alerts node nodes
    error errors restart restarts restarting restarted crash crashing crashloop down up
    high low slow fast memory cpu latency traffic spike disk full running failing failed
    last rollout rollback scale please help look check whats what's
    throwing returning getting seeing 500s 5xx 500 502 503 504 oom oomkilled killed
    """.split()
)


class _Named(Protocol):
    """What a question's words are scored against: a workload, or a Job or CronJob."""

    @property
    def namespace(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def service(self) -> str: ...
    @property
    def pods(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class _Batch:
    """A Job or a CronJob, scored like a workload; ``job`` is the run a thread about it
    reads: the Job itself, or the CronJob's newest run."""

    namespace: str
    name: str
    pods: tuple[str, ...]
    job: str
    run: bool = False  # a CronJob's run: named by its whole name, the CronJob by its own

    @property
    def service(self) -> str:
        return self.name


class LinkedEntities(BaseModel):
    model_config = ConfigDict(frozen=True)

    namespace: str | None = None
    deployment: str | None = None
    pod: str | None = None
    service: str | None = None
    alertname: str | None = None
    kind: str | None = None  # set when the workload is not a Deployment
    # What a firing alert is about besides workloads, by its own label names: the node
    # (KubeNodeNotReady), the Job (KubeJobFailed), the claim (KubePersistentVolumeFillingUp).
    node: str | None = None
    job_name: str | None = None
    persistentvolumeclaim: str | None = None
    persistentvolume: str | None = None  # KubePersistentVolumeErrors
    resourcequota: str | None = None  # KubeQuotaAlmostFull
    # Every label of the alert the thread came with (Linking.alert_labels keeps only those
    # linking did not read): of alerts sharing its name, only the one carrying these is the
    # thread's (feed=harbor-audio, not feed=nordic-pub).
    paged_labels: tuple[tuple[str, str], ...] = ()

    def bindings(self) -> dict[str, str]:
        bound = {k: v for k, v in self.model_dump(exclude={"paged_labels"}).items()
                 if v is not None}
        if self.kind and self.deployment:
            # Runbooks name such a workload by its kind: {statefulset}, {daemonset}.
            bound[self.kind.lower()] = self.deployment
        return bound


class Linking(BaseModel):
    model_config = ConfigDict(frozen=True)

    entities: LinkedEntities
    source: str  # alert | question | evidence | thread | none
    ambiguous: tuple[str, ...] = ()  # "ns/name" candidates when the words fit several
    unmatched: tuple[str, ...] = ()  # words that looked like names but matched nothing
    # The words name the workload only by a part of its name ("the waiting room" of
    # waiting-room-api), in a thread about nothing before: the weakest link there is, which
    # evidence about another workload may outweigh (see planning.relinking).
    loose: bool = False
    # The words name it short of spelling it out (a part, or its name without the role
    # suffix: "rider" of rider-api), in a thread about nothing before. Only a symptom the
    # evidence ties to another workload outweighs such a link (see planning.relinking).
    partial: bool = False
    # The question asks how things stand overall ("what's on fire?"), naming nothing.
    overview: bool = False
    # The firing alert's other labels (``mountpoint``, ``instance``, ``container``): what
    # runbook placeholders bind to before anything a runbook gives as an example.
    alert_labels: dict[str, str] = Field(default_factory=dict)

    @property
    def resolved(self) -> bool:
        """The thread is about one known thing: a deployment, a Job, an alert, or a node."""
        if self.ambiguous:
            return False
        e = self.entities
        return (e.deployment is not None or e.job_name is not None or e.alertname is not None
                or e.node is not None)


def _deployment_of_pod(inventory: Inventory, pod: str) -> DeploymentInfo | None:
    for d in inventory.deployments:
        if pod in d.pods:
            return d
    # Pod names are <deployment>-<replicaset hash>-<suffix>; survive a pod that was replaced.
    best = None
    for d in inventory.deployments:
        if pod.startswith(d.name + "-") and (best is None or len(d.name) > len(best.name)):
            best = d
    return best


def entities_of(dep: DeploymentInfo, pod: str | None = None) -> LinkedEntities:
    """What a thread about ``dep`` (and one of its pods) is linked to."""
    return LinkedEntities(
        namespace=dep.namespace, deployment=dep.name, service=dep.service, pod=pod,
        kind=None if dep.kind == "Deployment" else dep.kind,
    )


# Alert labels naming an object a runbook acts on or reads, linked as they are.
_OBJECT_LABELS = ("node", "job_name", "persistentvolumeclaim", "persistentvolume",
                  "resourcequota")
# Of those, the objects in no namespace.
_CLUSTER_OBJECTS = frozenset({"node", "persistentvolume"})
_NAMESPACED_OBJECTS = tuple(k for k in _OBJECT_LABELS if k not in _CLUSTER_OBJECTS)


def _alert_objects(alert: dict[str, str], namespace: str | None) -> dict[str, str]:
    """The objects the alert names; a Job or claim only when the alert says it is in
    ``namespace`` (the thread's), a node or volume always (they are in no namespace). An
    alert that names no namespace does not say where its Job is: one of that name in the
    thread's namespace may be another Job."""
    same = alert.get("namespace") is not None and alert.get("namespace") == namespace
    return {label: alert[label] for label in _OBJECT_LABELS
            if alert.get(label) and (label in _CLUSTER_OBJECTS or same)}


def _instance_node(alert: dict[str, str], inventory: Inventory) -> dict[str, str]:
    """The alert with the node its ``instance`` names, when it names no node itself: a node
    exporter's alerts (NodeFilesystemSpaceFillingUp) carry only ``instance``, the node's
    name with the exporter's port. Only a node the inventory holds counts."""
    host = alert.get("instance", "").rsplit(":", 1)[0]
    if alert.get("node") or not host or inventory.node(host) is None:
        return alert
    return {**alert, "node": host}


def _names_object(word: str, label: str, value: str) -> bool:
    """``word`` is the object's name, or the CronJob a Job run is named after
    ("ensemble-regrid" of ensemble-regrid-29936760)."""
    return value == word or (label == "job_name" and re.fullmatch(
        re.escape(word) + r"-\d+", value) is not None)


def _named_object(words: list[str], inventory: Inventory) -> LinkedEntities | None:
    """The Job or claim a question names, as a firing alert names it (a claim shows
    nowhere else, nor does a Job the inventory lacks: credentials that may not list Jobs),
    linked with that alert. One thing only: words naming several say nothing about
    which."""
    named = [w for w in words if len(w) >= 3 and not is_ordinary(w)]
    found = {linked for word in named for alert in inventory.alerts
             if alert.state == "firing" and any(
                 _names_object(word, k, alert.labels.get(k, "")) for k in _NAMESPACED_OBJECTS)
             and (linked := _from_alert({**alert.labels, "alertname": alert.name},
                                        inventory)) is not None}
    return found.pop() if len(found) == 1 else None


def firing_on_node(node: str, inventory: Inventory) -> list[dict[str, str]]:
    """The labels, with its name as ``alertname``, of each alert firing about ``node``:
    by its ``node`` label, or an exporter's ``instance`` on it."""
    return [labels for a in inventory.alerts if a.state == "firing"
            and (labels := _instance_node({**a.labels, "alertname": a.name}, inventory))
            .get("node") == node]


def _named_node(text: str, inventory: Inventory) -> LinkedEntities | None:
    """The one node the text names by its name ("is rc-gpu-07 back?"), with the one alert
    firing about it when there is one: by its ``node`` label, or an exporter's
    ``instance`` on it. Several nodes named say nothing about which one is meant."""
    named = [n.name for n in inventory.nodes if name_pattern(n.name.lower()).search(text)]
    if len(named) != 1:
        return None
    node = LinkedEntities(node=named[0])
    about = firing_on_node(named[0], inventory)
    if len(about) != 1:
        return node
    linked = _from_alert(about[0], inventory)
    if linked is None or linked.deployment is not None:
        return node
    instance = tuple(sorted((k, v) for k, v in about[0].items() if k != "alertname"))
    return linked.model_copy(update={"node": named[0], "paged_labels": instance})


def _from_alert(alert: dict[str, str], inventory: Inventory) -> LinkedEntities | None:
    ns = alert.get("namespace")
    pod = alert.get("pod")
    dep: DeploymentInfo | None = None
    if pod:
        dep = _deployment_of_pod(inventory, pod)
    for label in (k for k in WORKLOAD_LABELS if alert.get(k)):
        if dep is not None:
            break
        name = alert[label]
        matches = [
            d
            for d in inventory.deployments
            if (d.name == name or d.service == name) and (ns is None or d.namespace == ns)
            and not (pod and label in _LOOSE_LABELS and not pod.startswith(f"{d.name}-"))
        ]
        dep = matches[0] if len(matches) == 1 else None
    if dep is None:
        if not (ns or alert.get("alertname")):
            return None
        return LinkedEntities(namespace=ns, pod=pod, alertname=alert.get("alertname"),
                              **_alert_objects(alert, ns))
    return entities_of(dep, pod).model_copy(update={
        "alertname": alert.get("alertname"), **_alert_objects(alert, dep.namespace)})


def _other_kinds(dep: _Named) -> frozenset[str]:
    """Kinds of thing ``dep`` is not: its own name may say it is a cache ("sailing-cache")."""
    return OTHER_KINDS - set(dep.name.split("-")) - set(dep.service.split("-"))


def _describing_other(words: list[str], dep: _Named) -> list[str]:
    """``words`` with each one that qualifies another kind of thing blanked ("orders" of
    "orders database", both of "orders ledger database"); a function word ends the run of
    qualifiers ("orders hits the database" keeps orders)."""
    other = _other_kinds(dep)
    qualifying: set[int] = set()
    for i, w in enumerate(words):
        if w not in other:
            continue
        for j in (i - 1, i - 2):
            if j < 0:
                break
            qualifying.add(j)
            if words[j] in _STOPWORDS:
                break
    # Written as one word too: "orders-db", "orders_queue".
    return ["" if i in qualifying or re.split(r"[-_.]", w)[-1] in other else w
            for i, w in enumerate(words)]


def _names_service(text: str, dep: _Named) -> bool:
    """The text names the workload's service, not another kind of thing named after it:
    "payments is slow" names payments-api's service, "payments database" a database."""
    other = _other_kinds(dep)
    for found in name_pattern(dep.service).finditer(text):
        after = _WORD.match(text[found.end():].lstrip())
        if after is None or after.group(0) not in other:
            return True
    return False


def core_name(name: str) -> str:
    """The name short of its role suffixes: "rider" of rider-api."""
    parts = [p for p in name.split("-") if p not in _ROLE_SUFFIXES]
    return "-".join(parts) or name


def _score(words: list[str], text: str, dep: _Named, taken: frozenset[str]) -> float:
    """How strongly the question names ``dep``: 1.0 exact, lower for partial or fuzzy.

    ``taken`` holds every deployment name; a shortened form of this name that equals
    another deployment's full name is that deployment's, not ours.
    """
    if f"{dep.namespace}/{dep.name}" in text:
        return 1.1
    if any(p in text for p in dep.pods) or _pod_like(text, dep):
        return 1.05
    if name_pattern(dep.name).search(text):
        return 1.0
    if _names_service(text, dep):
        return 0.95
    # Anything short of the whole name is a loose match: the word must name this workload,
    # not qualify another kind of thing.
    words = _describing_other(words, dep)
    core = core_name(dep.name)
    # A core another name also has ("notes" of notes-api and notes-indexer) says one of
    # them, not which: it scores as the part it is.
    shared = _shared_parts(dep.name, taken)
    own = {dep.name, dep.service} | ({core} if core not in taken - {dep.name} | shared
                                     else set())
    if core in own and core != dep.name and core in words:
        return 0.8
    best = 0.0
    for w in words:
        if len(w) < 4 or w in _STOPWORDS:
            continue
        for target in own:
            ratio = misspelling(w, target, 0.8)
            if ratio >= 0.8:
                best = max(best, 0.7 * ratio)
    return max(best, _phrase_score(words, dep.name), _part_score(words, dep, taken))


def _shared_parts(name: str, taken: frozenset[str]) -> set[str]:
    """The parts of other workloads' names (of ``taken``), which ``name`` may share."""
    return {p for other in taken - {name} for p in other.split("-")}


def _phrase_score(words: list[str], name: str) -> float:
    """A hyphenated name written loosely as words: "fare quotes" for fare-quoter."""
    size = name.count("-") + 1
    if size < 2:
        return 0.0
    best = 0.0
    for i in range(len(words) - size + 1):
        ratio = misspelling("-".join(words[i:i + size]), name, 0.8)
        if ratio >= 0.8:
            best = max(best, 0.7 * ratio)
    return best


def _part_score(words: list[str], dep: _Named, taken: frozenset[str]) -> float:
    """Parts of a hyphenated name, in another form ("quotes" or "quoting" for the
    quoter in fare-quoter). Weaker than any match of the whole name, and a part another
    workload's name shares weaker still. A role suffix or the workload's namespace alone
    tells nothing; the word must share the part's first letters, so "restore" does not
    name a store, or its stem, or be the part mistyped ("gatway").

    Each further thing said of the same workload names it more plainly than one part
    ("pick a slot" of slot-picker-api beside "patients" of patient-portal-api): another of
    its parts, in any order, or a role word right after the part ("the viewer server"),
    which says the word names a component."""
    parts = dep.name.split("-")
    if len(parts) < 2:
        return 0.0
    shared = _shared_parts(dep.name, taken)
    weighted = [(p, SHARED_PART_WEIGHT if p in shared else PART_WEIGHT) for p in parts
                if len(p) >= 4 and p not in _ROLE_SUFFIXES and p != dep.namespace]
    found: dict[str, float] = {}
    component = False
    for i, w in enumerate(words):
        if len(w) < 4 or w in _STOPWORDS or w == dep.namespace:
            continue
        for part, weight in weighted:
            score = weight * _part_likeness(w, part)
            if score > found.get(part, 0.0):
                found[part] = score
            if score and i + 1 < len(words) and words[i + 1] in _ROLE_SUFFIXES:
                component = True
    if not found:
        return 0.0
    further = len(found) - 1 + component
    return min(max(found.values()) + FURTHER_NAMING * further, MOST_BY_PARTS)


def _part_likeness(word: str, part: str) -> float:
    """How surely ``word`` is ``part`` of a name: inflected, stemmed or mistyped. A short
    word a slip away from a part is likelier another word ("sure" of surge-pricer)."""
    ratio = likeness(word, part, 0.8)
    if ratio and (word[:4] == part[:4] or (len(word) >= MISTYPED_LETTERS
                                           and word[0] == part[0]
                                           and misspelling(word, part, 0.8))):
        return ratio
    return 0.8 if _stem(word) == _stem(part) else 0.0


_SUFFIXES = ("ings", "ing", "ers", "er", "es", "ed", "s")


def _stem(word: str) -> str:
    """The word without one inflection or agent ending, when at least four letters stay."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[:-len(suffix)]
    return word


def _mask_longer_names(text: str, inventory: Inventory) -> dict[str, str]:
    """Per deployment, the text with longer names that contain its name blanked out.

    "checkout worker" names checkout-worker; it must not also count as naming checkout.
    Blanks keep the text's length, so a position in it is one in ``text``.
    """
    return _masked(text, [d.name for d in inventory.deployments])


def _masked(text: str, names: Collection[str]) -> dict[str, str]:
    """Per name of ``names``, the text with the longer ones containing it blanked out."""
    masked: dict[str, str] = {}
    longest = sorted(set(names), key=len, reverse=True)
    for name in names:
        t = text
        for longer in longest:
            if len(longer) > len(name) and name in longer:
                t = name_pattern(longer).sub(lambda m: " " * len(m.group(0)), t)
        masked[name] = t
    return masked


def _batches(inventory: Inventory) -> list[_Batch]:
    """Every Job, and every CronJob that has run (standing for its newest run). A CronJob
    lists no pods: a pod named is its own run's."""
    return [*(_Batch(j.namespace, j.name, j.pods, j.name, run=j.cronjob is not None)
              for j in inventory.jobs),
            *(_Batch(c.namespace, c.name, (), c.jobs[-1]) for c in inventory.cronjobs
              if c.jobs)]


def _named_batch(text: str, inventory: Inventory) -> tuple[float, Linking] | None:
    """The Job or CronJob the text names, scored as a workload would be (outright, loosely,
    misspelt), linked with its run; two equally named ask back which."""
    batches = _batches(inventory)
    if not batches:
        return None
    taken = frozenset(b.name for b in batches) | {d.name for d in inventory.deployments}
    masked = _masked(text, [b.name for b in batches])
    scores = ((_score(_candidate_words(masked[b.name]), masked[b.name], b, taken), b)
              for b in batches)
    scored = sorted(((s, b) for s, b in scores if s >= NAMED_OUTRIGHT or not b.run),
                    key=lambda pair: pair[0], reverse=True)
    if not scored:
        return None
    top_score = scored[0][0]
    if top_score <= 0:
        return None
    tied = [b for s, b in scored if top_score - s < 0.05]
    # A run's pod names its CronJob too (<cronjob>-<run>-<pod>): the run is meant.
    tied = [b for b in tied if not any(o.namespace == b.namespace
                                       and o.name.startswith(f"{b.name}-") for o in tied)]
    if len({(b.namespace, b.job) for b in tied}) > 1:
        names = tuple(dict.fromkeys(f"{b.namespace}/{b.name}" for b in tied))
        return top_score, Linking(entities=LinkedEntities(), source="question",
                                  ambiguous=names)
    found = tied[0]
    about = {a.name for a in inventory.alerts if a.state == "firing"
             and a.labels.get("job_name") == found.job
             and a.labels.get("namespace") == found.namespace}
    entities = LinkedEntities(namespace=found.namespace, job_name=found.job,
                              alertname=about.pop() if len(about) == 1 else None)
    # Never ``loose``: re-linking weighs workloads' rollouts against a loose word, and a
    # Job has none to weigh.
    return top_score, Linking(entities=entities, source="question")


_POD_SUFFIX = r"(?:-[a-z0-9]{4,10})?-[a-z0-9]{5}"  # -<replicaset hash>-<random>
# A clause that says, rather than asks, that something is fine ("the notify ones are fine",
# "the others look ok"): the asker names it to set it aside, not as what to look at.
_CLAUSE = re.compile(r"[^.!?;,\n]+[.!?;,]?")
_SENTENCE = re.compile(r"[^.!?;\n]+[.!?;]?")
_SAYS_FINE = re.compile(r"\b(?:is|are|looks?|seems?|stays?|remains?)\s+(?:fine|ok|okay|"
                        r"healthy|good|normal|unaffected)\b")
# Before the "is fine": a question's lead word or a negation ("does it look ok",
# "doesn't look ok").
_NOT_SAYING = re.compile(r"^\s*(?:is|are|does|do|did|should|would|could|can|will|if|"
                         r"whether|how|why|what)\b|\b(?:not|never)\b|n[’'´]t\b")
_ALERT_WORD = re.compile(r"\b(?:alert|alarm)s?\b")
_ALTERNATIVES = re.compile(r"\b(?:or|vs|versus|either|nor)\b")


def _pod_like(text: str, dep: _Named) -> str | None:
    """A pod of ``dep`` named in the text, even one already replaced (not in inventory)."""
    found = re.search(rf"(?<![a-z0-9-]){re.escape(dep.name)}{_POD_SUFFIX}(?![a-z0-9-])", text)
    return found.group(0) if found else None


def _set_aside(text: str, names: Collection[str]) -> str:
    """``text`` with the clauses that declare something fine, or forbid an action on it
    ("don't restart the notifier"), blanked out; a prohibition naming none of ``names``
    ("notify went out too, don't roll it back") sets aside its sentence up to it."""
    def blank_clause(said: str) -> str:
        fine = _SAYS_FINE.search(said)
        if (fine is None or said.rstrip().endswith("?")
                or _NOT_SAYING.search(said[:fine.start()]) is not None):
            return said
        return " " * len(said)

    def blank(sentence: re.Match[str]) -> str:
        kept: list[str] = []
        for said in _CLAUSE.findall(sentence.group(0)):
            if not forbids_an_action(said):
                kept.append(blank_clause(said))
                continue
            if not any(name_pattern(n).search(said) for n in names):
                kept = [" " * len(k) for k in kept]
            kept.append(" " * len(said))
        return "".join(kept)

    return _SENTENCE.sub(blank, text)


def _subject(
    text: str, tied: list[DeploymentInfo], masked: dict[str, str]
) -> DeploymentInfo | None:
    """Of several deployments the question names outright, the one it is about.

    "roll back payments-api, the fraud-scoring timeout is killing charges" is about the
    first one named; "payments-api or fraud-scoring, which?" offers alternatives and is
    not. Same-named deployments in different namespaces never resolve here.
    """
    if len({d.name for d in tied}) < len(tied):
        return None
    spans = []
    for d in tied:
        found = name_pattern(d.name).search(masked[d.name]) or (
            re.search(rf"(?<![a-z0-9-]){re.escape(d.name)}{_POD_SUFFIX}", text))
        if found is None:
            return None
        spans.append((found.start(), found.end(), d))
    spans.sort(key=lambda span: span[0])
    between = text[spans[0][1]:spans[1][0]]
    if _ALTERNATIVES.search(between):
        return None
    return spans[0][2]


def _inside_named_namespaces(scored: list[tuple[float, DeploymentInfo]], text: str,
                             inventory: Inventory) -> list[tuple[float, DeploymentInfo]]:
    """A namespace the question names outranks a loose match outside it: "gallery
    thumbnails come back blank, anything off in imaging?" is about imaging's thumbnailer,
    not a gallery service elsewhere. A workload named outright stays wherever it runs."""
    named = {d.namespace for d in inventory.deployments
             if name_pattern(d.namespace).search(text)}
    if not any(d.namespace in named for _, d in scored):
        return scored
    return [(s, d) for s, d in scored if d.namespace in named or s >= NAMED_OUTRIGHT]


def _candidate_words(text: str) -> list[str]:
    """The words of ``text``, and the parts of a host, path or tag written as one word
    ("drm.example/v3/licence" also gives drm and licence)."""
    words = [w.strip("./-") for w in _WORD.findall(text)]
    return words + [p for w in words if re.search(r"[./]", w)
                    for p in re.split(r"[./]+", w) if p and p != w]


def words_naming(text: str, dep: DeploymentInfo, inventory: Inventory) -> frozenset[str]:
    """The words of ``text`` that each name ``dep``, a part of its name ("recorder" of
    session-recorder) as well as the whole."""
    taken = frozenset(d.name for d in inventory.deployments)
    return frozenset(w for w in _candidate_words(text.lower()) if _score([w], w, dep, taken) > 0)


def _name_like(word: str, inventory: Inventory) -> bool:
    """Could ``word`` be someone naming a service we don't have?"""
    if word in _STOPWORDS or len(word) < 3 or word.isdigit() or is_ordinary(word):
        return False
    known = {d.namespace for d in inventory.deployments} | {
        a.name.lower() for a in inventory.alerts
    }
    return word not in known


def firing_about(dep: DeploymentInfo, inventory: Inventory,
                  autoscalers: Collection[str] | None = None) -> list[AlertInfo]:
    """Alerts firing now whose labels name the workload, its service, one of its pods or
    (unless ``autoscalers`` is empty) its autoscaler."""
    about = []
    for alert in inventory.alerts:
        labels = alert.labels
        if alert.state != "firing" or labels.get("namespace") not in (None, dep.namespace):
            continue
        if labels_name_workload(labels, dep.name, dep.service, autoscalers):
            about.append(alert)
    return about


def _firing_naming(dep: DeploymentInfo, inventory: Inventory) -> list[AlertInfo]:
    """Alerts firing in the workload's namespace with a label of any name set to its name:
    rules about a consumer, a queue's worker or a cluster label it their own way
    (``consumer``, ``consumergroup``, ``cluster``)."""
    return [a for a in inventory.alerts
            if a.state == "firing" and a.labels.get("namespace") == dep.namespace
            and dep.name in a.labels.values()]


def _all_firing_about(dep: DeploymentInfo, inventory: Inventory) -> bool:
    """Every alert firing in the workload's namespace is about it."""
    about = {id(a) for a in (*firing_about(dep, inventory), *_firing_naming(dep, inventory))}
    return all(id(a) in about for a in inventory.alerts
               if a.state == "firing" and a.labels.get("namespace") == dep.namespace)


def _in_trouble(dep: DeploymentInfo, inventory: Inventory) -> bool:
    """Visible in the inventory alone: pods not ready, or a firing alert about it."""
    return dep.ready_replicas < dep.replicas or bool(firing_about(dep, inventory))


def in_trouble(inventory: Inventory) -> list[DeploymentInfo]:
    """Workloads whose trouble shows in the inventory alone."""
    return [d for d in inventory.deployments if _in_trouble(d, inventory)]


_BETWEEN_CLAUSES = re.compile(r"[,;:!?\n]+|\.(?:\s|$)|\b(?:and|also|btw|fyi|but)\b")


def _overview_scope(text: str, inventory: Inventory) -> str | None:
    """The namespace ("" for all) of a question that asks how things stand: one clause of
    ordinary words alone ("what's on fire"), the rest ordinary too or a remark beside it
    ("db password is ..."), and no name but at most one namespace's ("... in billing?").
    None when the question names or tells anything else."""
    namespaces = {d.namespace for d in inventory.deployments}
    clauses = [_candidate_words(c) for c in _BETWEEN_CLAUSES.split(text)]
    clauses = [c for c in clauses if c]
    named = {w for c in clauses for w in c if w in namespaces}
    if len(named) > 1:
        return None

    def plain(word: str) -> bool:
        return is_ordinary(word) or word.isdigit() or word in named

    asking = [c for c in clauses if all(plain(w) for w in c)]
    if not asking or not all(plain(w) or is_aside(w) for c in clauses for w in c):
        return None
    return next(iter(named), "")


def _by_evidence(text: str, inventory: Inventory) -> DeploymentInfo | None:
    """The one workload in trouble, when the question names a namespace but no workload in
    it ("billing pods keep restarting"), or names nothing at all ("pods keep restarting").
    A name we do not know ("inventory-service is down", "billing is crash looping") gets a
    question back instead: it may be a workload this environment cannot see."""
    named = {d.namespace for d in inventory.deployments
             if name_pattern(d.namespace).search(text)}
    if not named and any(_name_like(w, inventory) for w in _candidate_words(text)):
        return None
    pool = [d for d in inventory.deployments if not named or d.namespace in named]
    troubled = [d for d in pool if _in_trouble(d, inventory)]
    # An alert about its autoscaler says it has no room left to scale, not that it fails:
    # beside a workload whose own pods or alerts show trouble, it is not the one meant.
    failing = [d for d in troubled if d.ready_replicas < d.replicas
               or firing_about(d, inventory, autoscalers=())]
    if len(troubled) == 1 or len(failing) == 1:
        return (failing or troubled)[0]
    return pool[0] if named and len(pool) == 1 else None


def _has_subject(entities: LinkedEntities) -> bool:
    """The thread is about one thing a follow-up can mean without naming it: a workload,
    or what its alert names (a Job, a node, a volume, a quota)."""
    return any((entities.deployment, entities.job_name, entities.node,
                entities.persistentvolumeclaim, entities.persistentvolume,
                entities.resourcequota))


def _moves_namespace(text: str, inventory: Inventory, previous: LinkedEntities) -> bool:
    """A follow-up that names namespaces, none of them the thread's ("and the one in
    billing?"), is about something there, not about the thread's workload."""
    named = {d.namespace for d in inventory.deployments
             if name_pattern(d.namespace).search(text)}
    return bool(named) and previous.namespace not in named


def _settle_loose_tie(tied: list[DeploymentInfo], inventory: Inventory,
                      previous: LinkedEntities | None) -> DeploymentInfo | None:
    """Of workloads a question names only loosely and equally ("bookings fail" of
    slot-booker and slot-booker-notify), the one the thread is already about, else the one
    in trouble when exactly one is; otherwise the question stays ambiguous."""
    if previous is not None:
        ours = [d for d in tied
                if (d.namespace, d.name) == (previous.namespace, previous.deployment)]
        if ours:
            return ours[0]
    troubled = [d for d in tied if _in_trouble(d, inventory)]
    return troubled[0] if len(troubled) == 1 else None


def _describes_symptom(text: str) -> bool:
    # symptoms.py builds on this module's links, so its vocabulary is read at call time.
    from assistant.planning.symptoms import symptoms_in
    return bool(symptoms_in(text))


_POINTS_BACK = re.compile(
    r"\b(?:it|its|it[’']s|the pods?|this pods?|these pods|that pod|the containers?|"
    r"the service|this one|that one)\b")


def link_entities(
    question: str,
    alert: dict[str, str] | None,
    inventory: Inventory,
    previous: LinkedEntities | None = None,
) -> Linking:
    """Link from the asker's own words first: a name that appears only in pasted text (a
    ticket, a chat message, a log line) is used only when their own words name nothing,
    and one only an order in it names only when it names nothing else."""
    # A redacted secret's placeholder ("[REDACTED:prefixed-token#1a2b]") names nothing:
    # its words are the redactor's, never a workload the asker meant.
    question = PLACEHOLDER_RE.sub(" ", question)
    own = split_words(question, [d.name for d in inventory.deployments]).own
    paged = _instance_asked_about(own, alert, inventory) if alert else alert
    alert = _instance_node(paged, inventory) if paged else paged
    # Asked to silence something, the asker means an alert: one the pasted text names
    # rather than a workload it mentions, or the one alert firing about their workload.
    silencing = Remedy.SILENCE in remedies_asked(question)
    linked = _link(own, alert, inventory, previous)
    # Own words that name only a namespace ("the payments team says: ...") link its one
    # workload by evidence alone; the workload a source names is what the thread is about.
    guessed = linked.source == "evidence"
    # Own words that name nothing in a thread keep it on its subject, unless what they
    # relay is about another workload ("the model team says grib-ingest keeps dying").
    # Own words that point back at the subject ("the pod prints this before it dies:")
    # say the paste is its output: the hosts a log line connects to are data.
    kept_on = linked.source == "thread" and _POINTS_BACK.search(own.lower()) is None
    if own.strip() != question.strip() and (guessed or kept_on or not linked.resolved):
        # What pasted text names outside its orders says what it is about ("HTTP 503 from
        # drm.../licence"), before a name only an order in it gives ("roll back borrow-api").
        # Own words that fit several workloads loosely ("a gate kiosk") defer to a paste
        # naming one exactly ("503 upstream turnstile-auth"); else they are asked back.
        # A thread's subject is never moved by a name only an order in a paste gives.
        whole = _link(without_orders(question, Remedy.SILENCE if silencing else None),
                      alert, inventory, previous, alert_first=silencing)
        if whole.source != "question" and not kept_on and not _describes_symptom(own):
            # A name only a pasted order gives says what the paste is about only when the
            # asker's own words describe nothing: "why are taps declined?" under a ticket
            # ordering "scale rider-api to 0" is about whatever declines the taps.
            whole = _link(question, alert, inventory, previous, alert_first=silencing)
        settles = whole.resolved and whole.source == "question"
        if (not linked.ambiguous or settles) and (
                not (guessed or kept_on) or whole.source == "question"):
            linked = _alert_only(whole, inventory) if silencing and not alert else whole
    elif own.strip() != question.strip() and linked.loose:
        # One part of a name in the asker's own words ("patients keep ringing to say they
        # can't pick a slot") defers to what they relay naming another workload by more
        # parts of its name; what the relayed words order is never read.
        relayed = without_orders(question, Remedy.SILENCE if silencing else None)
        whole = _link(relayed, alert, inventory, previous, alert_first=silencing)
        if whole.resolved and whole.source == "question" \
                and _by_parts(relayed, whole.entities, inventory) > PART_WEIGHT:
            linked = _alert_only(whole, inventory) if silencing and not alert else whole
    # So is one asking about "the erx-relay queue alert": the alert firing about it.
    about_alert = silencing or _ALERT_WORD.search(own.lower()) is not None
    linked = _with_its_alert(linked, inventory) if about_alert else linked
    linked = linked.model_copy(update={
        "alert_labels": _alert_labels(alert, linked.entities, inventory)})
    return _scoped_by(paged, linked)


def _by_parts(text: str, entities: LinkedEntities, inventory: Inventory) -> float:
    """How plainly ``text`` names the linked workload by the parts of its name alone."""
    dep = inventory.deployment(entities.namespace or "", entities.deployment or "",
                               entities.kind)
    if dep is None:
        return 0.0
    masked = _mask_longer_names(text.lower(), inventory)[dep.name]
    return _part_score(_candidate_words(masked), dep,
                       frozenset(d.name for d in inventory.deployments))


def _instance_asked_about(own: str, alert: dict[str, str],
                          inventory: Inventory) -> dict[str, str]:
    """The alert a question is about: the one it was paged with, unless the asker's own
    words name another firing instance of it ("silence KHGX" paged for site=KLIX): then
    that one, as if paged for it, so neither the paged labels nor its evidence aim what
    is done at the instance the asker did not mean."""
    name = alert.get("alertname")
    if not name:
        return alert
    other = sibling_named(own, name, {k: v for k, v in alert.items() if k != "alertname"},
                          inventory)
    if other is None or other.labels is None:
        return alert
    return {**other.labels, "alertname": name}


def _sibling(text: str, previous: LinkedEntities | None,
             inventory: Inventory) -> Linking | None:
    """A follow-up about another instance of the thread's alert, named by a piece of a
    label value ("and ashby, same noise?"): the thread moves to that instance, as if paged
    for it, so its own evidence answers (a change window explains one depot, not the other)."""
    if previous is None or previous.alertname is None or not previous.paged_labels:
        return None
    link = sibling_named(text, previous.alertname, dict(previous.paged_labels), inventory)
    if link is None or link.labels is None:
        return None
    linked = _from_alert({**link.labels, "alertname": link.alertname}, inventory)
    if linked is None:
        return None
    return Linking(entities=linked.model_copy(
        update={"paged_labels": tuple(sorted(link.labels.items()))}), source="question")


def _alert_labels(alert: dict[str, str] | None, entities: LinkedEntities,
                  inventory: Inventory) -> dict[str, str]:
    """The labels of the firing alert the thread is about, but those linking already read
    (which it checked against the inventory): the thread's own alert, else the one
    instance firing of the alert it linked."""
    if not alert and entities.alertname is not None:
        firing = [a.labels for a in inventory.alerts
                  if a.name == entities.alertname and a.state == "firing"
                  and entities.namespace in (None, a.labels.get("namespace"))]
        alert = firing[0] if len(firing) == 1 else None
    linked = set(LinkedEntities.model_fields) | {"alertname"}
    return {k: v for k, v in (alert or {}).items() if k not in linked}


def _scoped_by(alert: dict[str, str] | None, linking: Linking) -> Linking:
    """A thread still about the alert it came with keeps that alert's labels."""
    e = linking.entities
    if not alert or e.alertname is None or e.alertname != alert.get("alertname"):
        return linking
    labels = tuple(sorted((k, v) for k, v in alert.items() if k != "alertname"))
    return linking.model_copy(update={"entities": e.model_copy(update={"paged_labels": labels})})


# Between two names, words that make them one list: "session-broker and waiting-room-api".
_COORDINATED = re.compile(r"\s*(?:,|&|\+|\band\b|\bplus\b|\bas well as\b)\s*(?:also\s+)?"
                          r"(?:the\s+)?$")


def also_named(question: str, entities: LinkedEntities,
               inventory: Inventory) -> list[LinkedEntities]:
    """Workloads the asker's own words name outright in one list with the thread's ("what
    do we do about session-broker and waiting-room-api?"), in the order named. One named
    otherwise ("is journal-api affected by the journal-store trouble?") is context, not a
    subject; nor is one a clause says is fine, or one only pasted text names."""
    names = [d.name for d in inventory.deployments]
    text = _set_aside(split_words(question, names).own.lower(), names)
    scored, masked = _scored(text, inventory)
    spans = []
    for score, dep in scored:
        found = name_pattern(dep.name).search(masked[dep.name])
        if score >= NAMED_OUTRIGHT and found is not None:
            spans.append((found.start(), found.end(), dep))
    spans.sort(key=lambda span: span[0])
    ours = [i for i, (_, _, d) in enumerate(spans)
            if (d.namespace, d.name) == (entities.namespace, entities.deployment)]
    if not ours:
        return []
    listed = {ours[0]}
    for step in (-1, 1):
        i = ours[0]
        while 0 <= i + step < len(spans):
            left, right = sorted((i, i + step))
            if not _COORDINATED.match(text[spans[left][1]:spans[right][0]]):
                break
            i += step
            listed.add(i)
    return [entities_of(spans[i][2]) for i in sorted(listed) if i != ours[0]]


def _alert_only(linking: Linking, inventory: Inventory) -> Linking:
    """An alert found in pasted text, without the namespace the paste put it in: which of
    its instances to silence is the evidence's call (a change window, known noise), or the
    asker's, never the pasted text's."""
    name = linking.entities.alertname
    where = {a.labels.get("namespace") for a in inventory.alerts if a.name == name}
    if name is None or len(where) < 2:
        return linking
    return Linking(entities=LinkedEntities(alertname=name), source=linking.source)


def _with_its_alert(linking: Linking, inventory: Inventory) -> Linking:
    e = linking.entities
    dep = inventory.deployment(e.namespace or "", e.deployment or "", e.kind)
    if dep is None or e.alertname is not None:
        return linking
    names = ({a.name for a in firing_about(dep, inventory)}
             or {a.name for a in _firing_naming(dep, inventory)}
             or {a.name for a in inventory.alerts
                 if a.state == "firing" and a.labels.get("namespace") == dep.namespace})
    if len(names) != 1:
        return linking
    return linking.model_copy(update={"entities": e.model_copy(update={"alertname": names.pop()})})


def _scored(text: str, inventory: Inventory
            ) -> tuple[list[tuple[float, DeploymentInfo]], dict[str, str]]:
    """The workloads ``text`` names, best first, and the text as each one's score saw it."""
    taken = frozenset(d.name for d in inventory.deployments)
    masked = _mask_longer_names(text, inventory)
    scored = sorted(
        (
            (_score(_candidate_words(masked[d.name]), masked[d.name], d, taken), d)
            for d in inventory.deployments
        ),
        key=lambda pair: pair[0],
        reverse=True,
    )
    return _inside_named_namespaces([(s, d) for s, d in scored if s > 0], text,
                                    inventory), masked


def _anchor(text: str, alert: dict[str, str] | None, previous: LinkedEntities | None,
            default: str) -> str:
    """The namespace the thread stays in unless the words name a workload outright: a fresh
    page's alert's, or the thread subject's when the words point back at it."""
    if previous is not None and previous.deployment is not None:
        pointed = _POINTS_BACK.search(text) is not None
        return (previous.namespace or default) if pointed else default
    return alert.get("namespace", default) if alert else default


def _link(
    question: str,
    alert: dict[str, str] | None,
    inventory: Inventory,
    previous: LinkedEntities | None,
    alert_first: bool = False,
) -> Linking:
    if alert:
        from_alert = _from_alert(alert, inventory)
        if from_alert is not None and from_alert.deployment:
            return Linking(entities=from_alert, source="alert")
    text = question.lower()
    words = _candidate_words(text)
    scored, masked = _scored(text, inventory)
    aside = _set_aside(text, [d.name for d in inventory.deployments])
    if aside != text:
        # Only when something else is named: "payments-api is fine, right?" is about it.
        # With no workload named outright, a namespace said to be fine ("dispatch is fine")
        # chooses neither an alert's instance nor the workload in trouble.
        others, others_masked = _scored(aside, inventory)
        if others or not scored or scored[0][0] < NAMED_OUTRIGHT:
            text, scored, masked = aside, others, others_masked
    if scored and (alert_first or scored[0][0] <= PART_WEIGHT) \
            and link_alert(text, inventory) is not None:
        # "the consumer lag alert" names an alert; "consumer" alone names no workload.
        scored = []
    if scored and scored[0][0] < NAMED_OUTRIGHT \
            and scored[0][1].namespace != _anchor(text, alert, previous, scored[0][1].namespace):
        # A fresh page's alert is what its thread is about, and so is a thread's subject
        # the asker points back at ("the pod prints this before it dies: ... is the catalog
        # password wrong?"): a word naming a workload elsewhere short of its name ("is it
        # the gateway swap?" beside viewer-gateway) does not move it to another namespace.
        scored = []
    if scored and scored[0][0] < NAMED_OUTRIGHT and _named_node(text, inventory) is not None:
        # A node named outright ("is ip-10-61-5-30 fine now?") is what the question is
        # about, not a workload a word names by a part of its name ("#payroll-ops").
        scored = []
    # A Job or CronJob named more plainly than any workload is what the question is about;
    # the alert a thread came with speaks first.
    batch = _named_batch(text, inventory) if not alert else None
    if batch is not None and (not scored or batch[0] > scored[0][0]):
        return batch[1]
    if scored:
        top_score, top = scored[0]
        rivals = [d for s, d in scored[1:] if top_score - s < 0.05]
        if rivals:
            # "search-api in the search namespace": a mentioned namespace settles a tie.
            tied = [top, *rivals]
            rest = text
            for d in tied:
                rest = name_pattern(d.name).sub(" ", rest)
            named = [d for d in tied if name_pattern(d.namespace).search(rest)]
            if len(named) == 1:
                top, rivals = named[0], []
        if rivals:
            subject = _subject(text, [top, *rivals], masked)
            if subject is not None:
                top, rivals = subject, []
        if rivals and top_score < NAMED_OUTRIGHT:
            settled = _settle_loose_tie([top, *rivals], inventory, previous)
            if settled is not None:
                top, rivals = settled, []
        if rivals:
            names = tuple(f"{d.namespace}/{d.name}" for d in [top, *rivals])
            return Linking(entities=LinkedEntities(), source="question", ambiguous=names)
        pod = next((p for p in top.pods if p in text), None) or _pod_like(text, top)
        alertname = alert.get("alertname") if alert else None
        objects = _alert_objects(alert, top.namespace) if alert else {}
        linked = entities_of(top, pod).model_copy(update={"alertname": alertname, **objects})
        fresh = (previous is None or previous.deployment is None) and not alert
        return Linking(entities=linked, source="question",
                       loose=fresh and top_score <= PART_WEIGHT,
                       partial=fresh and top_score < NAMED_OUTRIGHT)
    if alert:
        from_alert = _from_alert(alert, inventory)
        if from_alert is not None:
            return Linking(entities=from_alert, source="alert")
    named_alert = link_alert(text, inventory)
    sibling = _sibling(text, previous, inventory) if named_alert is None else None
    if sibling is not None:
        return sibling
    if named_alert is None and (previous is None or not _has_subject(previous)):
        meant = alerts_meant(text, inventory)
        if len(meant) > 1:
            # "the lag alert" with two lag alerts firing: the asker says which.
            return Linking(entities=LinkedEntities(), source="question",
                           ambiguous=tuple(where_firing(n, inventory) for n in meant))
    named_node = _named_node(text, inventory) if named_alert is None else None
    if named_node is not None:
        return Linking(entities=named_node, source="question")
    scope = _overview_scope(text, inventory) if named_alert is None and previous is None \
        else None
    if scope is not None:
        # Nothing named but a namespace, and no symptom told: a question about everything
        # (there), not about the one workload in trouble, unless that one is all that
        # fires there ("anything wrong in netcore?" with only its DaemonSet alerting).
        troubled = _by_evidence(text, inventory) if scope else None
        if troubled is not None and _all_firing_about(troubled, inventory):
            return Linking(entities=entities_of(troubled), source="evidence")
        return Linking(entities=LinkedEntities(namespace=scope or None), source="none",
                       overview=True)
    named_object = _named_object(words, inventory) if named_alert is None else None
    if named_object is not None:
        return Linking(entities=named_object, source="question")
    if named_alert is None and (previous is None or not _has_subject(previous)
                                or _moves_namespace(text, inventory, previous)):
        troubled = _by_evidence(text, inventory)
        if troubled is not None:
            return Linking(entities=entities_of(troubled), source="evidence")
    if named_alert is not None:
        if named_alert.labels is not None:
            # One firing instance: its labels link like an alert the thread came with.
            from_labels = _from_alert({**named_alert.labels,
                                       "alertname": named_alert.alertname}, inventory)
            if from_labels is not None:
                # The words picked that instance out: the thread is about it, as if paged.
                instance = tuple(sorted(named_alert.labels.items()))
                return Linking(entities=from_labels.model_copy(
                    update={"paged_labels": instance}), source="question")
        # Firing in several namespaces with none named: the evidence (which of them a
        # change window or known noise explains) decides, or the planner asks.
        return Linking(entities=LinkedEntities(namespace=named_alert.namespace,
                                               alertname=named_alert.alertname),
                       source="question")
    # A thread paged for one instance of an alert ("DepotHeartbeatMissing, harlow") is
    # about that instance: "ok silence it" means it.
    if previous is not None and (_has_subject(previous) or (
            previous.alertname is not None and previous.paged_labels)):
        return Linking(entities=previous, source="thread")
    unmatched = tuple(w for w in words if _name_like(w, inventory))
    return Linking(entities=LinkedEntities(), source="none", unmatched=unmatched)
