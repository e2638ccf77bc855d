"""Follow the evidence one step past the runbook's own reads.

A runbook's prose says what to look at next ("check the status of the pods", "check pod
events", "see its logs") in words no command carries; each read tool's ``next_reads`` hook
says which reads its result calls for (a troubled pod's description and logs). These run
after the runbook's steps, breadth first, each once, and at most FOLLOW_UP_READS of them,
so one answer never fans out over a whole namespace.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from assistant.models import ToolCall
from tools.catalog import CATALOG

if TYPE_CHECKING:
    from assistant.planning.offline import Observation

FOLLOW_UP_READS = 6  # two pods' description and logs, and the list that named them


def _key(call: ToolCall) -> tuple[str, str]:
    """The call with its defaults filled, so ``logs`` and ``logs --tail=50`` are one read;
    as given when its args do not validate (it then runs and fails as given)."""
    spec = CATALOG.get(call.tool)
    try:
        if spec is not None:
            return call.tool, spec.validate_args(call.args).model_dump_json()
    except ValueError:
        pass
    return call.tool, call.args_hash


def _next(seen: Observation) -> list[ToolCall]:
    spec = CATALOG.get(seen.call.tool)
    if spec is None or spec.next_reads is None or not seen.ok or seen.data is None:
        return []
    return spec.next_reads(spec.validate_args(seen.call.args), spec.read_output(seen.data))


def follow_up(observations: Sequence[Observation],
              run_read_only: Callable[[ToolCall], Observation]) -> list[Observation]:
    """The reads the observations call for that none of them already made, run in turn;
    what those show may call for more, within the same bound."""
    done = {_key(o.call) for o in observations}
    queue = list(observations)
    found: list[Observation] = []
    while queue and len(found) < FOLLOW_UP_READS:
        for call in _next(queue.pop(0)):
            if (key := _key(call)) in done or len(found) >= FOLLOW_UP_READS:
                continue
            done.add(key)
            seen = run_read_only(call)
            found.append(seen)
            queue.append(seen)
    return found
