"""The ids that tie one question or click together across log lines and audit events.

A correlation id is minted when a question or a click starts being handled and lives in
a context variable, so every log record and every audit event written while handling it
carries the same id, whichever module writes them. Thread and proposal ids ride along for
the log lines.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_correlation: ContextVar[str | None] = ContextVar("opsbot_correlation_id", default=None)
_thread: ContextVar[str | None] = ContextVar("opsbot_thread_id", default=None)
_proposal: ContextVar[str | None] = ContextVar("opsbot_proposal_id", default=None)


def new_correlation_id() -> str:
    return secrets.token_hex(8)


def correlation_id() -> str | None:
    return _correlation.get()


def current_ids() -> dict[str, str | None]:
    """What a log record is stamped with."""
    return {"correlation_id": _correlation.get(), "thread_id": _thread.get(),
            "proposal_id": _proposal.get()}


@contextmanager
def handling(*, thread_id: str | None = None, proposal_id: str | None = None,
             correlation: str | None = None) -> Iterator[str]:
    """Within the block, log records and audit events carry one correlation id:
    ``correlation`` (the id of the request that queued this work on another thread), else
    the one already in force (a Slack job handling this question), else a new one."""
    cid = correlation or _correlation.get() or new_correlation_id()
    tokens = [_correlation.set(cid)]
    if thread_id is not None:
        tokens.append(_thread.set(thread_id))
    if proposal_id is not None:
        tokens.append(_proposal.set(proposal_id))
    try:
        yield cid
    finally:
        for token in reversed(tokens):
            token.var.reset(token)
