"""Ordinary English words: what a question is made of besides names and symptoms. Pure.

An unknown word is reported as a name ("I found nothing called 'billing'") only when it
could be one. The words of English's closed classes (pronouns, determiners, prepositions,
conjunctions, auxiliaries, question words, adverbs of time and degree, and what is left
of a contraction split at its apostrophe: "what's", "don't") never are, nor are
the everyday words people ask for an overview with ("what's on fire?", "give me the
picture", "status?"). A workload named like one of them is still found by its name: only
words that matched nothing are judged here. Symptoms ("restarting", "slow", "500s") are
not ordinary: they say what is wrong, and so what the question is about.
"""

from __future__ import annotations

_CLOSED_CLASSES = frozenset(
    """
    a an the this that these those some any all each every no none both either neither few
    many much more most less least other another such own same
    i me my mine we us our ours you your yours he him his she her hers it its they them
    their theirs myself ourselves yourself yourselves itself themselves one ones
    anything something everything nothing anyone someone everyone nobody anybody somebody
    everybody anywhere everywhere somewhere nowhere
    what which who whom whose when where why how whether whatever whoever
    is am are was were be been being do does did doing done have has had having
    can could shall should will would may might must let lets ought
    and or but nor so yet if then than as because since until unless while though although
    to of in on at by for from with without about into onto over under above below between
    through during before after around across against along among upon within out off up
    down away back via per
    not also too very just only even still already again ever never always often sometimes
    now today tonight currently right here there soon lately recently really quite pretty
    far long ago anymore else like lot bit kind sort
    ok okay yes yeah yep nope hey hi hello please pls plz thanks thank thx cheers
    s t d m re ll ve don isn aren wasn weren doesn didn won wouldn shouldn couldn haven hasn
    """.split()
)
# Words for asking how things stand, and the everyday verbs a request is made with.
_OVERVIEW = frozenset(
    """
    give tell show say see look know need want think get go come happen stand catch sum
    fill brief walk keep check join
    status state situation picture overview summary update news rundown sitrep report
    fire burn broken wrong bad worse worst good fine well alright quick whole big current
    overall general latest thing stuff moment attention care matter problem issue trouble
    incident outage damage mess shape bridge call channel room folks
    cluster environment platform system prod production
    """.split()
)
ORDINARY_WORDS = _CLOSED_CLASSES | _OVERVIEW
# What a remark beside the question calls a secret it passes on ("db password is ...",
# "my token is ..."): the secret itself is redacted, these words name no workload.
_SECRET_TALK = frozenset(
    """
    password passwd pwd passphrase token secret key apikey credential creds login user
    username pin cred db
    """.split()
)
_ENDINGS = ("ing", "ed", "es", "s")


def is_ordinary(word: str) -> bool:
    """``word`` (lower case) is an ordinary English word, bare or with one inflection
    ("burning", "happened", "needs")."""
    if word in ORDINARY_WORDS:
        return True
    for ending in _ENDINGS:
        stem = word[:-len(ending)]
        if word.endswith(ending) and len(stem) >= 2 and (
                stem in ORDINARY_WORDS or f"{stem}e" in ORDINARY_WORDS
                or (len(stem) > 2 and stem[-1] == stem[-2] and stem[:-1] in ORDINARY_WORDS)):
            return True
    return False


def is_aside(word: str) -> bool:
    """``word`` (lower case) belongs to a remark passing on a secret, not to a name."""
    return word in _SECRET_TALK or (word.endswith("s") and word[:-1] in _SECRET_TALK)
