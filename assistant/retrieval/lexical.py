"""Lexical matching: identifier-aware tokens and BM25 over an in-memory inverted index.

Operators type alert names, error strings and jargon ("PLEG", "conntrack", "inodes")
that a small embedding model blurs; exact term matches keep them findable. Identifiers
are split at case changes, digits and underscores, so ``KubeletPlegDurationHigh``
matches "pleg", and also kept whole, so the full name matches best.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import snowballstemmer

_WORD = re.compile(r"[A-Za-z0-9]+(?:[_'][A-Za-z0-9]+)*")
_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# Function words only: they carry no topic, and matching them would reward long pages.
# Direction words (down, up, out, off, over, under) are kept as terms: in alert names and
# on-call speech they name a state ("API down", "filling up", "out of space"). So are
# quantifiers (all, any, some, each, few, most, no, only): sibling alerts differ by scope
# ("all instances failed" vs "at least one instance", to any vs to some alertmanagers),
# and a question says which. On the development question sets (sum of hit@1 / hit@3 /
# MRR) 4.567 / 4.884 / 4.724 with them as stopwords, 4.584 / 4.886 / 4.736 as terms;
# "not" as a term too did worse (4.556 / 4.875 / 4.717).
_STOPWORDS = frozenset(
    """a about above after again against am an and are as at be because been before being
    below between both but by can could did do does doing during for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself
    just let me more my myself nor not now of on once or other our ours ourselves own same
    she should so such than that the their theirs them themselves then there these they
    this those through to too until very was we were what when where which while who whom
    why will with would you your yours yourself yourselves s t dont isnt doesnt didnt wasnt
    arent wont cant""".split()
)
_STEMMER = snowballstemmer.stemmer("english")


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed terms; identifiers also yield their parts of two or more
    characters (a lone letter or digit cut from "k8s", "v1" or "eth0" names nothing, yet
    is rare enough in a small corpus to count as a strong match)."""
    terms: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group()
        parts = [p.lower() for p in _PART.findall(word.replace("'", ""))]
        whole = word.replace("'", "").lower()
        if len(parts) > 1:
            if whole not in _STOPWORDS:
                terms.append(whole.replace("_", ""))
            parts = [p for p in parts if len(p) > 1]
        terms.extend(p for p in parts if p not in _STOPWORDS)
    return [_stem(t) for t in terms]


@functools.lru_cache(maxsize=200_000)
def _stem(term: str) -> str:
    return _STEMMER.stemWord(term)


class Bm25:
    """Okapi BM25 with postings as numpy arrays, so a query costs O(matching postings)."""

    def __init__(self, documents: Sequence[Sequence[str]], k1: float = 1.2,
                 b: float = 0.75) -> None:
        self.size = len(documents)
        lengths = np.array([len(d) for d in documents], dtype=np.float32)
        average = float(lengths.mean()) if self.size and lengths.sum() else 1.0
        norm = k1 * (1 - b + b * lengths / average)
        postings: dict[str, list[tuple[int, int]]] = {}
        for doc, terms in enumerate(documents):
            for term, count in Counter(terms).items():
                postings.setdefault(term, []).append((doc, count))
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, hits in postings.items():
            docs = np.fromiter((d for d, _ in hits), dtype=np.int32, count=len(hits))
            tf = np.fromiter((c for _, c in hits), dtype=np.float32, count=len(hits))
            idf = math.log(1 + (self.size - len(hits) + 0.5) / (len(hits) + 0.5))
            self._postings[term] = (docs, idf * tf * (k1 + 1) / (tf + norm[docs]))

    def scores(self, terms: Iterable[str]) -> np.ndarray:
        out = np.zeros(self.size, dtype=np.float32)
        for term in set(terms):
            hit = self._postings.get(term)
            if hit is not None:
                out[hit[0]] += hit[1]
        return out


