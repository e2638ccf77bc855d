"""A deterministic stand-in for the embedding model, for index tests that must not pay for
(or depend on) the real one."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.models import Runbook
from assistant.retrieval.lexical import tokenize
from assistant.retrieval.loading import load_runbooks


class HashingEmbedder:
    """A deterministic bag-of-words stand-in for the model that records what it embeds."""

    def __init__(self, model_id: str = "hashing-v1") -> None:
        self.model_id = model_id
        self.embedded: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded.extend(texts)
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in tokenize(text) or ["empty"]:
                out[row, int(hashlib.md5(term.encode()).hexdigest(), 16) % 64] += 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def load(folder: Path) -> list[Runbook]:
    return load_runbooks([folder]).runbooks
