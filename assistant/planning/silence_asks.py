"""What the asker's own words say about a silence they ask for: how long, and which of the
firing alerts. Pure.

"mute NodeFilesystemSpaceFillingUp on 3-17 for 2h" sets the silence to two hours and to the
one firing alert whose instance ends in 3-17. Only the asker's own words count: a duration
or a host in pasted text (a ticket, a bot's message) or in a runbook's example is no choice
of theirs. A duration outside the tool's limits is not used, and said so; a fragment that
fits no firing alert, or several, narrows nothing: matchers only ever narrow to labels a
firing alert carries.

Only a length the silencing itself is given counts: "has been re-seeding for 2 days" or
"failing for 3 days btw" says how long something has gone on, not how long to be quiet.
A length far past the end of the change window the alert fires in is not taken unless the
asker insists on it: the window's end is, and the answer says so. A host the asker names
that no firing alert of that name carries ("on ip-10-20-3-99" when only 3-17 fires) is
said, and no silence is proposed in its place: the asker says which one they meant. An
alert named loosely ("the claims queue alert") that the evidence calls real (a change
window explains a same-named one elsewhere, not it) is not silenced, and the answer says
why: the asker most likely means the noisy one, and muting the real one would hide it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from assistant.analysis import Contradiction, Finding, Remedy
from assistant.models import Inventory, ToolCall
from assistant.planning.alert_linking import (
    piece_of,
    told_apart,
    value_words,
    where_firing,
    without_left_out,
)
from assistant.planning.intent import remedies_asked, split_words
from assistant.planning.offline import PlannedCall
from assistant.planning.review import Target, concerns, ordered_over
from tools.catalog import CATALOG

_MINUTES = {"m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1,
            "h": 60, "hr": 60, "hrs": 60, "hour": 60, "hours": 60,
            "d": 24 * 60, "day": 24 * 60, "days": 24 * 60}
_UNIT = "|".join(sorted(_MINUTES, key=len, reverse=True))
_AMOUNT = r"(\d{1,4}(?:\.\d)?|an?|one|half an?)"
# "for 2h", "for the next 90 minutes", "for an hour": a length, not a time of day.
_DURATION = re.compile(rf"\bfor\s+(?:the\s+)?(?:next\s+)?{_AMOUNT}\s*({_UNIT})\b")
# Asking for quiet, as an order: the verbs the catalog knows a silence by, and "keep it
# muted". "it was silenced for 2 days" tells of a silence, it asks for none.
_SILENCING = re.compile("|".join([
    *(s.asked_by.pattern for s in CATALOG.values()
      if s.remedy is Remedy.SILENCE and s.asked_by is not None),
    r"\b(?:keep|leave)\s+(?:\w+\s+){0,3}?(?:muted|silenced)\b"]))
_SENTENCES = re.compile(r"(?<=[.!?;])\s+|\n+")
_CLAUSES = re.compile(r",|:\s|\s+-+\s+|\s+(?:and|but|since|because|cause|as|while|so|though|"
                      r"although|btw|fyi)\s+")
# Between the verb and the length, words that start a description of something else:
# "mute the alert that has fired for 3 days", "silence the one flapping for 2 days" (a
# word in -ing just before the length, unless it names a thing: "the alert in billing").
_DESCRIBING = re.compile(r"\b(?:been|has|have|had|is|are|was|were|which|who)\b")
_ING_BEFORE = re.compile(r"\b([a-z-]+ing)\s*$")
# After the length, words that make it how long something has gone on: "for 3 days now".
_GONE_ON = re.compile(r"^\s*(?:now|already|ago|straight|running|in a row|on and off)\b")
_BARE_LENGTH = re.compile(rf"^\s*(?:please\s+)?{_DURATION.pattern}\s*(?:please)?\s*$")
# The asker keeping their length past the change window's end, knowingly.
_INSISTS = re.compile(r"\b(?:insist\w*|anyway|regardless|i know|even (?:after|past|beyond|"
                      r"though|if|when)|(?:past|beyond|after|longer than|outlast\w*) the "
                      r"(?:\w+ )?window)\b")
FAR_PAST_WINDOW = 2  # a length over this many times the window's rest is far past it
FAR_PAST_MINUTES = 60  # and over it by at least this much
# Labels that name the one thing an alert fires about; a fragment of one ("3-17" of
# instance ip-10-20-3-17.eu-west-1.compute.internal:9100) can pick that alert out.
_OBJECT_LABELS = ("instance", "node", "pod", "host", "hostname", "container", "device",
                  "mountpoint", "persistentvolumeclaim", "persistentvolume")
_DIGITS = re.compile(r"\d+")
_LETTERS = re.compile(r"[a-z]+")
COMMENT_WORDS = 200  # characters of the asker's words quoted in a silence's comment


@dataclass(frozen=True)
class SilenceAsks:
    candidates: tuple[PlannedCall, ...]
    notes: tuple[str, ...]
    dropped: tuple[tuple[PlannedCall, str], ...] = ()  # silences the asker's words set aside


def _amount(m: re.Match[str]) -> int:
    amount = m.group(1)
    count = 0.5 if amount.startswith("half") else 1.0 if not amount[0].isdigit() \
        else float(amount)
    return round(count * _MINUTES[m.group(2)])


def _silencing_length(clause: str, m: re.Match[str], things: Collection[str]) -> bool:
    """The length ``m`` in ``clause`` is one the silencing is given: after the verb with no
    description between, or leading the clause the verb is in."""
    if _GONE_ON.match(clause[m.end():]):
        return False
    verbs = [v for v in _SILENCING.finditer(clause) if v.end() <= m.start()]
    if verbs:
        between = clause[verbs[-1].end():m.start()]
        ing = _ING_BEFORE.search(between)
        return not _DESCRIBING.search(between) and (ing is None or ing[1] in things)
    return not clause[:m.start()].strip() and _SILENCING.search(clause) is not None


def stated_minutes(own: str, things: Collection[str] = ()) -> int | None:
    """The one length the words give the silencing ("silence it for 2h", "for 2h, mute
    it"); None when they give none or several. ``things``: the names of what is running
    and firing, in lower case, which are no description ("the alert in billing")."""
    found: set[int] = set()
    for sentence in _SENTENCES.split(own.lower()):
        ordering = _SILENCING.search(sentence) is not None
        for clause in _CLAUSES.split(sentence):
            # "for 2h, silence it": a clause that is only a length belongs to the order.
            bare = ordering and _BARE_LENGTH.match(clause) is not None
            found.update(_amount(m) for m in _DURATION.finditer(clause)
                         if bare or _silencing_length(clause, m, things))
    return found.pop() if len(found) == 1 else None


def _things(inventory: Inventory) -> set[str]:
    """Every word of a name of what runs or fires: namespaces, workloads, label values."""
    names = [*(f"{d.namespace} {d.name}" for d in inventory.deployments),
             *(v for a in inventory.alerts for v in a.labels.values())]
    return {w for name in names for pattern in (r"[a-z0-9-]+", r"[a-z0-9]+")
            for w in re.findall(pattern, name.lower())}


def _firing(alertname: str, inventory: Inventory) -> list[dict[str, str]]:
    return [a.labels for a in inventory.alerts if a.name == alertname and a.state == "firing"]


def named_labels(own: str, alertname: str, inventory: Inventory) -> dict[str, str]:
    """The labels of the one firing ``alertname`` the words pick out by a piece of what it
    fires about; {} when they pick out none, or name pieces of several. One named only to
    leave it out ("kessel-valley is real, leave that one alone") is not picked."""
    firing = _firing(alertname, inventory)
    own = without_left_out(own)
    picked: dict[int, dict[str, str]] = {}
    for token in value_words(_DURATION.sub(" ", own.lower()), alertname):
        fits = {i: {k: labels[k]} for i, labels in enumerate(firing)
                for k in _OBJECT_LABELS if k in labels and piece_of(token, labels[k])}
        if len(fits) == 1:
            for i, labels in fits.items():
                picked.setdefault(i, {}).update(labels)
    # A whole value of any label that tells instances apart ("the nordic-pub feed").
    alerts = [a for a in inventory.alerts if a.name == alertname and a.state == "firing"]
    by_value = told_apart(_DURATION.sub(" ", own.lower()), alerts)
    if len(by_value) == 1:
        for i, labels in by_value.items():
            picked.setdefault(i, {}).update(labels)
    return next(iter(picked.values())) if len(picked) == 1 else {}


def _shape(text: str) -> str:
    return _LETTERS.sub("a", _DIGITS.sub("0", text))


def _shaped_like(token: str, value: str) -> bool:
    """``token`` is written the way a piece of ``value`` is: "ip-10-20-3-99" or "3-99" of
    ip-10-20-3-17.eu-west-1.compute.internal:9100, with that value's words and, when it
    has none of its own, one of its numbers."""
    value = value.lower()
    if not re.search(r"[-.:_/]", token) or not piece_of(_shape(token), _shape(value)):
        return False
    letters = _LETTERS.findall(token)
    if letters:
        return set(letters) <= set(_LETTERS.findall(value))
    return bool(set(_DIGITS.findall(token)) & set(_DIGITS.findall(value)))


def unfired_names(own: str, alertname: str, inventory: Inventory) -> list[str]:
    """The words naming a host, pod or volume the way the firing ``alertname`` alerts name
    theirs, that none of them carries: the asker means one that does not fire."""
    firing = _firing(alertname, inventory)
    values = [labels[k] for labels in firing for k in _OBJECT_LABELS if k in labels]
    return sorted(token for token in value_words(_DURATION.sub(" ", own.lower()), alertname)
                  if not any(piece_of(token, v) for labels in firing for v in labels.values())
                  and any(_shaped_like(token, v) for v in values))


def _evidence_elsewhere(alertname: str, named: dict[str, str],
                        findings: Sequence[Finding]) -> str:
    """The instances the evidence supports silencing, when every one carries another value
    of a label the asker named; "" when one fits what they named, or none is supported."""
    supported = [f for f in findings
                 if Remedy.SILENCE in f.supports and f.subject.alertname == alertname]
    if not named or not supported or any(
            all(f.alert_labels.get(k, v) == v for k, v in named.items()) for f in supported):
        return ""
    return "; ".join(dict.fromkeys(f.subject.render() for f in supported))


def _fits(args_model: type[BaseModel], args: dict[str, object]) -> bool:
    try:
        args_model.model_validate(args)
    except ValidationError:
        return False
    return True


def _target(cand: PlannedCall) -> Target:
    matchers = cand.call.args.get("matchers")
    return Target(alertname=str(cand.call.args.get("alertname", "")),
                  matchers=matchers if isinstance(matchers, dict) else {})


def _window(cand: PlannedCall, findings: Sequence[Finding]) -> Finding | None:
    """The change window the alert this silence catches fires in, when one is known."""
    return next((f for f in findings
                 if f.minutes_left is not None and concerns(f, _target(cand))), None)


def _real(cand: PlannedCall, findings: Sequence[Finding]) -> Contradiction | None:
    """Why the evidence says the alert this silence catches is real (no window or noise
    explains it while one does a same-named alert elsewhere); None when a finding also
    explains one it catches: review then scopes it to that one."""
    about = [f for f in findings if concerns(f, _target(cand))]
    if any(Remedy.SILENCE in f.supports for f in about):
        return None
    return next((c for f in about
                 if (c := f.against(Remedy.SILENCE)) is not None and c.firm), None)


def _far_past(minutes: int, window: Finding | None) -> bool:
    left = window.minutes_left if window is not None else None
    return left is not None and minutes > FAR_PAST_WINDOW * left \
        and minutes - left >= FAR_PAST_MINUTES


def _comment(spec_args: type[BaseModel], args: dict[str, object], asker: str | None,
             own: str) -> dict[str, str]:
    """A comment of the silence's own, for one that has none but the tool's default: who
    asked and in what words (which carry the ticket, when they name one)."""
    field = spec_args.model_fields.get("comment")
    if field is None or args.get("comment", field.default) != field.default:
        return {}
    words = " ".join(own.split())
    quoted = words if len(words) <= COMMENT_WORDS else words[:COMMENT_WORDS - 1] + "…"
    return {"comment": f"asked by {asker or 'the thread'} via opsbot: \"{quoted}\""}


def with_silence_asks(question: str, candidates: Sequence[PlannedCall],
                      inventory: Inventory, findings: Sequence[Finding] = (),
                      asker: str | None = None) -> SilenceAsks:
    """``candidates`` with every silence taking the length and the alert the asker's own
    words give, as their order: review lets the evidence fill only what they left unsaid.
    ``findings``: what the evidence says, for the change window an alert fires in."""
    if Remedy.SILENCE not in remedies_asked(question):
        return SilenceAsks(tuple(candidates), ())
    own = split_words(question, [d.name for d in inventory.deployments]).own
    minutes = stated_minutes(own, _things(inventory))
    kept: list[PlannedCall] = []
    notes: list[str] = []
    dropped: list[tuple[PlannedCall, str]] = []

    def drop(cand: PlannedCall, why: str) -> None:
        notes.append(why)
        dropped.append((cand, why))

    for cand in candidates:
        spec = CATALOG.get(cand.call.tool)
        if spec is None or spec.remedy is not Remedy.SILENCE:
            kept.append(cand)
            continue
        alertname = str(cand.call.args.get("alertname", ""))
        unfired = unfired_names(own, alertname, inventory)
        if unfired:
            drop(cand, f"nothing silenced: no {alertname} fires on {', '.join(unfired)}; "
                       f"it fires as {where_firing(alertname, inventory)}. Which one do "
                       "you mean?")
            continue
        real = _real(cand, findings)
        if real is not None and alertname.lower() not in own.lower():
            drop(cand, f"nothing silenced: {real.why}")
            continue
        asked: dict[str, int | dict[str, str]] = {}
        own_args: dict[str, object] = {}
        if minutes is not None:
            window = _window(cand, findings)
            if not _fits(spec.args_model, {**cand.call.args, "duration_minutes": minutes}):
                notes.append(f"you asked for a {minutes}-minute silence, outside what "
                             f"{spec.name} allows: the proposal keeps its own length")
            elif window is not None and _far_past(minutes, window) \
                    and not _INSISTS.search(own.lower()):
                notes.append(f"you asked for a {minutes}-minute silence, but {alertname} "
                             f"{window.summary}: the silence ends with the window. Say you "
                             "want your length past the window's end to keep it")
            else:
                asked["duration_minutes"] = minutes
        labels = named_labels(own, alertname, inventory)
        elsewhere = _evidence_elsewhere(alertname, labels, findings)
        if elsewhere:
            # Naming one instance narrows a silence; it does not turn the one the evidence
            # supports for another instance into a silence of the named one.
            drop(cand, f"not proposed: a silence of what you named — the evidence "
                       f"supports silencing only {elsewhere}")
            continue
        if labels:
            asked["matchers"] = labels
        own_args.update(_comment(spec.args_model, dict(cand.call.args), asker, own))
        ordered = {**(cand.ordered or {}), **asked}
        call = ToolCall(tool=cand.call.tool,
                        args=ordered_over({**cand.call.args, **own_args}, asked))
        kept.append(cand.model_copy(update={"call": call, "ordered": ordered or cand.ordered}))
    return SilenceAsks(tuple(kept), tuple(notes), tuple(dropped))
