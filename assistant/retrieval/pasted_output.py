"""What command output pasted into a question contributes to a runbook search. Pure.

On-call questions carry ``kubectl get`` tables, logfmt log lines and PromQL results. Their
counts, ages, versions, addresses and column headers are not what the question is about,
yet each is a rare term to BM25 (a "40d" or a "20" matches one page by chance) and noise
to the embedding. The words that name things stay: a status (``NotReady``,
``CrashLoopBackOff``), an object or metric name, a quoted log message, a label's key and
value. Prose lines are left alone, so a number a person typed ("close to the 110 limit")
still counts.
"""

from __future__ import annotations

import re

# kubectl and most CLIs align columns with two or more spaces (or tabs), and a column
# holds a word or two ("NODE SELECTOR"); prose with double spaces between sentences has
# longer stretches, so it is not taken for a table.
_CELL_GAP = re.compile(r" {2,}|\t")
_MIN_TABLE_CELLS = 3
_MAX_CELL_WORDS = 3
_HEADER_CELL = re.compile(r"^[A-Z][A-Z0-9 _-]*:?$")
# A Prometheus label set, ``{namespace="x", pod="y"}``: its keys name things, so they stay.
_LABEL_SET = re.compile(r"\{[^{}\n]*=[^{}\n]*\}")
# logfmt, ``level=error msg="..."``: its keys are the log's structure, its values content.
_LOGFMT_PAIR = re.compile(r"""(?<![\w.])[A-Za-z_][\w.]*=(?:"(?:[^"\\]|\\.)*"|'[^']*'|[^\s,}]+)""")
_LOGFMT_KEY = re.compile(r"""(?<![\w.])[A-Za-z_][\w.]*=(?=\S)""")
# A log line has a time, a level and a message at least; "set replicas=3 and max=5" in a
# sentence is prose.
_MIN_LOGFMT_PAIRS = 3
# Timestamps, counts, ratios (2/3, 180%/70%), durations (40d, 500ms), versions (v1.27.4),
# addresses with ports, and kubectl's <none>; a token that merely contains a digit (eth0,
# k8s) stays.
_MEASURE = re.compile(
    r"(?<![\w.-])(?:\d{4}-\d\d-\d\dT[\d:.]+Z?|v?\d[\d.:/%,-]*[a-zA-Z]{0,3}|<none>)(?![\w.-])")


def strip_pasted_output(question: str) -> str:
    """``question`` with pasted tables, logfmt lines and label sets reduced to the words
    that name things; every other line as it was."""
    lines: list[str] = []
    for line in question.splitlines():
        cells = _CELL_GAP.split(line.strip())
        if len(cells) >= _MIN_TABLE_CELLS and all(
                len(cell.split()) <= _MAX_CELL_WORDS for cell in cells):
            if all(_HEADER_CELL.match(cell) for cell in cells):
                continue
            line = _MEASURE.sub(" ", " ".join(cells))
        elif _LABEL_SET.search(line):
            line = _MEASURE.sub(" ", line)
        elif len(_LOGFMT_PAIR.findall(line)) >= _MIN_LOGFMT_PAIRS:
            line = _MEASURE.sub(" ", _LOGFMT_KEY.sub(" ", line))
        else:
            lines.append(line)
            continue
        line = " ".join(line.split())
        if line:
            lines.append(line)
    return "\n".join(lines)
