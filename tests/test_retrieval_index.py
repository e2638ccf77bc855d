"""The persistent index: incremental sync, deletes, model changes, reopen."""

from __future__ import annotations

from pathlib import Path

import pytest
from hashing_embedder import HashingEmbedder, load

from assistant.errors import InputError
from assistant.retrieval.index import RunbookIndex


def write_corpus(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pages = {
        "disk.md": "# Disk full\n\n## Meaning\n\nThe disk is full of logs.\n\n## Fix\n\nRotate.\n",
        "dns.md": "# DNS failures\n\n## Meaning\n\nLookups time out.\n",
        "cert.md": "# Certificate expiry\n\n## Meaning\n\nThe TLS certificate expires.\n",
    }
    for name, text in pages.items():
        (folder / name).write_text(text, encoding="utf-8")


def test_first_sync_adds_everything_and_search_finds_it(tmp_path: Path) -> None:
    write_corpus(tmp_path / "rb")
    embedder = HashingEmbedder()
    index = RunbookIndex.open(tmp_path / "index", embedder)
    report = index.sync(load(tmp_path / "rb"))
    assert (report.added, report.updated, report.removed, report.unchanged) == (3, 0, 0, 0)
    assert report.chunks_embedded == 4
    hits = index.search("certificate expires", k=2)
    assert hits[0].runbook_id == "cert"
    assert hits[0].section is not None and hits[0].section.heading == "Meaning"
    assert index.get("disk").title == "Disk full"
    with pytest.raises(KeyError):
        index.get("nope")


def test_sync_reports_where_its_time_went(tmp_path: Path) -> None:
    write_corpus(tmp_path / "rb")
    index = RunbookIndex.open(tmp_path / "index", HashingEmbedder())
    build = index.sync(load(tmp_path / "rb"))
    phases = build.phases
    assert min(phases.embed, phases.store, phases.manifest, phases.lexical) > 0
    assert phases.embed + phases.store + phases.manifest + phases.lexical <= build.seconds
    assert index.sync(load(tmp_path / "rb")).phases.embed == 0


def test_only_the_changed_runbook_is_embedded_again(tmp_path: Path) -> None:
    write_corpus(tmp_path / "rb")
    embedder = HashingEmbedder()
    index = RunbookIndex.open(tmp_path / "index", embedder)
    index.sync(load(tmp_path / "rb"))
    embedder.embedded.clear()

    (tmp_path / "rb" / "dns.md").write_text(
        "# DNS failures\n\n## Meaning\n\nCoreDNS pods return SERVFAIL.\n", encoding="utf-8"
    )
    report = index.sync(load(tmp_path / "rb"))
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 0, 2)
    assert len(embedder.embedded) == 1 and "SERVFAIL" in embedder.embedded[0]
    assert index.search("SERVFAIL", k=1)[0].runbook_id == "dns"

    embedder.embedded.clear()
    assert index.sync(load(tmp_path / "rb")).unchanged == 3
    assert embedder.embedded == []


def test_a_shrunk_runbook_leaves_no_stale_sections(tmp_path: Path) -> None:
    write_corpus(tmp_path / "rb")
    index = RunbookIndex.open(tmp_path / "index", HashingEmbedder())
    index.sync(load(tmp_path / "rb"))
    (tmp_path / "rb" / "disk.md").write_text("# Disk full\n\nOne paragraph.\n", encoding="utf-8")
    index.sync(load(tmp_path / "rb"))
    hits = index.search("rotate logs", k=3)
    disk = next(h for h in hits if h.runbook_id == "disk")
    assert disk.section is not None and disk.section.text == "One paragraph."
    assert index._collection.count() == 3


def test_deleted_runbook_is_dropped(tmp_path: Path) -> None:
    write_corpus(tmp_path / "rb")
    index = RunbookIndex.open(tmp_path / "index", HashingEmbedder())
    index.sync(load(tmp_path / "rb"))
    (tmp_path / "rb" / "cert.md").unlink()
    report = index.sync(load(tmp_path / "rb"))
    assert (report.removed, report.unchanged) == (1, 2)
    assert all(h.runbook_id != "cert" for h in index.search("certificate", k=5))
    with pytest.raises(KeyError):
        index.get("cert")
    assert index._collection.count() == 3


