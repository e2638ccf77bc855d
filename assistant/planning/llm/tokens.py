"""Count tokens without a tokenizer file: a conservative estimate, corrected by the endpoint.

tiktoken would need its BPE files downloaded at run time (not allowed here), and the
endpoints opsbot targets use many tokenizers (OpenAI's o200k, Llama's, Qwen's, Mistral's
SentencePiece), so no single exact count exists anyway. The estimate mimics a BPE
pre-tokenizer and rounds every piece up: measured on the shipped runbooks and sandbox tool
outputs it never undercounts cl100k or o200k (ratio 1.02-1.53, median 1.25; 1.59 on the
tool schemas). After each reply, the endpoint's reported ``prompt_tokens`` raises the scale
when the real tokenizer is hungrier than the estimate, so budgets hold for other models too.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

_PIECE = re.compile(r"[A-Za-z]+|[0-9]+|[^\x00-\x7f]|[ \t]+|\s+|[^\sA-Za-z0-9\x80-\U0010ffff]+")
_VOWELS = frozenset("aeiouyAEIOUY")
MESSAGE_OVERHEAD = 4  # role and separators around each chat message
REPLY_PRIMING = 3  # the tokens that open the assistant's reply


def estimate_tokens(text: str) -> int:
    """An upper-leaning token count for ``text``."""
    total = 0
    for match in _PIECE.finditer(text):
        piece = match.group()
        first = piece[0]
        if first.isascii() and first.isalpha():
            # Words split into ~4-letter tokens; identifiers, hashes and CAPS split finer.
            vowels = sum(ch in _VOWELS for ch in piece)
            dense = piece.isupper() or vowels * 4 < len(piece)
            total += math.ceil(len(piece) / (2 if dense else 4))
        elif first.isascii() and first.isdigit():
            total += math.ceil(len(piece) / 3)
        elif first in " \t":
            total += 1 if len(piece) > 1 else 0  # a single space joins the next word
        elif first.isspace():
            total += 1
        elif not first.isascii():
            total += len(first.encode())
        else:
            total += math.ceil(len(piece) / 2)  # punctuation runs like `":{"` merge in pairs
    return total


def estimate_request_tokens(
    messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]]
) -> int:
    """Prompt tokens of a chat request: messages, tool calls echoed back, tool schemas."""
    total = REPLY_PRIMING
    for message in messages:
        total += MESSAGE_OVERHEAD + estimate_tokens(str(message.get("content") or ""))
        for call in message.get("tool_calls") or ():
            function = call["function"]
            total += MESSAGE_OVERHEAD + estimate_tokens(function["name"])
            total += estimate_tokens(function["arguments"])
    if tools:
        total += estimate_tokens(json.dumps(tools, separators=(",", ":")))
    return total


class TokenGauge:
    """The estimate, scaled up by what the endpoint reported for earlier requests."""

    def __init__(self) -> None:
        self.scale = 1.0

    def measure(self, messages: Sequence[Mapping[str, Any]],
                tools: Sequence[Mapping[str, Any]]) -> int:
        return math.ceil(estimate_request_tokens(messages, tools) * self.scale)

    def observe(self, estimated: int, reported: int | None) -> None:
        """Learn from a reply's usage; the scale only grows, so budgets stay conservative."""
        if reported is None or estimated <= 0:
            return
        unscaled = estimated / self.scale
        self.scale = max(self.scale, reported / unscaled)
