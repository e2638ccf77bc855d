"""The runbook index: a persistent Chroma collection of section vectors plus, in memory,
the runbooks and their lexical statistics, so a query touches no file.

Layout of the index folder: Chroma's own files, and ``runbooks.json`` (the manifest:
embedding model id, chunking version and every indexed runbook). The manifest is written
after Chroma, atomically, so a crash mid-sync leaves runbooks that are re-embedded next
time rather than an index that claims vectors it does not have.

Chroma holds only section ids (``<runbook id>#<section>``) and vectors: the texts and
hashes are in the manifest, and storing them again took ~40% of Chroma's write time for
20,000 sections (its full-text index of the documents, then the metadata).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ValidationError

from assistant.errors import InputError, OpsbotError
from assistant.models import RetrievalHit, Runbook
from assistant.retrieval.embedding import Embedder
from assistant.retrieval.lexical import Bm25, NameMatcher, tokenize
from assistant.retrieval.lock import sync_lock
from assistant.retrieval.ranking import rank_runbooks
from assistant.retrieval.scope import reach, runbook_reach
from assistant.retrieval.search_text import search_text
from assistant.retrieval.spelling import spell_out_identifiers

# Bump whenever the text that is embedded or tokenized for a runbook changes.
CHUNKING_VERSION = 1
COLLECTION = "runbook_sections"
MANIFEST = "runbooks.json"
# Cosine similarities are compared at this many decimals. Chroma's HNSW search is
# approximate and its graph depends on insertion threads, and the last bits of an
# embedding depend on the CPU's kernels: an exact search over rounded scores ranks the same
# question the same way on every machine (a recorded LLM prompt holds the ranking).
DENSE_DECIMALS = 4
# Sections embedded and written to Chroma per step: Chroma's per-call overhead is spread
# over many rows, and memory stays bounded (Chroma takes at most ~5,400 rows a call).
_WRITE_BATCH = 2048
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_:]*")

Progress = Callable[[int, int], None]  # (sections embedded so far, sections to embed)


class IndexUnavailable(OpsbotError):
    """The index folder cannot be used."""


@dataclass(frozen=True)
class SyncPhases:
    """Where a sync's seconds went."""

    embed: float = 0.0  # tokenizing and running the model
    store: float = 0.0  # Chroma deletes and writes
    manifest: float = 0.0  # writing runbooks.json
    lexical: float = 0.0  # BM25 statistics and the in-memory section table


@dataclass(frozen=True)
class SyncReport:
    added: int
    updated: int
    removed: int
    unchanged: int
    rebuilt: bool  # the model or chunking changed, so everything was embedded again
    chunks_embedded: int
    seconds: float
    phases: SyncPhases = field(default_factory=SyncPhases)


class _Manifest(BaseModel):
    model_id: str
    chunking_version: int
    runbooks: list[Runbook]


@dataclass(frozen=True)
class _Chunk:
    id: str
    runbook: int
    section: int | None  # None: a runbook with no body, indexed by its title
    text: str


def chunk_texts(runbook: Runbook) -> list[tuple[int | None, str]]:
    """What gets embedded per section: the page's title and id give the section context."""
    name = runbook.title if runbook.id == runbook.title else f"{runbook.title} ({runbook.id})"
    if not runbook.sections:
        return [(None, name)]
    return [(i, f"{name}\n{s.heading}\n{s.text}") for i, s in enumerate(runbook.sections)]


def _lexical_text(runbook: Runbook, section: int | None) -> str:
    head = " ".join((runbook.title, runbook.id, *runbook.alerts, *runbook.tags))
    if section is None:
        return head
    s = runbook.sections[section]
    return f"{head} {s.heading} {s.text}"


def _page_text(runbook: Runbook) -> str:
    """A runbook's whole text, its name once: the page's own lexical document."""
    sections = (f"{s.heading} {s.text}" for s in runbook.sections)
    return " ".join((_lexical_text(runbook, None), *sections))


def _distinctive(name: str) -> bool:
    """An alert name unlikely to be an ordinary word of a question (CamelCase, snake)."""
    return "_" in name or any(c.isupper() for c in name[1:])


