"""Which tool-output lines an answer quotes."""

from __future__ import annotations

import pytest

from assistant.answer import compose_answer, quote
from assistant.models import ToolCall
from assistant.planning.entities import LinkedEntities
from assistant.planning.offline import Observation, Plan

LOG = [f"2026-01-04T09:0{n}:00Z level=info msg=\"sync batch {n}\" ok=true" for n in range(9)]


@pytest.mark.parametrize("suffix", ["a512", "0c3f", "e503"])
def test_the_lines_quoted_do_not_depend_on_the_redaction_key(suffix):
    # The same secret under another key gets another suffix; #a512 must not read as a 512.
    lines = [*LOG[:4], f'dsn="postgres://sync:[REDACTED:url-password#{suffix}]@db:5432/x"',
             *LOG[4:]]
    # Nothing alarming: the head, whatever the suffix.
    assert quote("\n".join(lines)) == [*lines[:6], f"… ({len(lines) - 6} more lines)"]


def test_an_alarming_line_is_still_quoted_first():
    lines = [*LOG, 'level=error msg="upstream returned 503" token=[REDACTED:jwt#beef]']
    assert quote("\n".join(lines))[0] == lines[-1]


def test_a_failure_several_reads_share_is_said_once_naming_each_read():
    unknown = "unknown metric 'http_requests_per_second'; known metrics: up"
    reads = [Observation(call=ToolCall(tool="query_metrics", args={"query": q, "minutes": 60}),
                         ok=False, text="", error=unknown)
             for q in ('http_requests_per_second{statefulset="a"}',
                       'http_requests_per_second{service="a"}')]
    listed = Observation(call=ToolCall(tool="list_pods", args={"namespace": "n"}), ok=True,
                         text="a-0 Running")
    answer = compose_answer(Plan(entities=LinkedEntities(), observations=(*reads, listed)), ())
    assert answer.count("unknown metric") == 1
    assert 'statefulset="a"' in answer and 'service="a"' in answer
    assert "a-0 Running" in answer
