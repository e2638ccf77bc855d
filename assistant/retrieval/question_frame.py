"""The words that frame a question as a request for help, dropped from the search text. Pure.

"which page tells me how to expand a persistent volume claim", "node notready since 2
hour, what is next step", "Incident commander here: ...": the frame names no component and
no symptom, yet in a short question it is a good part of what the embedding model sees, and
it pulls every question that wears it toward the same pages. What is left is what the asker
is asking about. A question that is nothing but a frame ("what now?") is searched as it is.
"""

from __future__ import annotations

import re

_FRAME = re.compile(
    r"""\b(?:
      # asking for the page: "which runbook covers", "what page do I use when"
      (?:which|what)\s+(?:runbook|page|doc|playbook)s?\s+
        (?:(?:do|should)\s+i\s+(?:use|follow|read|need|link)(?:\s+in\s+the\s+ticket)?
           |covers?|tells?\s+me)
        (?:\s+(?:when|for|about|how\s+to))?
      # asking what to do next
      |what(?:['’]s|\s+is)?\s+(?:the\s+)?next\s+step
      |what\s+(?:do|should)\s+i\s+do(?:\s+now)?
      |what\s+now|where\s+do\s+i\s+start|any\s+ideas?
      |please\s+help|pl(?:ea)?s\s+help|help\s+pl(?:ea)?s
    )\b
    # the asker's role, before what they say: "Incident commander here:", "manager here -"
    |^\s*(?:[\w-]+\s+){1,2}here\s*[:,-]""",
    re.IGNORECASE | re.VERBOSE)


def drop_question_frame(question: str) -> str:
    """``question`` without the words that only frame it as a request for help."""
    text = _FRAME.sub("", question).strip(" ,:-")
    return text if text.strip(" ?!.") else question
