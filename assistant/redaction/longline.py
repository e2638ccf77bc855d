"""Where to cut a line too long to hold in memory, so no secret is cut in two.

``opsbot redact`` streams, and a line longer than :data:`MAX_LINE` (minified JSON, a log
line carrying a whole payload) is redacted a window at a time. Each window starts with the
last :data:`OVERLAP` characters already written of the line, so a name and its value, or a
token, that the end of the previous window cut apart are seen together again. A window
writes up to a cut at least :data:`OVERLAP` before its end that falls inside no finding;
the rest comes back at the start of the next window.

Bound: a secret is found across cuts as on the whole line when it and the text its
detector reads around it (the name, header or command before it, the words after it) span
at most :data:`OVERLAP` characters. Detectors read far less than that (a name is at most
256 characters, the generic detector looks 1 KiB past its keyword).
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_LINE = 1 << 20
OVERLAP = 1 << 14


def safe_cut(spans: Iterable[tuple[int, int]], low: int, high: int) -> int:
    """A cut at ``high`` moved out of the merged ``spans``: back to the start of the span
    holding it, or, when that start is not after ``low`` (what is already written), on to
    its end. Never below ``low``."""
    cut = max(low, high)
    start = end = -1
    for span_start, span_end in sorted(spans):
        if span_start >= end:  # a new merged span; the previous one ended before this
            if start < cut < end:
                break
            start = span_start
        end = max(end, span_end)
    if not start < cut < end:
        return cut
    return start if start > low else end
