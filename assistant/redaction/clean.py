"""A bounded memo of short texts the redactor found nothing in.

The same names, labels and timestamps pass the redactor many times per question (a tool's
output is redacted when read, again in its audit record, in the plan and in chat); a text
that came out unchanged once comes out unchanged every time, since redaction is a pure
function of the text. Only clean texts are kept, so the memo never holds a secret.
"""

from __future__ import annotations

import threading

MAX_TEXT = 512  # longer texts are rarely repeated and cost little per character anyway
MAX_ENTRIES = 8192


class CleanTexts:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._max = max_entries
        self._texts: dict[str, None] = {}
        self._lock = threading.Lock()

    def __contains__(self, text: str) -> bool:
        return text in self._texts

    def remember(self, text: str) -> None:
        if len(text) > MAX_TEXT:
            return
        with self._lock:
            if len(self._texts) >= self._max:
                # Oldest first out: a question's texts are remembered together, and the
                # ones of questions long past are the least likely to come again.
                del self._texts[next(iter(self._texts))]
            self._texts[text] = None

    def __len__(self) -> int:
        return len(self._texts)
