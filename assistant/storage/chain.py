"""The audit hash chain: how an event is sealed and how a sequence of events is checked.

Pure functions over AuditEvent values; the database is read by the caller.
hash = sha256(prev_hash + "\\n" + canonical JSON of {seq, time, kind, actor, thread, payload}).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from assistant.models import AuditEvent, canonical_json
from assistant.storage.timestamps import db_time

GENESIS_HASH = "0" * 64


def event_hash(
    prev_hash: str,
    *,
    seq: int,
    time: datetime,
    kind: str,
    actor: str | None,
    thread: str | None,
    payload: dict[str, Any],
) -> str:
    body = canonical_json(
        {
            "seq": seq,
            "time": db_time(time),
            "kind": kind,
            "actor": actor,
            "thread": thread,
            "payload": payload,
        }
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def recomputed_hash(event: AuditEvent) -> str:
    return event_hash(event.prev_hash, **event.model_dump(exclude={"prev_hash", "hash"}))


@dataclass(frozen=True)
class UnreadableEvent:
    """A stored row that no longer decodes into an AuditEvent (so it was edited)."""

    seq: int
    problem: str


@dataclass(frozen=True)
class ChainHead:
    seq: int
    hash: str


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    checked: int  # events that passed before the first bad one (all of them when ok)
    head: ChainHead
    first_bad_seq: int | None = None
    problem: str | None = None

    def summary(self) -> str:
        if self.ok:
            return (
                f"audit log OK: {self.checked} events, chain head seq {self.head.seq} "
                f"hash {self.head.hash[:16]}"
            )
        return f"audit log BROKEN at seq {self.first_bad_seq}: {self.problem}"


def check_chain(events: Iterable[AuditEvent | UnreadableEvent], head: ChainHead) -> VerifyReport:
    """Check events in seq order against each other and against the recorded head.

    Names the first bad seq: a missing number (deleted), a row whose contents no longer
    match its hash (edited, or moved to another seq), a row that does not link to the one
    before it (reordered, or the one before was rewritten), or a chain end that disagrees
    with the head (newest events deleted, or rows appended behind the log's back).
    """
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0

    def broken(seq: int, problem: str) -> VerifyReport:
        return VerifyReport(ok=False, checked=checked, head=head, first_bad_seq=seq,
                            problem=problem)

    for event in events:
        if event.seq != expected_seq:
            return broken(
                expected_seq,
                f"event {expected_seq} is missing (the next stored event is {event.seq}): "
                "deleted",
            )
        if isinstance(event, UnreadableEvent):
            return broken(event.seq, event.problem)
        problems = []
        if event.prev_hash != prev_hash:
            problems.append(
                f"its prev_hash does not match the hash of event {event.seq - 1} "
                "(reordered, or an earlier event was rewritten)"
            )
        if recomputed_hash(event) != event.hash:
            problems.append("its contents do not match its hash (edited, or moved to this seq)")
        if problems:
            return broken(event.seq, "; ".join(problems))
        prev_hash = event.hash
        expected_seq += 1
        checked += 1

    last_seq = expected_seq - 1
    if head.seq > last_seq:
        return broken(
            last_seq + 1,
            f"events {last_seq + 1}..{head.seq} are missing: the chain head records "
            f"{head.seq} events but the log ends at {last_seq} (deleted)",
        )
    if head.seq < last_seq:
        return broken(
            head.seq + 1,
            f"event {head.seq + 1} lies beyond the chain head (seq {head.seq}): "
            "written outside the audit log",
        )
    if head.hash != prev_hash:
        return broken(
            last_seq, f"the chain head's hash does not match event {last_seq} (rewritten)"
        )
    return VerifyReport(ok=True, checked=checked, head=head)
