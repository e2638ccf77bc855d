"""The text a question is searched by. Pure.

A question is searched by what it names: pasted command output reduced to its names and
statuses (pasted_output.py), less the words that only frame it as a request for help
(question_frame.py) and the clauses that rule a symptom out (ruled_out.py); then kubectl
short names, network interface names and container waiting reasons followed by what they
stand for (short_names.py, interface_names.py, waiting_reasons.py), and everyday ops words
by the runbooks' word for them (ops_words.py). Dense, lexical and name matching all read
this one text, so they agree on what was asked.
"""

from __future__ import annotations

from assistant.retrieval.interface_names import spell_out_interface_names
from assistant.retrieval.ops_words import spell_out_ops_words
from assistant.retrieval.pasted_output import strip_pasted_output
from assistant.retrieval.question_frame import drop_question_frame
from assistant.retrieval.ruled_out import drop_ruled_out
from assistant.retrieval.short_names import spell_out_short_names
from assistant.retrieval.waiting_reasons import spell_out_waiting_reasons


def search_text(question: str) -> str:
    # A question that is nothing but pasted output is searched as it is.
    text = strip_pasted_output(question).strip() or question
    text = drop_ruled_out(drop_question_frame(text))
    return spell_out_ops_words(spell_out_waiting_reasons(
        spell_out_interface_names(spell_out_short_names(text))))
