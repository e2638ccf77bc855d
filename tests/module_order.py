"""The order test modules are handed to xdist workers in (conftest.py applies it)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar


class Collected(Protocol):
    @property
    def nodeid(self) -> str: ...

    def get_closest_marker(self, name: str) -> Any: ...


Item = TypeVar("Item", bound=Collected)


def slow_modules_first(items: Sequence[Item]) -> list[Item]:
    """The modules holding a ``slow`` test first, then the rest; the larger first in each.

    test.sh hands modules to its two workers in this order (--dist loadfile with
    --no-loadscope-reorder). xdist's own order, most tests first, left the half-minute
    one-test modules (a whole eval suite, a real service) to the end of the run, where one
    worker ran them while the other sat idle. Tests keep their order inside a module.
    """
    def module(item: Item) -> str:
        return item.nodeid.split("::", 1)[0]

    sizes = Counter(module(item) for item in items)
    slow = {module(item) for item in items if item.get_closest_marker("slow")}
    first_seen = {name: n for n, name in reversed(list(enumerate(map(module, items))))}
    return sorted(items, key=lambda item: (module(item) not in slow, -sizes[module(item)],
                                           first_seen[module(item)]))


def shared_scope(module: str) -> str:
    """The xdist work unit ``module`` belongs to: its own, except that the modules over the
    shared runbook corpus (``*corpus*`` in the name) form one, so a single worker embeds the
    corpus once and the others reuse the vectors its shared embedder remembers (measured:
    the second and third of them went from ~45 s to ~4 s each)."""
    return "shared runbook corpus" if "corpus" in module.rsplit("/", 1)[-1] else module
