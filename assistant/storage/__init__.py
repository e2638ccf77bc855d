"""Storage: the audit log, proposals and claims, executors, thread messages, LangGraph
checkpoints.

SQLite by default, PostgreSQL when the URL is postgresql://; same schema on both.
"""

from assistant.storage.audit import AuditKind, AuditLog
from assistant.storage.chain import (
    GENESIS_HASH,
    AuditKey,
    ChainHead,
    VerifyReport,
    check_chain,
    event_hash,
)
from assistant.storage.checkpointer import open_checkpointer
from assistant.storage.database import Dialect, unavailable_reason
from assistant.storage.errors import (
    DatabaseUnavailableError,
    ProposalConflictError,
    StorageError,
    UnknownProposalError,
)
from assistant.storage.executors import (
    ExecutorRecord,
    ExecutorRegistry,
    executor_alive,
    new_executor_id,
)
from assistant.storage.messages import Message, MessageStore
from assistant.storage.proposals import ClaimResult, ProposalStore, StoredProposal
from assistant.storage.store import Store, open_store
from assistant.storage.verifications import FinishedWatch, VerificationStore

__all__ = [
    "GENESIS_HASH",
    "AuditKey",
    "AuditKind",
    "AuditLog",
    "ChainHead",
    "ClaimResult",
    "DatabaseUnavailableError",
    "Dialect",
    "ExecutorRecord",
    "ExecutorRegistry",
    "FinishedWatch",
    "Message",
    "MessageStore",
    "ProposalConflictError",
    "ProposalStore",
    "StorageError",
    "Store",
    "StoredProposal",
    "UnknownProposalError",
    "VerificationStore",
    "VerifyReport",
    "check_chain",
    "event_hash",
    "executor_alive",
    "new_executor_id",
    "open_checkpointer",
    "open_store",
    "unavailable_reason",
]