def test_index_survives_reopen_without_embedding(tmp_path: Path) -> None:
    write_corpus(tmp_path / "rb")
    RunbookIndex.open(tmp_path / "index", HashingEmbedder()).sync(load(tmp_path / "rb"))
    embedder = HashingEmbedder()
    reopened = RunbookIndex.open(tmp_path / "index", embedder)
    assert not reopened.is_empty
    assert reopened.search("disk full logs", k=1)[0].runbook_id == "disk"
    report = reopened.sync(load(tmp_path / "rb"))
    assert report.unchanged == 3 and not report.rebuilt
    assert embedder.embedded == ["disk full logs"]


def test_model_change_rebuilds_cleanly(tmp_path: Path) -> None:
    write_corpus(tmp_path / "rb")
    RunbookIndex.open(tmp_path / "index", HashingEmbedder("hashing-v1")).sync(load(tmp_path / "rb"))
    embedder = HashingEmbedder("hashing-v2")
    index = RunbookIndex.open(tmp_path / "index", embedder)
    assert index.is_empty
    report = index.sync(load(tmp_path / "rb"))
    assert report.rebuilt and report.added == 3 and report.chunks_embedded == 4
    assert index._collection.count() == 4
    reopened = RunbookIndex.open(tmp_path / "index", embedder)
    assert reopened.sync(load(tmp_path / "rb")).unchanged == 3


def test_corrupt_manifest_rebuilds(tmp_path: Path) -> None:
    write_corpus(tmp_path / "rb")
    RunbookIndex.open(tmp_path / "index", HashingEmbedder()).sync(load(tmp_path / "rb"))
    (tmp_path / "index" / "runbooks.json").write_text("{not json", encoding="utf-8")
    index = RunbookIndex.open(tmp_path / "index", HashingEmbedder())
    assert index.sync(load(tmp_path / "rb")).added == 3
    assert index._collection.count() == 4


def test_alert_label_puts_its_runbook_first(tmp_path: Path) -> None:
    write_corpus(tmp_path / "rb")
    (tmp_path / "rb" / "HostOutOfInodes.md").write_text(
        "---\ntitle: Host out of inodes\n---\n# HostOutOfInodes\n\nToo many small files.\n",
        encoding="utf-8",
    )
    index = RunbookIndex.open(tmp_path / "index", HashingEmbedder())
    index.sync(load(tmp_path / "rb"))
    assert index.search("disk full logs", k=2)[0].runbook_id == "disk"
    hits = index.search("disk full logs", k=2, alert_names=["HostOutOfInodes"])
    assert [h.runbook_id for h in hits] == ["HostOutOfInodes", "disk"]
    assert hits[0].score > hits[1].score
    mentioned = index.search("is HostOutOfInodes related to the full disk?", k=1)
    assert mentioned[0].runbook_id == "HostOutOfInodes"


def test_an_alert_no_runbook_answers_is_searched_for_by_its_words(tmp_path: Path) -> None:
    write_corpus(tmp_path / "rb")
    index = RunbookIndex.open(tmp_path / "index", HashingEmbedder())
    index.sync(load(tmp_path / "rb"))
    question = "riders are stuck, what is going on?"
    hits = index.search(question, k=1, alert_names=["CertificateExpiryWarning"])
    assert hits[0].runbook_id == "cert"
    assert index.search(question, k=1, alert_names=["DiskLogsFull"])[0].runbook_id == "disk"


def test_duplicate_ids_and_bad_k_are_input_errors(tmp_path: Path) -> None:
    write_corpus(tmp_path / "rb")
    runbooks = load(tmp_path / "rb")
    index = RunbookIndex.open(tmp_path / "index", HashingEmbedder())
    with pytest.raises(InputError, match="duplicate runbook id"):
        index.sync([*runbooks, runbooks[0]])
    index.sync(runbooks)
    with pytest.raises(InputError):
        index.search("disk", k=0)
    assert index.search("   ", k=3) == []


def test_empty_index_returns_nothing(tmp_path: Path) -> None:
    index = RunbookIndex.open(tmp_path / "index", HashingEmbedder())
    assert index.is_empty and index.search("anything") == []
