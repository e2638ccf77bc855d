"""A thread that came with an alert acts on that alert, not on its siblings. Pure.

Alerts share a name across instances (PublisherFeedStale for feed=nordic-pub and for
feed=harbor-audio): a call on the thread's alert name carries the thread's alert's own
identifying labels as matchers, so neither a runbook's namespace-wide matcher nor evidence
about a sibling can aim it at another instance.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.analysis.alerts import identity_labels
from assistant.models import ToolCall
from assistant.planning.entities import LinkedEntities
from assistant.planning.offline import PlannedCall
from tools.catalog import CATALOG


def _scoped(call: ToolCall, labels: dict[str, str]) -> ToolCall:
    matchers = {**call.args.get("matchers", {}), **labels}
    return ToolCall(tool=call.tool, args={**call.args, "matchers": matchers})


def within_thread_alert(candidates: Sequence[PlannedCall],
                        entities: LinkedEntities) -> tuple[PlannedCall, ...]:
    """``candidates``, each call on the thread's alert name narrowed to the thread's alert."""
    labels = identity_labels(dict(entities.paged_labels))
    if not labels or entities.alertname is None:
        return tuple(candidates)
    return tuple(
        c.model_copy(update={"call": _scoped(c.call, labels)})
        if "matchers" in CATALOG[c.call.tool].args_model.model_fields
        and c.call.args.get("alertname") == entities.alertname else c
        for c in candidates)
