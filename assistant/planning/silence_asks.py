"""What the asker's own words say about a silence they ask for: how long, and which of the
firing alerts. Pure.

"mute NodeFilesystemSpaceFillingUp on 3-17 for 2h" sets the silence to two hours and to the
one firing alert whose instance ends in 3-17. Only the asker's own words count: a duration
or a host in pasted text (a ticket, a bot's message) or in a runbook's example is no choice
of theirs. A duration outside the tool's limits is not used, and said so; a fragment that
fits no firing alert, or several, narrows nothing: matchers only ever narrow to labels a
firing alert carries.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from assistant.analysis import Finding, Remedy
from assistant.models import Inventory, ToolCall
from assistant.planning.alert_linking import told_apart
from assistant.planning.intent import remedies_asked, split_words
from assistant.planning.offline import PlannedCall
from assistant.planning.review import ordered_over
from tools.catalog import CATALOG

_MINUTES = {"m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1,
            "h": 60, "hr": 60, "hrs": 60, "hour": 60, "hours": 60,
            "d": 24 * 60, "day": 24 * 60, "days": 24 * 60}
_UNIT = "|".join(sorted(_MINUTES, key=len, reverse=True))
_AMOUNT = r"(\d{1,4}(?:\.\d)?|an?|one|half an?)"
# "for 2h", "for the next 90 minutes", "for an hour": a length, not a time of day.
_DURATION = re.compile(rf"\bfor\s+(?:the\s+)?(?:next\s+)?{_AMOUNT}\s*({_UNIT})\b")
# Labels that name the one thing an alert fires about; a fragment of one ("3-17" of
# instance ip-10-20-3-17.eu-west-1.compute.internal:9100) can pick that alert out.
_OBJECT_LABELS = ("instance", "node", "pod", "host", "hostname", "container", "device",
                  "mountpoint", "persistentvolumeclaim", "persistentvolume")
_TOKEN = re.compile(r"[a-z0-9][a-z0-9./:_-]*[a-z0-9]")
_EDGE = r"[^a-z0-9]"


@dataclass(frozen=True)
class SilenceAsks:
    candidates: tuple[PlannedCall, ...]
    notes: tuple[str, ...]


def stated_minutes(own: str) -> int | None:
    """The one length the words give ("for 2h"); None when they give none or several."""
    found = set()
    for m in _DURATION.finditer(own.lower()):
        amount = m.group(1)
        count = 0.5 if amount.startswith("half") else 1.0 if not amount[0].isdigit() \
            else float(amount)
        found.add(round(count * _MINUTES[m.group(2)]))
    return found.pop() if len(found) == 1 else None


def _fragment_of(token: str, value: str) -> bool:
    """``token`` is a whole piece of ``value``, edged by punctuation or its ends."""
    return re.search(rf"(?:^|{_EDGE}){re.escape(token)}(?:$|{_EDGE})", value.lower()) \
        is not None


def named_labels(own: str, alertname: str, inventory: Inventory) -> dict[str, str]:
    """The labels of the one firing ``alertname`` the words pick out by a piece of what it
    fires about; {} when they pick out none, or name pieces of several."""
    firing = [a for a in inventory.alerts if a.name == alertname and a.state == "firing"]
    lowered = _DURATION.sub(" ", own.lower())
    picked: dict[int, dict[str, str]] = {}
    for token in set(_TOKEN.findall(lowered)):
        if token == alertname.lower() or not (any(c.isdigit() for c in token)
                                              or len(token) >= 4):
            continue
        fits = {i: {k: a.labels[k]} for i, a in enumerate(firing)
                for k in _OBJECT_LABELS
                if k in a.labels and _fragment_of(token, a.labels[k])}
        if len(fits) == 1:
            for i, labels in fits.items():
                picked.setdefault(i, {}).update(labels)
    # A whole value of a label that tells instances apart ("the nordic-pub feed").
    by_value = told_apart(lowered, firing)
    if len(by_value) == 1:
        for i, labels in by_value.items():
            picked.setdefault(i, {}).update(labels)
    return next(iter(picked.values())) if len(picked) == 1 else {}


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


def with_silence_asks(question: str, candidates: Sequence[PlannedCall],
                      inventory: Inventory, findings: Sequence[Finding] = ()) -> SilenceAsks:
    """``candidates`` with every silence taking the length and the alert the asker's own
    words give, as their order: review lets the evidence fill only what they left unsaid."""
    if Remedy.SILENCE not in remedies_asked(question):
        return SilenceAsks(tuple(candidates), ())
    own = split_words(question, [d.name for d in inventory.deployments]).own
    minutes = stated_minutes(own)
    kept: list[PlannedCall] = []
    notes: list[str] = []
    for cand in candidates:
        spec = CATALOG.get(cand.call.tool)
        if spec is None or spec.remedy is not Remedy.SILENCE:
            kept.append(cand)
            continue
        asked: dict[str, int | dict[str, str]] = {}
        if minutes is not None:
            if _fits(spec.args_model, {**cand.call.args, "duration_minutes": minutes}):
                asked["duration_minutes"] = minutes
            else:
                notes.append(f"you asked for a {minutes}-minute silence, outside what "
                             f"{spec.name} allows: the proposal keeps its own length")
        labels = named_labels(own, str(cand.call.args.get("alertname", "")), inventory)
        elsewhere = _evidence_elsewhere(str(cand.call.args.get("alertname", "")), labels,
                                        findings)
        if elsewhere:
            # Naming one instance narrows a silence; it does not turn the one the evidence
            # supports for another instance into a silence of the named one.
            notes.append(f"not proposed: a silence of what you named — the evidence "
                         f"supports silencing only {elsewhere}")
            continue
        if labels:
            asked["matchers"] = labels
        if not asked:
            kept.append(cand)
            continue
        ordered = {**(cand.ordered or {}), **asked}
        call = ToolCall(tool=cand.call.tool, args=ordered_over(cand.call.args, asked))
        kept.append(cand.model_copy(update={"call": call, "ordered": ordered}))
    return SilenceAsks(tuple(kept), tuple(notes))

