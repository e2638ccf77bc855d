"""Findings: what the evidence says about one workload or alert, and what it implies.

A finding names its evidence (series, pods, revisions, timestamps) so a responder can check
it, and says which kinds of remedy it supports and which it contradicts, with the reason.
Remedies are kinds of action, not tools: each catalog tool says which remedy it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from assistant.models import Remedy


class Contradiction(BaseModel):
    model_config = ConfigDict(frozen=True)

    remedy: Remedy
    why: str
    # A diagnosis that rules the remedy out (firm), or only "nothing is wrong right now"
    # (not firm: the asker may be acting ahead of a problem they expect).
    firm: bool = True
    # A firm diagnosis that explains the trouble another way (the bottleneck is what it
    # calls, a leak every replica copies) outranks a finding that supports the remedy. One
    # that only observes the target as sound (a healthy revision, a clean rollout) merely
    # objects: a diagnosis of trouble there still decides.
    outranks: bool = True
    # Something that owns the value would set it straight back (an autoscaler at its
    # limit): the action changes nothing, so not even an order makes it worth an approval.
    undone: bool = False
    # When set, ``undone`` holds only for a replica count outside [low, high]: a count
    # inside stands for a while, and ``caveat`` says on the card how long and what lasts.
    holds: tuple[int, int] | None = None
    caveat: str = ""


class Subject(BaseModel):
    """What a finding is about: a workload, or an alert scoped by its labels."""

    model_config = ConfigDict(frozen=True)

    namespace: str | None = None
    workload: str | None = None
    alertname: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)  # an alert's identifying labels

    def render(self) -> str:
        if self.workload:
            return f"{self.namespace}/{self.workload}"
        scope = ", ".join(f"{k}={v}" for k, v in sorted(self.labels.items()))
        return f"alert {self.alertname}" + (f" {{{scope}}}" if scope else "")


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str  # e.g. "memory-exhaustion", "bad-rollout", "saturation", "healthy"
    subject: Subject
    summary: str
    evidence: tuple[str, ...] = ()
    supports: tuple[Remedy, ...] = ()
    contradicts: tuple[Contradiction, ...] = ()
    # What acting on it needs, learned from evidence (never from the question's words).
    healthy_revision: int | None = None  # the revision a rollback returns to
    until: datetime | None = None  # when a change window ends
    minutes_left: int | None = None  # of that window, when the finding was made
    alert_labels: dict[str, str] = Field(default_factory=dict)  # the alert's own labels

    def explains(self, alertname: str, labels: Mapping[str, str]) -> bool:
        """This finding calls that firing alert expected noise (a change window, a flap)."""
        return (Remedy.SILENCE in self.supports and self.subject.alertname == alertname
                and all(labels.get(k) == v for k, v in self.alert_labels.items()))

    def against(self, remedy: Remedy) -> Contradiction | None:
        return next((c for c in self.contradicts if c.remedy is remedy), None)

    def render(self) -> list[str]:
        lines = [f"{self.subject.render()}: {self.summary}"]
        lines.extend(f"  - {e}" for e in self.evidence)
        return lines
