"""Fuse dense and lexical section scores into one ranked list of runbooks. Pure: no I/O.

Measured on the shared prometheus-operator corpus (see evals/bench/retrieval_quality.py):
the dense score of a runbook's best section carries most of the signal, and a lexical
term that the embedding blurs ("PLEG", "conntrack", an alert name) should reorder close
calls without letting a page that merely repeats a common word win. So the lexical
score is scaled to the best lexical score of the query and added with a small weight,
rather than fused by rank (rank fusion gives a weak lexical match as much say as a
strong one, and did worse).

A runbook's best section alone cannot tell sibling pages apart: sibling alerts (network
receive vs transmit errors, inodes vs bytes filling up) share near-identical Diagnosis and
Mitigation text, so their best sections score alike. The page's lead section (its first:
"Meaning" on these pages) is where siblings differ, so its dense and lexical scores are
blended into the runbook's.

A question often names an effect and a cause ("dashboards flat ... stopped taking in new
data"), which a page puts in different sections (Impact, Meaning, Diagnosis): the best
section's lexical score sees only one of them. So the page's own BM25 score, over all its
text at once, is blended into its lexical score.

Siblings also differ by reach (all instances vs at least one, any Alertmanager vs a
specific one), which each says in the first sentence of its lead; a question that says the
same reach lifts the page a little (scope.py), enough to settle a close call between them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

# Weight of the max-normalised lexical score next to a cosine similarity. Hit rates were
# flat from 0.2 to 0.5 on the questions we measured; 0.5 is the end that lets a rare term
# ("PLEG is slow") outvote a dense match on a common one.
LEXICAL_WEIGHT = 0.5
# Weight of name coverage (0 to 1, see lexical.NameMatcher). On our held-out on-call
# questions 0.2 to 0.3 turned near-misses between sibling pages (NotReady vs
# ReadinessFlapping) into hits; above 0.4 a page whose short name shares one rare word
# with the question started to outvote the page that describes the symptom.
NAME_WEIGHT = 0.2
# Share of a runbook's dense and lexical scores taken from its lead section rather than its
# best one. On the visible and on-call question sets, dense alone: on-call hit@1 0.891 at 0,
# 0.921 at 0.4, flat to 0.6; lexical too at 0.4: 0.941. At 0.6 and above a question
# answered only past the lead (in Diagnosis or Mitigation) fell out of the top 3.
LEAD_WEIGHT = 0.4
# Share of the lead's dense score taken from the section right after it ("Impact" on these
# pages): a one-line Meaning says what fired, the Impact what it does to users, and a
# question often describes only the effect. Over all four question sets (sum of hit@1 and
# MRR), float32 vectors: +0.047 at 0.3, +0.031 at 0.5; int8 vectors +0.011 and +0.026.
SECOND_WEIGHT = 0.3
# A page's lexical score counts in full while its dense score is within LEXICAL_FULL_WITHIN
# of the best page's, and fades to nothing at LEXICAL_NONE_BELOW under it. The corpus is
# small, so everyday words ("hour", "four", "version") are rare in it and a question
# matching nothing else hands the whole max-normalised lexical score to a page sharing one
# of them: "six pods but only four are up" ranked a filesystem page (dense 0.18, lexical
# 1.0) above the replicas page. A page the embedding finds unrelated gets no lexical say;
# near the top, a rare term still settles a close call ("inodes" vs space).
LEXICAL_FULL_WITHIN = 0.05
LEXICAL_NONE_BELOW = 0.3
# Share of a runbook's lexical score taken from BM25 over the whole page rather than from
# its sections. Over the development question sets (evals/retrieval but the held-out
# incident-commander set, and ../shared/evals/real-runbooks.yaml; sum of hit@1 / hit@3 / MRR):
# 4.550 / 4.863 / 4.711 at 0, 4.567 / 4.884 / 4.724 at 0.4, 4.577 / 4.893 / 4.731 at 0.6,
# 4.524 / 4.884 / 4.702 with the page alone (1.0). From 0.6 a page that merely repeats a
# pasted log's words ("failed", "status") beats the page the log is about
# (test_retrieval_corpus), so 0.4.
PAGE_LEXICAL_WEIGHT = 0.4
# Weight of agreement on reach (scope.py: +1 when question and page lead both speak of the
# whole, or both of a part; -1 when they differ). Over the development question sets
# (evals/retrieval but the NOC set, and ../shared/evals/real-runbooks.yaml; mean hit@1 /
# hit@3 / MRR): 0.9111 / 0.9735 / 0.9429 at 0, 0.9122 at 0.01, 0.9146 / 0.9735 / 0.9448
# at 0.02, 0.9135 at 0.03, no set's hit@3 or MRR lower at any of them. It only settles
# close calls between siblings; a wider word list ("nothing", "most", "only", "few") did no
# better, and at 0.05 hit@3 fell on two sets.
REACH_WEIGHT = 0.02
# Tiers above any fused score (cosine <= 1 plus LEXICAL_WEIGHT plus NAME_WEIGHT), so
# scores stay sorted.
ALERT_LABEL_BOOST = 4.0
ALERT_MENTION_BOOST = 2.0


@dataclass(frozen=True)
class RankedRunbook:
    runbook: int  # position in the caller's runbook list
    score: float
    section: int | None  # position of the cited section in the caller's section list


def rank_runbooks(
    section_owner: np.ndarray,
    dense: np.ndarray,
    lexical: np.ndarray,
    runbook_count: int,
    k: int,
    labelled: Collection[int] = (),
    mentioned: Collection[int] = (),
    lexical_weight: float = LEXICAL_WEIGHT,
    name_coverage: np.ndarray | None = None,
    name_weight: float = NAME_WEIGHT,
    lead_section: np.ndarray | None = None,
    lead_weight: float = LEAD_WEIGHT,
    page_lexical: np.ndarray | None = None,
    page_lexical_weight: float = PAGE_LEXICAL_WEIGHT,
    reach_agreement: np.ndarray | None = None,
) -> list[RankedRunbook]:
    """Rank runbooks from per-section scores.

    ``section_owner[i]`` is the runbook of section ``i``; ``dense[i]`` its cosine
    similarity to the query and ``lexical[i]`` its BM25 score. ``name_coverage[r]`` is how much of
    runbook ``r``'s name the question covers (0 to 1, see lexical.NameMatcher).
    ``lead_section[r]`` is the position of runbook ``r``'s first section (-1: none).
    ``page_lexical[r]`` is the BM25 score of runbook ``r``'s whole text.
    ``reach_agreement[r]`` is 1 when the question and runbook ``r``'s lead say the same
    reach (see scope.py), -1 when they differ, 0 when either says none.
    ``labelled`` runbooks answer an alert in the alert's labels and come first;
    ``mentioned`` ones are named in the question.
    """
    lexical_part = _max_normalised(lexical)
    best_dense = np.full(runbook_count, -np.inf)
    best_lexical = np.zeros(runbook_count)
    np.maximum.at(best_dense, section_owner, dense)
    np.maximum.at(best_lexical, section_owner, lexical_part)
    floor = float(dense.min()) if dense.size else 0.0
    best_dense[np.isneginf(best_dense)] = floor
    if lead_section is not None:
        has_lead = lead_section >= 0
        lead = np.maximum(lead_section, 0)
        lead_dense = np.where(has_lead, _with_next(dense, section_owner, lead), floor)
        best_dense = _blend(best_dense, lead_dense, lead_weight)
        best_lexical = _blend(best_lexical, np.where(has_lead, lexical_part[lead], 0.0),
                              lead_weight)
    if page_lexical is not None:
        best_lexical = _blend(best_lexical, _max_normalised(page_lexical), page_lexical_weight)
    scores = best_dense + lexical_weight * best_lexical * _lexical_gate(best_dense)
    if name_coverage is not None:
        scores += name_weight * name_coverage
    if reach_agreement is not None:
        scores += REACH_WEIGHT * reach_agreement
    for runbook in mentioned:
        scores[runbook] += ALERT_MENTION_BOOST
    for runbook in labelled:
        scores[runbook] += ALERT_LABEL_BOOST

    count = min(k, runbook_count)
    if count <= 0:
        return []
    top = np.argpartition(-scores, count - 1)[:count]
    top = top[np.lexsort((top, -scores[top]))]
    section_scores = dense + lexical_weight * lexical_part
    return [
        RankedRunbook(int(r), float(scores[r]), _best_section(section_owner, section_scores, r))
        for r in top
    ]


def _max_normalised(scores: np.ndarray) -> np.ndarray:
    top = float(scores.max()) if scores.size else 0.0
    return scores / top if top > 0 else np.zeros_like(scores)


def _blend(best: np.ndarray, other: np.ndarray, weight: float) -> np.ndarray:
    """``best`` with ``weight`` of it taken from ``other`` instead."""
    return (1 - weight) * best + weight * other


def _with_next(dense: np.ndarray, owner: np.ndarray, lead: np.ndarray) -> np.ndarray:
    """Each lead's dense score blended with the section after it, where the same runbook
    owns that section."""
    after = np.minimum(lead + 1, len(dense) - 1)
    same_page = owner[after] == owner[lead]
    return np.where(same_page, _blend(dense[lead], dense[after], SECOND_WEIGHT), dense[lead])


def _lexical_gate(runbook_dense: np.ndarray) -> np.ndarray:
    """1 for runbooks whose dense score is near the best one, fading to 0 further down."""
    if not runbook_dense.size:
        return runbook_dense
    below_best = float(runbook_dense.max()) - runbook_dense
    fade = LEXICAL_NONE_BELOW - LEXICAL_FULL_WITHIN
    return np.clip((LEXICAL_NONE_BELOW - below_best) / fade, 0.0, 1.0)


def _best_section(owner: np.ndarray, section_scores: np.ndarray, runbook: int) -> int | None:
    mine = np.flatnonzero(owner == runbook)
    if mine.size == 0:
        return None
    return int(mine[np.argmax(section_scores[mine])])