class NameMatcher:
    """How much of each runbook's name a question covers, weighted by rarity.

    A runbook's name is its title, id and alert names split into terms ("KubeNodeNotReady"
    gives kube, node, ready). A question saying "node went NotReady" covers every rare term
    of that name and misses "KubeNodeReadinessFlapping"'s "flapping"; BM25 over whole
    sections hardly sees this, because a name's few terms drown among a section's many.
    Coverage is the share of the name's inverse document frequency (over names, so "kube"
    weighs little) that the question's terms hit: 1.0 means the question names the runbook.
    A question term also hits the name terms of its stem family (see ``_stem_relatives``):
    the stemmer cuts "failing" to "fail" but "failures" to "failur", "serving" to "serv"
    but "server" to "server". And a word that joins adjacent parts of a name hits each of
    them: people type the kind "daemonset" or "crashloop" as one word, where the name
    ``KubeDaemonSetNotScheduled`` has "daemon" and "set".
    """

    def __init__(self, names: Sequence[Iterable[str]]) -> None:
        self._names = [frozenset(_name_terms(name)) for name in names]
        frequency = Counter(term for name in self._names for term in name)
        count = len(self._names)
        self._idf = {t: math.log(1 + (count - n + 0.5) / (n + 0.5)) for t, n in frequency.items()}
        self._total = np.array([sum(self._idf[t] for t in name) for name in self._names],
                               dtype=np.float32)
        holders: dict[str, list[int]] = {}
        for position, name in enumerate(self._names):
            for term in name:
                holders.setdefault(term, []).append(position)
        self._holders = {t: np.array(p, dtype=np.int64) for t, p in holders.items()}
        self._longer: dict[str, set[str]] = {}
        for term in self._idf:
            for shorter in _truncations(term):
                self._longer.setdefault(shorter, set()).add(term)
        self._compounds: dict[str, set[str]] = {}
        for joined, parts in _compounds(text for name in names for text in name):
            self._compounds.setdefault(joined, set()).update(parts)

    def coverage(self, query: str) -> np.ndarray:
        """Per runbook, the idf-weighted share of its name's terms found in ``query``."""
        terms = set(tokenize(query))
        terms.update(*(self._compounds.get(term, ()) for term in list(terms)))
        hit = np.zeros(len(self._names), dtype=np.float32)
        for term in self._stem_relatives(terms):
            hit[self._holders[term]] += self._idf[term]
        return np.divide(hit, self._total, out=np.zeros_like(hit), where=self._total > 0)


    def _stem_relatives(self, terms: set[str]) -> set[str]:
        """The name terms equal to one of ``terms``, or one being the other plus at most
        ``_MAX_SUFFIX`` letters, with at least ``_MIN_STEM`` letters in common."""
        found: set[str] = set()
        for term in terms:
            found.update(self._longer.get(term, ()))
            found.update(t for t in (term, *_truncations(term)) if t in self._idf)
        return found


_MIN_STEM = 4
_MAX_SUFFIX = 2


def _truncations(term: str) -> list[str]:
    return [term[:-cut] for cut in range(1, _MAX_SUFFIX + 1) if len(term) - cut >= _MIN_STEM]


def _compounds(texts: Iterable[str]) -> Iterator[tuple[str, list[str]]]:
    """Each run of two or more adjacent parts of an identifier, joined and stemmed, with
    the name terms it stands for ("DaemonSet" gives "daemonset": daemon, set)."""
    for text in texts:
        for match in _WORD.finditer(text):
            parts = [p.lower() for p in _PART.findall(match.group().replace("'", ""))]
            for start in range(len(parts) - 1):
                for end in range(start + 2, len(parts) + 1):
                    run = parts[start:end]
                    yield _stem("".join(run)), [_stem(p) for p in run if p not in _STOPWORDS]


def _name_terms(texts: Iterable[str]) -> list[str]:
    """The parts of identifiers and words, never identifiers whole, so a name counts as
    covered when a question spells it in words."""
    terms: list[str] = []
    for text in texts:
        for match in _WORD.finditer(text):
            parts = (p.lower() for p in _PART.findall(match.group().replace("'", "")))
            terms.extend(_stem(p) for p in parts if p not in _STOPWORDS)
    return terms
