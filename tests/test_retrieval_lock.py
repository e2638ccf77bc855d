"""Two processes bringing one index folder up to date take turns, so the index ends
holding exactly one runbook set instead of a mix of both."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from hashing_embedder import HashingEmbedder, load

from assistant.retrieval.index import RunbookIndex, _chunk_ids
from assistant.retrieval.lock import SyncLockUnavailable

EMBED_SECONDS = 0.5  # long enough that two unserialised syncs overlap


class SlowEmbedder(HashingEmbedder):
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(EMBED_SECONDS)
        return super().embed(texts)


def _corpus(folder: Path, names: Sequence[str]) -> Path:
    folder.mkdir(parents=True)
    for name in names:
        (folder / f"{name}.md").write_text(
            f"# {name} runbook\n\n## Meaning\n\nWhat {name} means.\n\n## Fix\n\nFix {name}.\n",
            encoding="utf-8")
    return folder


def _sync(index_dir: str, corpus: str) -> None:
    RunbookIndex.open_synced(Path(index_dir), SlowEmbedder(), load(Path(corpus)))


def test_concurrent_syncs_of_one_folder_leave_one_consistent_index(tmp_path: Path) -> None:
    first = _corpus(tmp_path / "first", ["disk", "dns", "cert"])
    second = _corpus(tmp_path / "second", ["queue", "cache"])
    index_dir = tmp_path / "index"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_sync, args=(str(index_dir), str(corpus)))
               for corpus in (first, second)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    index = RunbookIndex.open(index_dir, HashingEmbedder())
    held = set(index._collection.get(include=[])["ids"])
    expected = {cid for r in index.runbooks for cid in _chunk_ids(r)}
    assert {r.id for r in index.runbooks} in ({"disk", "dns", "cert"}, {"queue", "cache"})
    assert held == expected


def test_an_index_folder_that_cannot_hold_the_lock_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the index folder should be")
    with pytest.raises(SyncLockUnavailable, match="not-a-folder"):
        RunbookIndex.open_synced(blocker / "index", HashingEmbedder(), [])
