"""Modules with a slow test reach the xdist workers first, so none is left for the end."""

from __future__ import annotations

from dataclasses import dataclass

from module_order import shared_scope, slow_modules_first


@dataclass(frozen=True)
class FakeItem:
    nodeid: str
    slow: bool = False

    def get_closest_marker(self, name: str) -> object | None:
        return object() if name == "slow" and self.slow else None


def _ids(items: list[FakeItem]) -> list[str]:
    return [item.nodeid for item in items]


def test_a_module_with_one_slow_test_goes_before_larger_fast_modules() -> None:
    items = [FakeItem("a.py::x"), FakeItem("a.py::y"), FakeItem("a.py::z"),
             FakeItem("b.py::slow", slow=True), FakeItem("b.py::quick")]
    assert _ids(slow_modules_first(items)) == [
        "b.py::slow", "b.py::quick", "a.py::x", "a.py::y", "a.py::z"]


def test_otherwise_larger_modules_go_first_and_ties_keep_collection_order() -> None:
    items = [FakeItem("a.py::x"), FakeItem("b.py::x"), FakeItem("b.py::y"),
             FakeItem("c.py::x")]
    assert _ids(slow_modules_first(items)) == ["b.py::x", "b.py::y", "a.py::x", "c.py::x"]


def test_tests_keep_their_order_inside_a_module() -> None:
    items = [FakeItem("a.py::z"), FakeItem("a.py::y", slow=True), FakeItem("a.py::x")]
    assert _ids(slow_modules_first(items)) == ["a.py::z", "a.py::y", "a.py::x"]


def test_the_corpus_modules_share_one_work_unit_and_others_keep_their_own() -> None:
    scopes = {shared_scope(module) for module in (
        "tests/test_retrieval_corpus.py", "tests/test_eval_corpus.py",
        "tests/test_runbook_corpus_commands.py")}
    assert len(scopes) == 1
    assert shared_scope("tests/test_eval_runner.py") == "tests/test_eval_runner.py"
