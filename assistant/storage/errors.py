"""Errors the store reports to callers and to people."""

from __future__ import annotations

from assistant.errors import OpsbotError


class StorageError(OpsbotError):
    """The database cannot be reached, or holds something this version cannot use."""


class UnknownProposalError(StorageError):
    def __init__(self, proposal_id: str) -> None:
        self.proposal_id = proposal_id
        super().__init__(f"no proposal with id {proposal_id!r}")


class ProposalConflictError(StorageError):
    """A write that contradicts what is stored (same id, different call or arguments)."""


class DatabaseUnavailableError(StorageError):
    """The database cannot be used right now (down, restarting, or locked past the wait);
    what was being written was not written."""
