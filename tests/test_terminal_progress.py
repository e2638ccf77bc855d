"""The terminal prints a run as it goes: each read before the answer, and after a confirm
the result before the verification."""

from __future__ import annotations

import io
from typing import Any

from assistant.models import Actor
from assistant.terminal import TerminalChat

ALERT = {"alertname": "KubePodCrashLooping", "namespace": "shop", "pod": "checkout-6f7c9-x2k4q"}


def _never_read(_prompt: str) -> str:
    raise EOFError


def test_the_terminal_prints_reads_then_the_answer_then_result_before_verification(
        open_engine: Any) -> None:
    with open_engine("checkout-bad-deploy") as session:
        out = io.StringIO()
        chat = TerminalChat(session, "t-term", Actor(user_id="U02BOB"), _never_read, out)
        turn = chat.ask("checkout pods keep dying after the new release", ALERT)
        printed = out.getvalue()
        assert printed.index("[…] reading ") < printed.index("[opsbot] *Findings*")
        chat.click(turn.pending[0].id, approve=True, user="U01ALICE")
        after = out.getvalue()[len(printed):]
        assert after.index("[result] ") < after.index("[verified] verification: improved")
