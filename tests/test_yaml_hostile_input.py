"""The one YAML loader refuses hostile or ambiguous documents with file, line and field,
quickly and in bounded memory, whichever event parser (libyaml or PyYAML's) it runs on."""

from __future__ import annotations

import re
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

import assistant.yamlfile as yamlfile
from assistant.errors import InputError
from assistant.yamlfile import MAX_DEPTH, PurePythonParser, loader_class, parse_yaml


@pytest.fixture(params=["libyaml", "pure-python"], autouse=True)
def event_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "pure-python":
        monkeypatch.setattr(yamlfile, "Loader", loader_class(PurePythonParser))
    yield request.param


def _refused(text: str, line_offset: int = 0) -> InputError:
    with pytest.raises(InputError) as caught:
        parse_yaml(text, "doc.yaml", line_offset)
    assert caught.value.source == "doc.yaml"
    return caught.value


def _billion_laughs(levels: int = 9) -> str:
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]")
    return "\n".join(lines) + "\n"


def test_a_key_given_twice_names_both_lines() -> None:
    error = _refused("users:\n  U03CAROL: {roles: [viewer]}\n  U02BOB: {roles: [responder]}\n"
                     "  U03CAROL: {roles: [sre]}\n")
    assert (error.line, error.field) == (4, "users.U03CAROL")
    assert "duplicate key 'U03CAROL' (first given on line 2)" in error.message


def test_duplicate_lines_count_from_the_start_of_the_file() -> None:
    error = _refused("title: A\ntitle: B\n", line_offset=1)
    assert error.line == 3 and "first given on line 2" in error.message


def test_a_key_that_overrides_a_merged_one_is_not_a_duplicate() -> None:
    data, lines = parse_yaml("base: &b {a: 1, b: 2}\nx:\n  <<: *b\n  a: 3\n", "doc.yaml")
    assert data["x"] == {"a": 3, "b": 2}
    assert lines.line_of(("x", "a")) == 4


def test_a_billion_laughs_document_is_refused_at_its_alias_in_bounded_memory() -> None:
    tracemalloc.start()
    try:
        error = _refused(_billion_laughs())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "aliases expand to more than 100,000 nodes" in error.message
    assert error.line == 5 and error.field is not None and error.field.startswith("l4.")
    assert peak < 20_000_000


def test_aliases_that_stay_small_load_as_shared_values() -> None:
    data, _ = parse_yaml(_billion_laughs(levels=3), "doc.yaml")
    assert len(data["l3"]) == 10 and data["l3"][0][0][0] == ["lol"] * 10


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    error = _refused("steps:\n  - &step\n    tool: x\n    args: [*step]\n")
    assert (error.line, error.field) == (4, "steps.0.args.0")
    assert "refers to a node that contains it" in error.message


# The root mapping is the first level.
@pytest.mark.parametrize("nested", [
    "a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n",
    "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH)) + "  " * MAX_DEPTH + "k: v\n",
])
def test_nesting_deeper_than_the_limit_is_refused_with_its_place(nested: str) -> None:
    error = _refused(nested)
    assert error.line is not None and f"deeper than {MAX_DEPTH} levels" in error.message
    assert error.field is not None and error.field.count(".") == MAX_DEPTH - 1


def test_an_alias_cannot_carry_nesting_past_the_limit() -> None:
    half = MAX_DEPTH // 2 + 1
    text = "a: &a " + "[" * half + "]" * half + "\nb: " + "[" * half + "*a" + "]" * half + "\n"
    error = _refused(text)
    assert error.line == 2
    assert "alias *a nests deeper" in error.message


def test_nesting_at_the_limit_loads() -> None:
    depth = MAX_DEPTH - 1
    data, _ = parse_yaml("a: " + "[" * depth + "]" * depth + "\n", "doc.yaml")
    assert data["a"] is not None


@pytest.mark.parametrize(("value", "kind"), [
    ("2024-02-30", "timestamp"),
    ("2024-13-01 10:00:00", "timestamp"),
    ("9" * 5000, "int"),
    ("!!bool maybe", "bool"),
    ("!!timestamp soon", "timestamp"),
    ("!!int ''", "int"),
    ("!!float ''", "float"),
])
def test_a_scalar_that_cannot_be_built_names_its_key(value: str, kind: str) -> None:
    error = _refused(f"title: Disk full\nmeta:\n  date: {value}\n")
    assert (error.line, error.field) == (3, "meta.date")
    assert f"is not a valid {kind}" in error.message


def test_a_real_leap_day_loads() -> None:
    data, _ = parse_yaml("date: 2024-02-29\n", "doc.yaml")
    assert str(data["date"]) == "2024-02-29"


def test_python_object_tags_are_refused() -> None:
    error = _refused("cmd: !!python/object/apply:os.system [echo hi]\n")
    assert (error.line, error.field) == (1, "cmd") and "unsupported tag" in error.message


def test_syntax_errors_keep_their_line() -> None:
    assert _refused("a: 1\nb: [1, 2\n").line == 3


def test_a_file_reports_its_own_path(tmp_path: Path) -> None:
    from pydantic import BaseModel

    class Doc(BaseModel):
        title: str

    path = tmp_path / "doc.yaml"
    path.write_text("title: a\ntitle: b\n")
    with pytest.raises(InputError) as caught:
        yamlfile.load_yaml_file(Doc, path)
    assert str(caught.value).startswith(f"{path}:2: title: duplicate key")


def test_no_module_but_the_loader_reads_yaml_itself() -> None:
    root = Path(yamlfile.__file__).resolve().parent.parent
    importing = re.compile(r"^\s*(import yaml\b|from yaml\b)", re.MULTILINE)
    readers = sorted(
        str(path.relative_to(root))
        for folder in ("assistant", "tools", "evals", "slack")
        for path in (root / folder).rglob("*.py")
        if importing.search(path.read_text(encoding="utf-8"))
    )
    # The policy bench times PyYAML itself as its baseline; it reads no project input.
    assert readers == ["assistant/yamlfile.py", "evals/bench/policy_bench.py"]
