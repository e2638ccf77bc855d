"""Which tools the model is offered for one question, and which give way first. Pure.

Every tool schema costs prompt tokens on every model call, so the model is offered the
tools that can matter to this question, not every tool the user may request. The choice
reads only what the engine already knows, through the tools' own data: the general reads
(a read-only tool without a ``topic``) always; a tool the asker explicitly asks for; a tool
a retrieved runbook's typed steps use; a tool whose remedy a finding supports; a tool whose
``topic`` words the question, thread or alert name use; a tool whose ``draft`` or
``evidence`` hook can build its arguments from the linked entities. The offer narrows the
prompt, not permission: policy still decides every call the model makes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.models import ToolSpec
from assistant.planning.intent import tools_asked
from assistant.planning.offline import PlanRequest
from tools.catalog import CATALOG

# Why a tool is offered, with the weight each reason adds to its relevance. Under budget
# pressure the tool with the least relevance gives way first.
ASKED, RUNBOOK, FINDING, TOPIC, LINKED, GENERAL = (
    "asked for", "runbook step", "finding supports it", "topic", "linked entities", "general read")
WEIGHTS = {ASKED: 16, RUNBOOK: 8, FINDING: 4, TOPIC: 4, LINKED: 2, GENERAL: 2}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True)
class OfferedTool:
    name: str
    reasons: tuple[str, ...]
    mutating: bool

    @property
    def relevance(self) -> int:
        return sum(WEIGHTS[r] for r in self.reasons)


@dataclass(frozen=True)
class ToolOffer:
    """The tools chosen for one question, most relevant first."""

    tools: tuple[OfferedTool, ...]
    requestable: int  # how many tools the user may request at all

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.tools]

    def without_least_relevant(self) -> tuple[ToolOffer, str]:
        """This offer minus the tool that gives way first, and that tool's name."""
        return ToolOffer(self.tools[:-1], self.requestable), self.tools[-1].name


def choose_tools(request: PlanRequest) -> ToolOffer:
    """The requestable catalog tools that can matter to ``request``, most relevant first
    (ties: reads before mutating tools, then catalog order)."""
    allowed = [(i, CATALOG[n]) for i, n in enumerate(CATALOG) if n in request.allowed_tools]
    asked = tools_asked(request.question)
    stepped = {s.tool for book in request.runbooks.values() for s in book.steps}
    supported = {r for f in request.findings for r in f.supports}
    talk = _thread_text(request)
    bindings = request.linking.entities.bindings()
    chosen = []
    for index, spec in allowed:
        reasons = [reason for reason, holds in (
            (ASKED, spec.name in asked),
            (RUNBOOK, spec.name in stepped),
            (FINDING, spec.remedy is not None and spec.remedy in supported),
            (TOPIC, spec.topic is not None and spec.topic.search(talk) is not None),
            (LINKED, _builds_from(spec, bindings)),
            (GENERAL, spec.read_only and spec.topic is None),
        ) if holds]
        if reasons:
            chosen.append((index, OfferedTool(spec.name, tuple(reasons), not spec.read_only)))
    chosen.sort(key=lambda pair: (-pair[1].relevance, pair[1].mutating, pair[0]))
    return ToolOffer(tuple(tool for _, tool in chosen), len(allowed))


def _thread_text(request: PlanRequest) -> str:
    """What the thread says about its subject: the question, earlier messages, and the
    linked alert's name in words (KubeNodeNotReady: "Kube Node Not Ready")."""
    alert = request.linking.entities.alertname or ""
    parts: Iterable[str] = (request.question, *request.history, alert,
                            _CAMEL.sub(" ", alert))
    return "\n".join(parts)


def _builds_from(spec: ToolSpec, bindings: dict[str, str]) -> bool:
    if spec.draft is not None and spec.draft(bindings) is not None:
        return True
    return spec.evidence is not None and bool(spec.evidence(bindings))
