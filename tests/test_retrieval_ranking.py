"""The pure fusion of dense and lexical section scores into runbooks."""

from __future__ import annotations

import numpy as np

from assistant.retrieval.ranking import (
    LEAD_WEIGHT,
    LEXICAL_WEIGHT,
    PAGE_LEXICAL_WEIGHT,
    REACH_WEIGHT,
    SECOND_WEIGHT,
    rank_runbooks,
)

# Three runbooks: 0 owns sections 0-1, 1 owns 2, 2 owns 3-4.
OWNER = np.array([0, 0, 1, 2, 2])


def test_best_dense_section_ranks_runbooks_and_is_cited() -> None:
    dense = np.array([0.2, 0.7, 0.5, 0.1, 0.3])
    ranked = rank_runbooks(OWNER, dense, np.zeros(5), 3, k=3)
    assert [(r.runbook, r.section) for r in ranked] == [(0, 1), (1, 2), (2, 4)]
    assert ranked[0].score == np.float32(0.7)


def test_strong_lexical_match_overturns_a_close_dense_call() -> None:
    dense = np.array([0.50, 0.10, 0.45, 0.40, 0.10])
    lexical = np.array([0.0, 0.0, 9.0, 0.0, 0.0])  # e.g. "PLEG" only in runbook 1
    ranked = rank_runbooks(OWNER, dense, lexical, 3, k=3)
    assert ranked[0].runbook == 1
    assert np.isclose(ranked[0].score, 0.45 + LEXICAL_WEIGHT)


def test_lexical_cannot_overturn_a_clear_dense_winner() -> None:
    dense = np.array([0.90, 0.10, 0.20, 0.10, 0.10])
    lexical = np.array([0.0, 0.0, 9.0, 0.0, 0.0])
    assert rank_runbooks(OWNER, dense, lexical, 3, k=1)[0].runbook == 0


def test_a_lexical_match_on_a_page_the_embedding_finds_unrelated_counts_for_nothing() -> None:
    # A question matching no page's words but one everyday word ("hour") on a far page.
    dense = np.array([0.50, 0.10, 0.15, 0.10, 0.10])
    lexical = np.array([0.0, 0.0, 9.0, 0.0, 0.0])
    ranked = rank_runbooks(OWNER, dense, lexical, 3, k=3)
    assert [r.runbook for r in ranked] == [0, 1, 2]
    assert np.isclose(ranked[1].score, 0.15)


def test_a_lexical_match_fades_with_the_distance_below_the_best_dense_page() -> None:
    lexical = np.array([0.0, 0.0, 9.0, 0.0, 0.0])
    nearer = rank_runbooks(OWNER, np.array([0.50, 0.10, 0.35, 0.10, 0.10]), lexical, 3, k=1)
    assert nearer[0].runbook == 1
    assert np.isclose(nearer[0].score, 0.35 + LEXICAL_WEIGHT * 0.6)
    further = rank_runbooks(OWNER, np.array([0.50, 0.10, 0.25, 0.10, 0.10]), lexical, 3, k=2)
    assert [r.runbook for r in further] == [0, 1]
    assert np.isclose(further[1].score, 0.25 + LEXICAL_WEIGHT * 0.2)


def test_alert_label_comes_first_then_mentions_then_the_rest() -> None:
    dense = np.array([0.9, 0.8, 0.5, 0.1, 0.2])
    ranked = rank_runbooks(OWNER, dense, np.zeros(5), 3, k=3, labelled={2}, mentioned={1})
    assert [r.runbook for r in ranked] == [2, 1, 0]
    assert ranked[0].score > ranked[1].score > ranked[2].score


def test_runbook_without_sections_uses_the_floor_and_k_is_capped() -> None:
    dense = np.array([0.3, 0.6])
    ranked = rank_runbooks(np.array([0, 0]), dense, np.zeros(2), 2, k=10, labelled={1})
    assert [(r.runbook, r.section) for r in ranked] == [(1, None), (0, 1)]
    assert rank_runbooks(np.array([], dtype=np.int64), np.array([]), np.array([]), 0, k=3) == []


def test_ties_break_by_position_so_results_are_stable() -> None:
    dense = np.array([0.5, 0.5, 0.5, 0.5, 0.5])
    assert [r.runbook for r in rank_runbooks(OWNER, dense, np.zeros(5), 3, k=3)] == [0, 1, 2]


def test_lead_section_separates_siblings_whose_shared_sections_tie() -> None:
    # Runbooks 0 and 1 share a copied Diagnosis (sections 1 and 3 score alike); only the
    # lead sections (0 and 2) say which fault each page is about.
    owner = np.array([0, 0, 1, 1])
    dense = np.array([0.30, 0.62, 0.55, 0.62])
    lead = np.array([0, 2])
    ranked = rank_runbooks(owner, dense, np.zeros(4), 2, k=2, lead_section=lead)
    assert [r.runbook for r in ranked] == [1, 0]
    lead_score = (1 - SECOND_WEIGHT) * 0.55 + SECOND_WEIGHT * 0.62
    assert np.isclose(ranked[0].score, (1 - LEAD_WEIGHT) * 0.62 + LEAD_WEIGHT * lead_score)
    # The cited section is still the best-matching one, not the lead.
    assert ranked[0].section == 3
    without_lead = rank_runbooks(owner, dense, np.zeros(4), 2, k=2)
    assert without_lead[0].score == without_lead[1].score


