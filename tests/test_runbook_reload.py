"""Runbooks reload while opsbot runs: an edit, a new page or a folder added with
`opsbot index DIR` is answered from on a later question, embedding only what changed."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from hashing_embedder import HashingEmbedder

from assistant.cli.search import terminal_progress
from assistant.errors import InputError
from assistant.retrieval.folders import IndexedFolders, runbook_folders
from assistant.retrieval.index import RunbookIndex
from assistant.retrieval.live import LiveRunbookIndex, folder_fingerprint
from assistant.retrieval.loading import load_runbooks


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _page(folder: Path, name: str, title: str, body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(f"# {title}\n\n## Fix\n\n{body}\n", encoding="utf-8")


@pytest.fixture
def wiki(tmp_path: Path) -> Path:
    folder = tmp_path / "wiki"
    _page(folder, "queue.md", "Queue backlog", "Scale the consumers of the orders queue.")
    _page(folder, "certs.md", "Certificate renewal", "Renew the ingress certificate.")
    return folder


def _live(tmp_path: Path, folders: list[Path], embedder: HashingEmbedder,
          clock: Clock) -> LiveRunbookIndex:
    index = RunbookIndex.open(tmp_path / "index", embedder)
    index.sync(load_runbooks(folders).runbooks)
    return LiveRunbookIndex(index, lambda: list(folders), tmp_path / "index",
                            check_seconds=1.0, monotonic=clock)


def test_an_edited_runbook_is_searched_as_edited_on_the_next_question(
        tmp_path: Path, wiki: Path) -> None:
    embedder, clock = HashingEmbedder(), Clock()
    live = _live(tmp_path, [wiki], embedder, clock)
    embedded_at_start = len(embedder.embedded)
    _page(wiki, "queue.md", "Queue backlog", "Drain the dead letter exchange first.")
    clock.now += 1.5
    hits = live.search("dead letter exchange", k=1)
    assert hits[0].runbook_id == "queue"
    assert live.get("queue").sections[0].text.startswith("Drain the dead letter")
    # the edited runbook embedded again, and the question
    assert len(embedder.embedded) - embedded_at_start == 1 + 1


def test_checks_wait_for_their_interval_and_an_unchanged_folder_embeds_nothing(
        tmp_path: Path, wiki: Path) -> None:
    embedder, clock = HashingEmbedder(), Clock()
    live = _live(tmp_path, [wiki], embedder, clock)
    embedded_at_start = len(embedder.embedded)
    _page(wiki, "new.md", "Kafka lag", "Add partitions for the lagging topic.")
    clock.now += 0.5
    assert all(h.runbook_id != "new" for h in live.search("lagging topic partitions", k=3))
    clock.now += 1.0
    assert live.search("lagging topic partitions", k=1)[0].runbook_id == "new"
    clock.now += 5
    live.search("lagging topic partitions", k=1)
    # the new page, once, and the three questions
    assert len(embedder.embedded) - embedded_at_start == 1 + 3


def test_a_folder_added_while_running_is_picked_up(tmp_path: Path, wiki: Path) -> None:
    clock = Clock()
    folders = [wiki]
    live = _live(tmp_path, folders, HashingEmbedder(), clock)  # asks ``folders`` each time
    _page(tmp_path / "platform", "etcd.md", "Etcd defrag", "Defragment each member in turn.")
    folders.append(tmp_path / "platform")
    clock.now += 2
    assert live.search("defragment etcd member", k=1)[0].runbook_id == "etcd"


def test_a_folder_that_vanishes_leaves_the_index_as_it_was(
        tmp_path: Path, wiki: Path, caplog: pytest.LogCaptureFixture) -> None:
    embedder, clock = HashingEmbedder(), Clock()
    live = _live(tmp_path, [wiki], embedder, clock)
    shutil.rmtree(wiki)
    clock.now += 2
    assert live.search("renew ingress certificate", k=1)[0].runbook_id == "certs"
    assert "do not load" in caplog.text


def test_the_fingerprint_sees_a_same_size_rewrite(wiki: Path) -> None:
    before = folder_fingerprint([wiki])
    text = (wiki / "certs.md").read_text()
    (wiki / "certs.md").write_text(text.replace("Renew", "renew"))
    assert folder_fingerprint([wiki]) != before


def test_indexed_folders_are_kept_absolute_and_listed_after_the_configured_ones(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    home = tmp_path / "home"
    IndexedFolders(home).add([Path("wiki"), Path("shipped")])
    assert IndexedFolders(home).read() == (tmp_path / "wiki", tmp_path / "shipped")
    assert runbook_folders((tmp_path / "shipped",), home) == (
        tmp_path / "shipped", tmp_path / "wiki")
    IndexedFolders(home).forget([tmp_path / "wiki"])
    assert IndexedFolders(home).read() == (tmp_path / "shipped",)


def test_forgetting_a_folder_never_added_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not an indexed folder"):
        IndexedFolders(tmp_path).forget([tmp_path / "elsewhere"])


def test_a_damaged_folder_list_names_the_file(tmp_path: Path) -> None:
    folders = IndexedFolders(tmp_path)
    folders.path.write_text('{"folders": "not-a-list"}')
    with pytest.raises(InputError) as failed:
        folders.read()
    assert failed.value.source == str(folders.path) and failed.value.field == "folders"


def test_sync_reports_progress_after_each_batch(tmp_path: Path, wiki: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.retrieval.index as index_module

    monkeypatch.setattr(index_module, "_WRITE_BATCH", 1)
    seen: list[tuple[int, int]] = []
    index = RunbookIndex.open(tmp_path / "index", HashingEmbedder())
    index.sync(load_runbooks([wiki]).runbooks, lambda done, total: seen.append((done, total)))
    assert seen == [(1, 2), (2, 2)]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_drawn_on_a_terminal_and_not_into_a_pipe() -> None:
    assert terminal_progress(io.StringIO()) is None
    screen = _Terminal()
    show = terminal_progress(screen)
    assert show is not None
    show(2048, 4096)
    show(4096, 4096)
    assert screen.getvalue() == ("\rembedding sections: 2,048/4,096 (50%)"
                                 "\rembedding sections: 4,096/4,096 (100%)\n")


def test_a_slow_walk_is_repeated_less_often(tmp_path: Path, wiki: Path) -> None:
    embedder, clock = HashingEmbedder(), Clock()
    walks: list[float] = []

    def slow_folders() -> list[Path]:
        walks.append(clock.now)
        clock.now += 2.0  # as if the walk took two seconds
        return [wiki]

    index = RunbookIndex.open(tmp_path / "index", embedder)
    index.sync(load_runbooks([wiki]).runbooks)
    live = LiveRunbookIndex(index, slow_folders, tmp_path / "index", monotonic=clock)
    clock.now += 1.5
    live.search("certificate", k=1)
    assert len(walks) == 2  # at start, then when first due
    clock.now += 30  # within 20x the two-second walk
    live.search("certificate", k=1)
    assert len(walks) == 2
    clock.now += 15
    live.search("certificate", k=1)
    assert len(walks) == 3
