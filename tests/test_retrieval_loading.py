"""Loading Markdown runbooks: our format, Hugo pages, plain pages, and every way to fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import InputError
from assistant.retrieval.loading import MAX_FILE_BYTES, load_runbooks
from assistant.retrieval.markdown import parse_runbook

OURS = """\
---
id: disk-full
title: Disk almost full
alerts: [NodeFilesystemAlmostOutOfSpace]
tags: [node, disk]
steps:
  - tool: query_metrics
    args: {query: "node_filesystem_avail_bytes{instance='{instance}'}"}
  - tool: list_pods
    args: {namespace: "{namespace}"}
    why: Find what writes
---
# Disk almost full

Short intro before the first section.

## Meaning

The filesystem has less than 5% left.

### Details

Deeper heading stays in its section.

## Mitigation

```sh
df -h <mount>   # <b>not html</b>
```
"""

HUGO = """\
---
title: Kube Pod Crash Looping
weight: 20
---

# KubePodCrashLooping

## Meaning

Pod is in CrashLoop.

<details>
<summary>Full context</summary>

Hidden **context** with a [relative link](../other/Page.md) and a
[Hugo ref]({{< ref "./KubePodNotReady.md" >}}).

</details>

## Mitigation

See [Debugging Pods](https://kubernetes.io/docs/debug/).
"""


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_our_format_keeps_front_matter_steps_and_sections(tmp_path: Path) -> None:
    runbook = parse_runbook(write(tmp_path, "whatever.md", OURS), OURS)
    assert runbook.id == "disk-full"
    assert runbook.title == "Disk almost full"
    assert runbook.alerts == ("NodeFilesystemAlmostOutOfSpace",)
    assert runbook.tags == ("node", "disk")
    assert [s.tool for s in runbook.steps] == ["query_metrics", "list_pods"]
    assert runbook.steps[0].args == {"query": "node_filesystem_avail_bytes{instance='{instance}'}"}
    assert runbook.steps[1].why == "Find what writes"
    assert [s.heading for s in runbook.sections] == ["Disk almost full", "Meaning", "Mitigation"]
    meaning = runbook.sections[1].text
    assert "less than 5% left" in meaning and "Deeper heading stays" in meaning
    # Code keeps its text verbatim, angle brackets included.
    assert "df -h <mount>   # <b>not html</b>" in runbook.sections[2].text


def test_hugo_page_takes_prose_title_stem_id_and_heading_as_alert(tmp_path: Path) -> None:
    path = write(tmp_path, "KubePodCrashLooping.md", HUGO)
    runbook = parse_runbook(path, HUGO)
    assert runbook.id == "KubePodCrashLooping"
    assert runbook.title == "Kube Pod Crash Looping"
    assert runbook.alerts == ("KubePodCrashLooping",)
    meaning = runbook.sections[0].text
    assert "Hidden context with a relative link and a Hugo ref." in meaning
    assert "<" not in meaning and "{{" not in meaning and "Page.md" not in meaning
    assert runbook.sections[1].text == "See Debugging Pods."


def test_spaced_out_heading_matching_stem_counts_as_alert(tmp_path: Path) -> None:
    text = "# CPU Throttling High\n\n## Meaning\n\nThrottled.\n"
    runbook = parse_runbook(write(tmp_path, "CPUThrottlingHigh.md", text), text)
    assert runbook.alerts == ("CPUThrottlingHigh",)
    text = "# SomeOtherAlert\n\nCopied from another page.\n"
    assert parse_runbook(write(tmp_path, "RealName.md", text), text).alerts == ()


def test_plain_page_without_front_matter_uses_stem_and_first_heading(tmp_path: Path) -> None:
    text = "# When the queue backs up\n\nDrain it.\n\n## Steps\n\n1. Look.\n2. Fix.\n"
    runbook = parse_runbook(write(tmp_path, "queue.md", text), text)
    assert (runbook.id, runbook.title, runbook.alerts) == ("queue", "When the queue backs up", ())
    assert [s.heading for s in runbook.sections] == ["When the queue backs up", "Steps"]
    bare = "Just some words, no heading at all."
    runbook = parse_runbook(write(tmp_path, "notes.md", bare), bare)
    assert runbook.title == "notes"
    assert runbook.sections[0].text == bare


def test_content_hash_follows_the_bytes(tmp_path: Path) -> None:
    path = write(tmp_path, "a.md", "# A\n\ntext\n")
    first = parse_runbook(path, "# A\n\ntext\n").content_hash
    assert first == parse_runbook(path, "# A\n\ntext\n").content_hash
    assert first != parse_runbook(path, "# A\n\ntext!\n").content_hash


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("---\ntitle: ok\nalerts: [unclosed\n---\n# x\n", 4, "invalid YAML"),
        ("---\ntitle: ok\nweight: 1\n# never closed\n", 1, "never closed"),
        ("---\n- just\n- a list\n---\n", 2, "mapping"),
        ("---\ntitle: ok\ntags: {a: 1}\n---\n", 3, "tags"),
    ],
)
def test_malformed_front_matter_names_file_and_line(
    tmp_path: Path, text: str, line: int, fragment: str
) -> None:
    path = write(tmp_path, "bad.md", text)
    with pytest.raises(InputError) as caught:
        parse_runbook(path, text)
    assert caught.value.source == str(path)
    assert caught.value.line == line
    assert fragment in str(caught.value)


def test_unknown_tool_in_a_step_names_its_line(tmp_path: Path) -> None:
    text = (
        "---\nid: x\nsteps:\n  - tool: list_pods\n    args: {namespace: a}\n"
        "  - tool: delete_cluster\n    args: {}\n---\n# X\n"
    )
    path = write(tmp_path, "x.md", text)
    with pytest.raises(InputError) as caught:
        parse_runbook(path, text)
    assert caught.value.line == 6
    assert caught.value.field == "steps.1.tool"
    assert "delete_cluster" in str(caught.value) and "list_pods" in str(caught.value)


def test_step_with_unexpected_key_names_its_line(tmp_path: Path) -> None:
    text = "---\nsteps:\n  - tool: list_pods\n    argz: {namespace: a}\n---\n"
    with pytest.raises(InputError) as caught:
        parse_runbook(write(tmp_path, "x.md", text), text)
    assert (caught.value.line, caught.value.field) == (4, "steps.0.argz")


def test_folder_load_collects_errors_and_keeps_the_rest(tmp_path: Path) -> None:
    write(tmp_path, "good/KubePodCrashLooping.md", HUGO)
    write(tmp_path, "good/nested/ours.md", OURS)
    write(tmp_path, "good/broken.md", "---\nid: [\n---\n")
    write(tmp_path, "good/.hidden/ignored.md", "# ignored\n")
    write(tmp_path, "good/notes.txt", "not markdown")
    write(tmp_path, "good/_index.md", "---\ntitle: Section\n---\n")
    report = load_runbooks([tmp_path / "good"])
    assert sorted(r.id for r in report.runbooks) == ["KubePodCrashLooping", "disk-full"]
    assert len(report.errors) == 1
    assert report.errors[0].source.endswith("broken.md") and report.errors[0].line == 3
    assert any("_index.md" in w for w in report.warnings)


def _alias_bomb_steps() -> str:
    anchors = "x0: &x0 [a, a, a, a, a, a, a, a, a, a]\n" + "".join(
        f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 10)}]\n" for i in range(1, 9))
    return anchors + "steps:\n  - tool: list_pods\n    args: {namespace: *x8}\n"


@pytest.mark.parametrize(("front", "line", "field", "message"), [
    ("title: Disk full\ndate: 2024-02-30\n", 3, "date", "'2024-02-30' is not a valid"),
    ("title: A\ntags: [disk]\ntitle: B\n", 4, "title", "duplicate key 'title'"),
    (_alias_bomb_steps(), 6, "x4.7", "aliases expand to more than"),
], ids=["impossible-date", "duplicate-key", "alias-bomb-in-step-args"])
def test_a_hostile_front_matter_skips_that_runbook_with_its_place(
    tmp_path: Path, front: str, line: int, field: str, message: str
) -> None:
    write(tmp_path, "wiki/ours.md", OURS)
    bad = write(tmp_path, "wiki/bad.md", f"---\n{front}---\n# Bad\n\ntext\n")
    report = load_runbooks([tmp_path / "wiki"])
    assert [r.id for r in report.runbooks] == ["disk-full"]
    [error] = report.errors
    assert (error.source, error.line, error.field) == (str(bad), line, field)
    assert message in error.message


def test_several_folders_and_duplicate_ids(tmp_path: Path) -> None:
    write(tmp_path, "a/one.md", "# One\n\ntext\n")
    write(tmp_path, "b/two.md", "# Two\n\ntext\n")
    write(tmp_path, "b/sub/one.md", "# Another one\n\ntext\n")
    report = load_runbooks([tmp_path / "a", tmp_path / "b"])
    assert sorted(r.id for r in report.runbooks) == ["one", "two"]
    assert "duplicate runbook id 'one'" in str(report.errors[0])


def test_binary_huge_and_non_utf8_files_are_skipped_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "ok.md", "# Fine\n\ntext\n")
    write(tmp_path, "blob.md", b"\x89PNG\r\n\x1a\n\x00\x00")
    write(tmp_path, "latin.md", "# Caf\xe9\n".encode("latin-1"))
    write(tmp_path, "huge.md", "# Huge\n\n" + "x" * MAX_FILE_BYTES)
    report = load_runbooks([tmp_path])
    assert [r.id for r in report.runbooks] == ["ok"]
    assert not report.errors
    joined = "\n".join(report.warnings)
    for name in ("blob.md", "latin.md", "huge.md"):
        assert name in joined


def test_missing_folder_and_empty_corpus_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_runbooks([tmp_path / "nope"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no Markdown runbooks"):
        load_runbooks([tmp_path / "empty"])
    with pytest.raises(InputError):
        load_runbooks([])
