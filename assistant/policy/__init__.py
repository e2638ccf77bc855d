"""The deterministic policy engine: the LLM proposes, this decides.

Load once with `load_policy`, then call `decide` per tool call; `check_approval` when a
person clicks Confirm; `requestable_tools` to limit what a planner is shown.
"""

from assistant.policy.approval import (
    ApprovalCheck,
    approving_roles,
    check_approval,
    counted_approvers,
)
from assistant.policy.compiled import Policy, compile_policy
from assistant.policy.engine import decide, requestable_tools, roles_of
from assistant.policy.loader import load_policy

__all__ = [
    "ApprovalCheck",
    "Policy",
    "approving_roles",
    "check_approval",
    "compile_policy",
    "counted_approvers",
    "decide",
    "load_policy",
    "requestable_tools",
    "roles_of",
]
