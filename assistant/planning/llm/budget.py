"""Fit a prompt into the context budget by shrinking its least important parts first.

A prompt is messages made of blocks; a block lists its renderings from full to smallest
(often ending in "" = dropped). Fitting steps the block that gives way first down one
rendering until the redacted request, tool schemas included, measures within budget. Blocks
are never reordered and messages never dropped, so tool results still answer their calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.planning.llm.tokens import TokenGauge, estimate_tokens

Redact = Callable[[str], str]


class ContextBudgetExceeded(Exception):
    """Even with every block at its smallest, the request is over budget."""

    def __init__(self, tokens: int, budget: int) -> None:
        super().__init__(f"the smallest prompt needs ~{tokens} tokens, over the budget of "
                         f"{budget}")
        self.tokens = tokens
        self.budget = budget


@dataclass
class Block:
    levels: tuple[str, ...]  # renderings, full first
    # Which block gives way first: lower sorts first (tier, then order within the tier).
    yield_order: tuple[int, int] = (0, 0)
    level: int = 0

    @classmethod
    def fixed(cls, text: str) -> Block:
        return cls(levels=(text,))

    @property
    def text(self) -> str:
        return self.levels[self.level]

    @property
    def shrinkable(self) -> bool:
        return self.level < len(self.levels) - 1


@dataclass
class PromptMessage:
    role: str
    blocks: list[Block] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] | None = None  # assistant turns that called tools
    tool_call_id: str | None = None  # tool results

    def render(self, redact: Redact) -> dict[str, Any]:
        content = "\n\n".join(b.text for b in self.blocks if b.text)
        message: dict[str, Any] = {"role": self.role, "content": redact(content) or None}
        if self.tool_calls:
            message["tool_calls"] = [
                {**call, "function": {"name": call["function"]["name"],
                                      "arguments": redact(call["function"]["arguments"])}}
                for call in self.tool_calls
            ]
        if self.tool_call_id is not None:
            message["tool_call_id"] = self.tool_call_id
            message["content"] = message["content"] or ""
        return message


@dataclass(frozen=True)
class FittedPrompt:
    messages: list[dict[str, Any]]
    tokens: int  # as measured by the gauge, tool schemas included


def fit_prompt(
    messages: Sequence[PromptMessage],
    tools: Sequence[dict[str, Any]],
    budget: int,
    gauge: TokenGauge,
    redact: Redact,
) -> FittedPrompt:
    """Shrink ``messages`` in place until the redacted request fits ``budget`` tokens."""
    blocks = sorted((b for m in messages for b in m.blocks), key=lambda b: b.yield_order)
    _shrink_by_estimate(messages, blocks, tools, budget, gauge)
    while True:
        rendered = [m.render(redact) for m in messages]
        tokens = gauge.measure(rendered, tools)
        if tokens <= budget:
            return FittedPrompt(rendered, tokens)
        # Redaction or joins made the exact count exceed the per-block sum: one more step.
        block = next((b for b in blocks if b.shrinkable), None)
        if block is None:
            raise ContextBudgetExceeded(tokens, budget)
        block.level += 1


def _shrink_by_estimate(
    messages: Sequence[PromptMessage],
    blocks: Sequence[Block],
    tools: Sequence[dict[str, Any]],
    budget: int,
    gauge: TokenGauge,
) -> None:
    """The bulk of the shrinking on cached per-block counts, without re-rendering."""
    cache: dict[str, int] = {}

    def tokens_of(text: str) -> int:
        if text not in cache:
            cache[text] = estimate_tokens(text) + 2  # the blank line joining blocks
        return cache[text]

    frame = gauge.measure([PromptMessage(m.role, tool_calls=m.tool_calls).render(str)
                           for m in messages], tools)
    total = frame + gauge.scale * sum(tokens_of(b.text) for b in blocks)
    for block in blocks:
        while total > budget and block.shrinkable:
            before = tokens_of(block.text)
            block.level += 1
            total -= gauge.scale * (before - tokens_of(block.text))
        if total <= budget:
            return
