"""Long runs keep no old worlds or questions alive: the eval process builds a sandbox, a
store and a graph per world, and a server answers question after question in one runtime.
Anything that kept each of those reachable (a registry, a cache keyed by object, a
subscription never dropped) would grow the heap, and every full GC pause, with the run.
These count live objects, not timings."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from hashing_embedder import HashingEmbedder
from langgraph.graph.state import CompiledStateGraph

from assistant.evaluation import EvalRunner, load_suite
from assistant.models import Actor
from assistant.runtime import Runtime
from assistant.session import Session
from assistant.storage import Store

WORLD_PARTS = (Runtime, Store, Session, CompiledStateGraph)
QUESTION = "why does checkout keep crash looping since the deploy?"


def _live(kinds: tuple[type, ...]) -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, kinds))


def _suite(tmp_path: Path, worlds: int) -> Path:
    path = tmp_path / f"worlds-{worlds}.yaml"
    cases = "".join(f'  - id: case-{n}\n    question: "{QUESTION}"\n'
                    "    expect: {runbook: k8s-crashloop-after-deploy}\n"
                    for n in range(worlds))
    path.write_text(f"suite: worlds-{worlds}\nscenario: checkout-bad-deploy\nas: U02BOB\n"
                    f"cases:\n{cases}")
    return path


@pytest.mark.slow
def test_an_eval_world_is_freed_once_its_cases_have_run(tmp_path):
    with EvalRunner(embedder=HashingEmbedder()) as runner:
        runner.run_suite(load_suite(_suite(tmp_path, 1)))
        after_one = _live(WORLD_PARTS)
        result = runner.run_suite(load_suite(_suite(tmp_path, 3)))
        after_four = _live(WORLD_PARTS)
    assert len(result.cases) == 3
    assert after_four == after_one == 0


@pytest.mark.slow
def test_a_runtime_answering_many_questions_keeps_nothing_per_question(open_engine):
    with open_engine("checkout-bad-deploy") as session:
        for n in range(5):  # warm caches and lazily built parts first
            session.ask(f"warm-{n}", Actor(user_id="U02BOB"), QUESTION)
        gc.collect()
        before = len(gc.get_objects())
        for n in range(10):
            session.ask(f"thread-{n}", Actor(user_id="U02BOB"), QUESTION)
        gc.collect()
        grown = len(gc.get_objects()) - before
    # A handful of objects per question is sqlite3's list of its cursors, pruned as it
    # grows; keeping a question's state, turn or graph run alive costs thousands.
    assert grown < 10 * 50
