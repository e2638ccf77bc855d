"""Runbook loading, indexing and retrieval."""

from assistant.retrieval.index import RunbookIndex, SyncReport
from assistant.retrieval.loading import LoadReport, load_runbooks

__all__ = ["LoadReport", "RunbookIndex", "SyncReport", "load_runbooks"]