def test_the_section_after_the_lead_separates_pages_whose_lead_and_best_tie() -> None:
    # Same one-line Meaning (sections 0, 3), same copied Diagnosis (2, 5); the question
    # describes runbook 1's Impact (section 4).
    owner = np.array([0, 0, 0, 1, 1, 1])
    dense = np.array([0.50, 0.30, 0.70, 0.50, 0.45, 0.70])
    ranked = rank_runbooks(owner, dense, np.zeros(6), 2, k=2, lead_section=np.array([0, 3]))
    assert [r.runbook for r in ranked] == [1, 0]
    assert np.isclose(ranked[0].score - ranked[1].score,
                      LEAD_WEIGHT * SECOND_WEIGHT * (0.45 - 0.30))


def test_a_lead_with_no_section_after_it_on_its_page_counts_alone() -> None:
    owner = np.array([0, 1, 1])
    dense = np.array([0.60, 0.20, 0.90])
    ranked = rank_runbooks(owner, dense, np.zeros(3), 2, k=2, lead_section=np.array([0, 1]))
    assert np.isclose(ranked[1].score, 0.60)


def test_a_page_answered_only_past_its_lead_still_beats_a_weak_page() -> None:
    owner = np.array([0, 0, 1])
    dense = np.array([0.10, 0.80, 0.45])
    ranked = rank_runbooks(owner, dense, np.zeros(3), 2, k=2, lead_section=np.array([0, 2]))
    assert ranked[0].runbook == 0


def test_runbook_without_a_lead_section_takes_the_floor() -> None:
    owner = np.array([0, 1])
    dense = np.array([0.2, 0.6])
    ranked = rank_runbooks(owner, dense, np.zeros(2), 3, k=3, lead_section=np.array([0, 1, -1]))
    assert [r.runbook for r in ranked] == [1, 0, 2]
    assert np.isclose(ranked[2].score, 0.2)


def test_a_term_in_the_lead_section_outweighs_the_same_term_in_copied_text() -> None:
    # Both pages repeat the term in a shared Mitigation; only runbook 1 says it up front.
    owner = np.array([0, 0, 1, 1])
    dense = np.full(4, 0.5)
    lexical = np.array([0.0, 4.0, 3.0, 4.0])
    ranked = rank_runbooks(owner, dense, lexical, 2, k=2, lead_section=np.array([0, 2]))
    assert [r.runbook for r in ranked] == [1, 0]
    assert np.isclose(ranked[0].score - ranked[1].score, LEXICAL_WEIGHT * LEAD_WEIGHT * 0.75)


def test_a_page_matching_the_question_across_sections_beats_one_strong_section() -> None:
    # Runbook 1 says the effect in one section and the cause in another; runbook 0 repeats
    # one of the question's words in a single section.
    owner = np.array([0, 0, 1, 1])
    dense = np.full(4, 0.5)
    lexical = np.array([3.0, 0.0, 2.5, 2.5])
    page = np.array([3.0, 6.0])
    assert rank_runbooks(owner, dense, lexical, 2, k=1)[0].runbook == 0
    ranked = rank_runbooks(owner, dense, lexical, 2, k=2, page_lexical=page)
    assert [r.runbook for r in ranked] == [1, 0]
    section_share = (1 - PAGE_LEXICAL_WEIGHT) * 2.5 / 3
    assert np.isclose(ranked[0].score, 0.5 + LEXICAL_WEIGHT * (section_share + PAGE_LEXICAL_WEIGHT))


def test_agreeing_on_reach_settles_a_close_call_between_siblings() -> None:
    # Runbook 0 ("at least one instance") edges out runbook 1 ("all instances") on words;
    # the question says the whole cluster.
    owner = np.array([0, 1, 2])
    dense = np.array([0.505, 0.50, 0.2])
    agreement = np.array([-1, 1, 0])
    assert rank_runbooks(owner, dense, np.zeros(3), 3, k=1)[0].runbook == 0
    ranked = rank_runbooks(owner, dense, np.zeros(3), 3, k=3, reach_agreement=agreement)
    assert [r.runbook for r in ranked] == [1, 0, 2]
    assert np.isclose(ranked[0].score, 0.50 + REACH_WEIGHT)


def test_agreeing_on_reach_cannot_overturn_a_clear_winner() -> None:
    owner = np.array([0, 1])
    ranked = rank_runbooks(owner, np.array([0.6, 0.5]), np.zeros(2), 2, k=1,
                           reach_agreement=np.array([-1, 1]))
    assert ranked[0].runbook == 0
