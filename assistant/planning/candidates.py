"""Why a planner's candidate call could not become a proposal, in words for the answer.

A candidate comes from runbook steps or from a model, and either can name a target the
environment does not have or an argument the tool refuses. One such candidate must not cost
the thread its diagnosis or its other proposals: the engine drops it and says why.
"""

from __future__ import annotations

from pydantic import ValidationError

from assistant.models import ToolCall
from tools.backend import ToolFailure

# What building a proposal raises when the candidate itself is at fault: an unknown tool
# (KeyError), arguments the tool's model rejects (ValidationError is a ValueError), or a
# target the backend cannot find, size or preview (ToolFailure).
CANDIDATE_FAILURES: tuple[type[Exception], ...] = (ToolFailure, ValueError, KeyError)


def rejection_reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'arguments'}: {error['msg']}"
            for error in exc.errors(include_url=False)
        )
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return str(exc)


def not_proposed_note(call: ToolCall, exc: Exception) -> str:
    return f"not proposed: `{call.render()}` — {rejection_reason(exc)}"