class RunbookIndex:
    def __init__(self, path: Path, embedder: Embedder, collection: Any,
                 runbooks: list[Runbook], rebuilt: bool) -> None:
        self._path = path
        self._embedder = embedder
        self._collection = collection
        self._rebuilt = rebuilt
        self._vectors: dict[str, np.ndarray] = {}
        self._load_memory(runbooks)

    @classmethod
    def open(cls, path: Path, embedder: Embedder) -> RunbookIndex:
        """Open (or create) the index in ``path``; a model or chunking change empties it."""
        import chromadb
        from chromadb.api.types import EmbeddingFunction
        from chromadb.config import Settings as ChromaSettings

        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise IndexUnavailable(f"cannot create index folder {path}: {exc}") from exc
        manifest = _read_manifest(path / MANIFEST)
        stale = manifest is None or (
            manifest.model_id != embedder.model_id
            or manifest.chunking_version != CHUNKING_VERSION
        )
        client = chromadb.PersistentClient(
            path=str(path), settings=ChromaSettings(anonymized_telemetry=False)
        )
        if stale and COLLECTION in {c.name for c in client.list_collections()}:
            client.delete_collection(COLLECTION)
        collection = client.get_or_create_collection(
            COLLECTION,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"model_id": embedder.model_id, "chunking_version": CHUNKING_VERSION},
            embedding_function=embedder if isinstance(embedder, EmbeddingFunction) else None,
        )
        runbooks = [] if stale or manifest is None else manifest.runbooks
        return cls(path, embedder, collection, runbooks, rebuilt=stale and manifest is not None)

    @classmethod
    def open_synced(cls, path: Path, embedder: Embedder, runbooks: Sequence[Runbook],
                    progress: Progress | None = None) -> tuple[RunbookIndex, SyncReport]:
        """Open the index in ``path`` and make it hold exactly ``runbooks``, as the only
        process doing so: a second one waits, then opens what the first wrote."""
        with sync_lock(path):
            index = cls.open(path, embedder)
            return index, index.sync(runbooks, progress)

    @property
    def runbooks(self) -> list[Runbook]:
        return list(self._runbooks)

    @property
    def is_empty(self) -> bool:
        return not self._runbooks

    def get(self, runbook_id: str) -> Runbook:
        position = self._positions.get(runbook_id)
        if position is None:
            raise KeyError(runbook_id)
        return self._runbooks[position]

    def sync(self, runbooks: Sequence[Runbook],
             progress: Progress | None = None) -> SyncReport:
        """Make the index hold exactly ``runbooks``, embedding only what changed;
        ``progress(done, total)`` hears after each batch of sections embedded."""
        started = time.perf_counter()
        new: dict[str, Runbook] = {}
        for runbook in runbooks:
            if runbook.id in new:
                raise InputError(
                    f"duplicate runbook id {runbook.id!r} (also in {new[runbook.id].path})",
                    source=runbook.path,
                )
            new[runbook.id] = runbook
        old = {r.id: r for r in self._runbooks}
        removed = [r for rid, r in old.items() if rid not in new]
        changed = [r for rid, r in new.items()
                   if rid not in old or old[rid].content_hash != r.content_hash]
        updated = [old[r.id] for r in changed if r.id in old]

        stale_ids = [cid for r in (*removed, *updated) for cid in _chunk_ids(r)]
        clock = _PhaseClock()
        with clock("store"):
            for start in range(0, len(stale_ids), _WRITE_BATCH):
                self._collection.delete(ids=stale_ids[start : start + _WRITE_BATCH])
        for cid in stale_ids:
            self._vectors.pop(cid, None)
        pending = [(r, i, text) for r in changed for i, text in chunk_texts(r)]
        for start in range(0, len(pending), _WRITE_BATCH):
            batch = pending[start : start + _WRITE_BATCH]
            with clock("embed"):
                vectors = self._embedder.embed([text for _, _, text in batch])
            ids = [_chunk_id(r.id, i) for r, i, _ in batch]
            with clock("store"):
                self._collection.upsert(ids=ids, embeddings=vectors)
            self._vectors.update(zip(ids, np.asarray(vectors, dtype=np.float32), strict=True))
            if progress is not None:
                progress(start + len(batch), len(pending))
        ordered = sorted(new.values(), key=lambda r: r.id)
        with clock("manifest"):
            _write_manifest(self._path / MANIFEST, _Manifest(
                model_id=self._embedder.model_id,
                chunking_version=CHUNKING_VERSION,
                runbooks=ordered,
            ))
        rebuilt, self._rebuilt = self._rebuilt, False
        with clock("lexical"):
            self._load_memory(ordered)
        return SyncReport(
            added=len(changed) - len(updated),
            updated=len(updated),
            removed=len(removed),
            unchanged=len(new) - len(changed),
            rebuilt=rebuilt,
            chunks_embedded=len(pending),
            seconds=time.perf_counter() - started,
            phases=SyncPhases(**clock.seconds),
        )

    def search(self, query: str, k: int = 5,
               alert_names: Sequence[str] = ()) -> list[RetrievalHit]:
        """The ``k`` best runbooks for ``query``, each citing its best-matching section.

        A runbook answering one of ``alert_names`` (from the alert's labels) comes first.
        An alert no runbook answers by name (a team's own MatchLatencySLOBreach) is
        searched for by its words, as if the asker had said them.
        """
        if k < 1:
            raise InputError(f"k must be at least 1, got {k}", field="k")
        if not self._chunks or not query.strip():
            return []
        unanswered = [spell_out_identifiers(name) for name in alert_names
                      if name.lower() not in self._by_alert]
        text = search_text(" ".join((query, *unanswered)))
        dense = self._dense_scores(text)
        terms = tokenize(text)
        labelled = {r for name in alert_names for r in self._by_alert.get(name.lower(), ())}
        mentioned = {
            r for word in _WORD.findall(query) if _distinctive(word)
            for r in self._by_alert.get(word.lower(), ())
        }
        ranked = rank_runbooks(
            self._owner, dense, self._bm25.scores(terms), len(self._runbooks), k,
            labelled=labelled, mentioned=mentioned,
            name_coverage=self._names.coverage(text), lead_section=self._lead,
            page_lexical=self._page_bm25.scores(terms),
            reach_agreement=self._reach * reach(text),
        )
        hits = []
        for item in ranked:
            runbook = self._runbooks[item.runbook]
            chunk = self._chunks[item.section] if item.section is not None else None
            section = (runbook.sections[chunk.section]
                       if chunk is not None and chunk.section is not None else None)
            hits.append(RetrievalHit(runbook_id=runbook.id, title=runbook.title,
                                     score=round(item.score, 6), section=section,
                                     path=runbook.path))
        return hits

    def _dense_scores(self, query: str) -> np.ndarray:
        """Exact cosine similarity of the query to every section, rounded."""
        vector = np.asarray(self._embedder.embed([spell_out_identifiers(query)])[0],
                            dtype=np.float32)
        return np.round(self._matrix @ vector, DENSE_DECIMALS)

    def _load_memory(self, runbooks: list[Runbook]) -> None:
        self._runbooks = runbooks
        self._positions = {r.id: i for i, r in enumerate(runbooks)}
        self._chunks = [
            _Chunk(_chunk_id(r.id, s), n, s, _lexical_text(r, s))
            for n, r in enumerate(runbooks) for s, _ in chunk_texts(r)
        ]
        self._chunk_position = {c.id: i for i, c in enumerate(self._chunks)}
        self._matrix = self._section_vectors()
        self._owner = np.array([c.runbook for c in self._chunks], dtype=np.int64)
        # Chunks are listed runbook by runbook, so a runbook's first chunk is its lead.
        self._lead = np.full(len(runbooks), -1, dtype=np.int64)
        owners, first = np.unique(self._owner, return_index=True)
        self._lead[owners] = first
        self._bm25 = Bm25([tokenize(c.text) for c in self._chunks])
        self._page_bm25 = Bm25([tokenize(_page_text(r)) for r in runbooks])
        self._names = NameMatcher([(r.title, r.id, *r.alerts) for r in runbooks])
        self._reach = np.array([runbook_reach(r) for r in runbooks], dtype=np.int64)
        self._by_alert: dict[str, list[int]] = {}
        for n, r in enumerate(runbooks):
            for alert in r.alerts:
                self._by_alert.setdefault(alert.lower(), []).append(n)


    def _section_vectors(self) -> np.ndarray:
        """One normalised row per section, in section order: the vectors this process
        embedded or read before, the rest read from Chroma once."""
        missing = [c.id for c in self._chunks if c.id not in self._vectors]
        for start in range(0, len(missing), _WRITE_BATCH):
            got = self._collection.get(ids=missing[start : start + _WRITE_BATCH],
                                       include=["embeddings"])
            self._vectors.update(
                zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32), strict=True))
        absent = [c.id for c in self._chunks if c.id not in self._vectors]
        if absent:
            raise IndexUnavailable(
                f"index folder {self._path}: {len(absent)} section vector(s) missing from "
                f"Chroma (first: {absent[0]}); rebuild it with `opsbot index`")
        if not self._chunks:
            return np.zeros((0, 0), dtype=np.float32)
        matrix = np.stack([self._vectors[c.id] for c in self._chunks])
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.where(norms == 0, 1, norms)


class _PhaseClock:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - started


def _chunk_id(runbook_id: str, section: int | None) -> str:
    return f"{runbook_id}#{'title' if section is None else section}"


def _chunk_ids(runbook: Runbook) -> list[str]:
    return [_chunk_id(runbook.id, s) for s, _ in chunk_texts(runbook)]


def _read_manifest(path: Path) -> _Manifest | None:
    """None when there is no usable manifest: the index is then rebuilt from scratch."""
    try:
        return _Manifest.model_validate_json(path.read_bytes())
    except (OSError, ValidationError):
        return None


def _write_manifest(path: Path, manifest: _Manifest) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(manifest.model_dump_json(), encoding="utf-8")
    os.replace(temporary, path)
