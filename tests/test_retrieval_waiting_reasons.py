"""Container waiting reasons are followed by the state they name before a search."""

from __future__ import annotations

from assistant.retrieval.waiting_reasons import spell_out_waiting_reasons


def test_waiting_reasons_in_any_case_gain_the_state() -> None:
    assert spell_out_waiting_reasons("stuck in ContainerCreating / imagepullbackoff") == (
        "stuck in ContainerCreating (container waiting) / "
        "imagepullbackoff (container waiting)")


def test_other_words_and_names_containing_a_reason_stay() -> None:
    for question in ("container is creating slowly", "job my-ErrImagePull-test failed",
                     "OOMKilled twice", ""):
        assert spell_out_waiting_reasons(question) == question
