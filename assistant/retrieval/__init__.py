"""Runbook loading, indexing and retrieval."""

import os

# onnxruntime reports telemetry to a Microsoft endpoint unless told not to; opsbot must
# make no network call of its own (safety invariant 6). Set before onnxruntime loads.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

from assistant.retrieval.index import RunbookIndex, SyncReport
from assistant.retrieval.loading import LoadReport, load_runbooks

__all__ = ["LoadReport", "RunbookIndex", "SyncReport", "load_runbooks"]
