"""`opsbot search` on an index another process is still building waits for that build
instead of opening the folder unlocked (opening an index without a manifest empties it)."""

from __future__ import annotations

import argparse
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from hashing_embedder import HashingEmbedder

from assistant.cli import search
from assistant.config import Settings
from assistant.config.reading import load_config
from assistant.retrieval import embedding
from assistant.retrieval.index import RunbookIndex, _chunk_ids
from assistant.retrieval.loading import load_runbooks


class _GatedEmbedder(HashingEmbedder):
    """Embeds only once ``go`` is set, so its sync holds the lock as long as the test says."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = threading.Event()
        self.go = threading.Event()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.embedding.set()
        self.go.wait(30)
        return super().embed(texts)


class _SearchWaits(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("waiting for another process"):
            self.seen.set()


def test_search_waits_for_a_first_index_build_in_progress(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPSBOT_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(embedding, "MiniLMEmbedder", HashingEmbedder)
    settings = Settings.from_env()
    runbooks = load_runbooks(settings.runbook_dirs).runbooks
    builder = _GatedEmbedder()
    failures: list[BaseException] = []

    def build() -> None:
        try:
            RunbookIndex.open_synced(settings.index_dir, builder, runbooks)
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    waits = _SearchWaits()
    lock_log = logging.getLogger("assistant.retrieval.lock")
    lock_log.addHandler(waits)
    monkeypatch.setattr(lock_log, "level", logging.INFO)
    indexer = threading.Thread(target=build)
    indexer.start()
    assert builder.embedding.wait(30)  # the build holds the lock, no manifest yet
    args = argparse.Namespace(question="pods crash looping after a deploy", k=3, alert=[],
                              json=True, opsbot_config=load_config(os.environ))
    searcher = threading.Thread(target=search._search, args=(args,))
    searcher.start()
    try:
        assert waits.seen.wait(30)
    finally:
        builder.go.set()
        indexer.join(60)
        searcher.join(60)
        lock_log.removeHandler(waits)
    assert failures == []
    index = RunbookIndex.open(settings.index_dir, HashingEmbedder())
    held = set(index._collection.get(include=[])["ids"])
    assert held == {cid for r in index.runbooks for cid in _chunk_ids(r)}
    assert '"rank": 1' in capsys.readouterr().out
