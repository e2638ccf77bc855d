"""A word's likeness to a name is SequenceMatcher's ratio wherever it reaches the floor,
and pairs that cannot reach it are ruled out without matching them."""

from __future__ import annotations

import random
from difflib import SequenceMatcher

import pytest

from assistant.planning import likeness as likeness_module
from assistant.planning.likeness import likeness, misspelling

WORDS = ["", "a", "api", "cart", "carts", "checkout", "chekout", "checkout-worker", "quoter",
         "quotes", "fare-quoter", "fare-quotes", "ledger", "ledgr", "journal-store", "store",
         "restore", "kafkaconsumergrouplag", "kafkaconsumergrouplagg", "payments-api"]


def test_the_likeness_is_the_ratio_when_it_reaches_the_floor_and_zero_below() -> None:
    rng = random.Random(7)
    pairs = [(a, b) for a in WORDS for b in WORDS]
    pairs += [("".join(rng.choices("abcde-", k=rng.randint(0, 12))),
               "".join(rng.choices("abcde-", k=rng.randint(0, 12)))) for _ in range(3000)]
    for floor in (0.8, 0.85):
        for a, b in pairs:
            ratio = SequenceMatcher(None, a, b).ratio()
            assert likeness(a, b, floor) == (ratio if ratio >= floor else 0.0), (a, b)


def test_a_pair_too_different_in_length_is_not_matched(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_matching(*args: object) -> SequenceMatcher[str]:
        raise AssertionError("matched a pair its lengths rule out")

    monkeypatch.setattr(likeness_module, "SequenceMatcher", no_matching)
    assert likeness("api", "payments-reconciler", 0.8) == 0.0


def test_a_misspelling_slips_at_most_one_letter_in_four() -> None:
    assert misspelling("chekout", "checkout", 0.8) == likeness("chekout", "checkout", 0.8)
    assert misspelling("licencer", "licenser", 0.8) > 0
    assert misspelling("covr", "cover", 0.8) > 0
    # The ratio reaches the floor, but the name only sits inside another word.
    assert likeness("cutover", "cover", 0.8) > 0
    assert misspelling("cutover", "cover", 0.8) == 0.0
    assert misspelling("patrons", "patron-sso", 0.8) == 0.0


def test_a_name_numbered_otherwise_is_another_thing_not_a_misspelling() -> None:
    assert misspelling("rc-gpu-06", "rc-gpu-07", 0.85) == 0.0
    assert misspelling("worker-node-13", "worker-node-14", 0.85) == 0.0
    assert misspelling("rc-gpu-07", "rc-gpu-07", 0.85) == 1.0
    assert misspelling("rc-gpo-07", "rc-gpu-07", 0.85) > 0.0
