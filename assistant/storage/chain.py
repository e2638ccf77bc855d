"""The audit hash chain: how an event is sealed and how a sequence of events is checked.

Pure functions over AuditEvent values; the database is read by the caller.
hash = sha256(prev_hash + "\\n" + canonical JSON of {seq, time, kind, actor, thread, payload}).

The hash alone is unkeyed: whoever can write the database can rewrite an event and recompute
every hash after it, or delete the newest events and move the head back. So each event and
the head also carry a MAC under an audit key kept outside the database (see AuditKey): the
event's MAC covers its hash (and so, through prev_hash, everything before it), the head's
covers its seq and hash. Without the key neither can be forged. Events written before audit
keys existed carry no MAC; the first sealed event after them covers them through its hash.
What the database alone can never show is that it was swapped for an older copy of itself,
or emptied wholesale; an anchor held elsewhere (``expect``, from ``opsbot audit head``) does.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
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
class AuditKey:
    """The secret that seals events and the head. Kept outside the database, by design."""

    secret: bytes = field(repr=False)
    source: str  # where it was read from, for messages

    @cached_property
    def key_id(self) -> str:
        """Names the key in stored seals without revealing it, so a process holding another
        key is told so instead of silently writing seals nobody can check."""
        return self._mac(b"opsbot audit key id")[:16]

    def seal_event(self, event_hash_: str) -> str:
        return self._seal(f"event\n{event_hash_}")

    def seal_head(self, seq: int, hash_: str) -> str:
        # A different message from seal_event's: an event's seal never passes as the head's,
        # so moving the head back onto an older event needs the key.
        return self._seal(f"head\n{seq}\n{hash_}")

    def _seal(self, message: str) -> str:
        return f"{self.key_id}:{self._mac(message.encode())}"

    def _mac(self, message: bytes) -> str:
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()


def seal_key_id(seal: str) -> str:
    return seal.partition(":")[0]


@dataclass(frozen=True)
class StoredEvent:
    event: AuditEvent
    seal: str | None  # None: written before audit keys

    @property
    def seq(self) -> int:
        return self.event.seq


@dataclass(frozen=True)
class UnreadableEvent:
    """A stored row that no longer decodes into an AuditEvent (so it was edited)."""

    seq: int
    problem: str


@dataclass(frozen=True)
class ChainHead:
    seq: int
    hash: str
    seal: str | None = None

    def render(self) -> str:
        """``SEQ:HASH``, the form ``opsbot audit head`` prints and ``--expect`` reads."""
        return f"{self.seq}:{self.hash}"


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    checked: int  # events that passed before the first bad one (all of them when ok)
    head: ChainHead
    first_bad_seq: int | None = None
    problem: str | None = None
    sealed: int = 0  # of the checked events, those whose MAC was checked
    key_id: str | None = None  # the key the seals were checked with

    def summary(self) -> str:
        if self.ok:
            return (
                f"audit log OK: {self.checked} events, chain head seq {self.head.seq} "
                f"hash {self.head.hash[:16]}; {self._sealing()}"
            )
        if self.first_bad_seq is None:
            return f"audit log NOT VERIFIED: {self.problem}"
        return f"audit log BROKEN at seq {self.first_bad_seq}: {self.problem}"

    def _sealing(self) -> str:
        unsealed = self.checked - self.sealed
        if self.key_id is None:
            return ("no audit key configured: hash chain only, which whoever can write the "
                    "database can recompute")
        parts = []
        if self.sealed:
            parts.append(f"{self.sealed} sealed with audit key {self.key_id}")
        if unsealed:
            parts.append(f"{unsealed} written before audit keys (hash chain only, covered by "
                         "the first sealed event after them)" if self.sealed else
                         f"{unsealed} written before audit keys (hash chain only)")
        return ", ".join(parts) or f"audit key {self.key_id}"


def check_chain(
    events: Iterable[StoredEvent | UnreadableEvent],
    head: ChainHead,
    *,
    key: AuditKey | None = None,
    expect: ChainHead | None = None,
) -> VerifyReport:
    """Check events in seq order against each other, their seals, the recorded head and an
    anchor held outside the database.

    Names the first bad seq: a missing number (deleted), a row whose contents no longer
    match its hash (edited, or moved to another seq), a row that does not link to the one
    before it (reordered, or the one before was rewritten), a seal that does not verify
    (rewritten with a recomputed chain), a chain end that disagrees with the head (newest
    events deleted, or rows appended behind the log's back), or an event that differs from
    ``expect`` or is missing although ``expect`` says it was written.
    """
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    sealed = 0
    key_id = key.key_id if key else None

    def broken(seq: int, problem: str) -> VerifyReport:
        return VerifyReport(ok=False, checked=checked, head=head, first_bad_seq=seq,
                            problem=problem, sealed=sealed, key_id=key_id)

    for stored in events:
        if stored.seq != expected_seq:
            return broken(
                expected_seq,
                f"event {expected_seq} is missing (the next stored event is {stored.seq}): "
                "deleted",
            )
        if isinstance(stored, UnreadableEvent):
            return broken(stored.seq, stored.problem)
        event = stored.event
        link = _link_problem(event, prev_hash)
        if link:
            return broken(event.seq, link)
        if stored.seal is not None and key is None:
            return _unverifiable(checked, head, stored.seal)
        seal_problem = _seal_problem(stored, sealed > 0, key)
        if seal_problem:
            return broken(event.seq, seal_problem)
        if expect is not None and event.seq == expect.seq and event.hash != expect.hash:
            return broken(event.seq, f"its hash differs from the anchor held outside the "
                                     f"database (--expect {expect.render()}): the log up to "
                                     "it was rewritten")
        sealed += stored.seal is not None
        prev_hash = event.hash
        expected_seq += 1
        checked += 1

    last_seq = expected_seq - 1
    if expect is not None and expect.seq > last_seq:
        return broken(
            last_seq + 1,
            f"the log ends at seq {last_seq} but the anchor held outside the database "
            f"(--expect {expect.render()}) says event {expect.seq} was written: "
            f"events {last_seq + 1}..{expect.seq} were deleted",
        )
    if expect is not None and expect.seq == 0 and expect.hash != GENESIS_HASH:
        return broken(1, f"--expect {expect.render()}: an empty log's hash is always "
                         f"{GENESIS_HASH[:16]}…, so this anchor is not one `opsbot audit head` "
                         "printed")
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
    if head.seal is not None and key is None:
        return _unverifiable(checked, head, head.seal)
    head_problem = _head_seal_problem(head, sealed > 0, key)
    if head_problem:
        return broken(last_seq + 1, head_problem)
    return VerifyReport(ok=True, checked=checked, head=head, sealed=sealed, key_id=key_id)


def _link_problem(event: AuditEvent, prev_hash: str) -> str | None:
    problems = []
    if event.prev_hash != prev_hash:
        problems.append(
            f"its prev_hash does not match the hash of event {event.seq - 1} "
            "(reordered, or an earlier event was rewritten)"
        )
    if recomputed_hash(event) != event.hash:
        problems.append("its contents do not match its hash (edited, or moved to this seq)")
    return "; ".join(problems) or None


class ChainSegment:
    """Checks a run of events read in seq order, starting right after event ``after``
    (whose hash is ``after_hash``): none missing, each linked to the one before and
    unedited, and sealed under ``key`` when one is configured. An export ships only what
    passed, so a SIEM never receives a rewritten stretch of the log as genuine."""

    def __init__(self, after: int, after_hash: str, key: AuditKey | None) -> None:
        self._seq = after
        self._hash = after_hash
        self._key = key
        self._sealed = False

    def problem(self, stored: StoredEvent | UnreadableEvent) -> str | None:
        """Why ``stored`` (the next event read) breaks the chain; None when it extends it."""
        expected = self._seq + 1
        if stored.seq != expected:
            return (f"event {expected} is missing (the next stored event is {stored.seq}): "
                    "deleted")
        if isinstance(stored, UnreadableEvent):
            return f"event {stored.seq}: {stored.problem}"
        problem = (_link_problem(stored.event, self._hash)
                   or _seal_problem(stored, self._sealed, self._key))
        if problem:
            return f"event {stored.seq}: {problem}"
        self._seq, self._hash = stored.seq, stored.event.hash
        self._sealed = self._sealed or stored.seal is not None
        return None


def _unverifiable(checked: int, head: ChainHead, seal: str) -> VerifyReport:
    return VerifyReport(
        ok=False, checked=checked, head=head,
        problem=f"the log is sealed with audit key {seal_key_id(seal)}, and no audit key is "
                "configured here: set OPSBOT_AUDIT_KEY_FILE to that key to check the seals")


def _seal_problem(stored: StoredEvent, after_sealed: bool, key: AuditKey | None) -> str | None:
    if key is None:
        return None
    if stored.seal is None:
        if after_sealed:
            return ("it carries no seal although the events before it do (its seal was "
                    "stripped, or a process without the audit key wrote it)")
        return None
    if seal_key_id(stored.seal) != key.key_id:
        return (f"it is sealed with audit key {seal_key_id(stored.seal)}, not the configured "
                f"{key.key_id} (forged, or OPSBOT_AUDIT_KEY_FILE names another key)")
    if not hmac.compare_digest(stored.seal, key.seal_event(stored.event.hash)):
        return ("its seal does not match its hash (rewritten and the chain recomputed by "
                "someone without the audit key)")
    return None


def _head_seal_problem(head: ChainHead, any_sealed: bool, key: AuditKey | None) -> str | None:
    if key is None:
        return None
    after = f"events after {head.seq} were deleted and the head moved back, or the head was "
    if head.seal is None:
        if any_sealed:
            return (f"the chain head (seq {head.seq}) carries no seal although the events "
                    f"do: {after}rewritten")
        return None
    if not hmac.compare_digest(head.seal, key.seal_head(head.seq, head.hash)):
        return f"the chain head (seq {head.seq}) fails its seal: {after}rewritten"
    return None
