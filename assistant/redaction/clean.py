"""Bounded memos of texts the redactor would return unchanged.

The same names, labels and timestamps pass the redactor many times per question (a tool's
output is redacted when read, again in its audit record, in the plan and in chat); a text
that came out unchanged once comes out unchanged every time, since redaction is a pure
function of the text. So does a text the redactor produced, since redacting redacted text
changes nothing. Only such texts are kept, so a memo never holds a secret.
"""

from __future__ import annotations

import threading

MAX_TEXT = 512  # short texts: names, values, chat lines
MAX_ENTRIES = 8192
# Whole tool outputs (at most 64 KiB each) redacted when read come back in their audit
# record and in the plan; a few questions' worth is enough, and bounds the memory held.
MAX_OUTPUT_TEXT = 64 * 1024
MAX_OUTPUT_ENTRIES = 128


class CleanTexts:
    def __init__(self, max_entries: int = MAX_ENTRIES, max_text: int = MAX_TEXT) -> None:
        self._max = max_entries
        self._max_text = max_text
        self._texts: dict[str, None] = {}
        self._lock = threading.Lock()

    def __contains__(self, text: str) -> bool:
        return text in self._texts

    def remember(self, text: str) -> None:
        if len(text) > self._max_text:
            return
        with self._lock:
            if len(self._texts) >= self._max:
                # Oldest first out: a question's texts are remembered together, and the
                # ones of questions long past are the least likely to come again.
                del self._texts[next(iter(self._texts))]
            self._texts[text] = None

    def __len__(self) -> int:
        return len(self._texts)
