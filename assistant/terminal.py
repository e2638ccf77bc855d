"""Terminal chat adapter: one incident thread in a terminal, with Confirm/Deny prompts."""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from assistant.answer import describe_proposal
from assistant.errors import OpsbotError
from assistant.models import Actor, ChartMessage
from assistant.session import OutMessage, Session, Step, Turn

HELP = """commands:
  <question>                 ask opsbot in this thread
  /as USER                   speak as another chat user id (e.g. U01ALICE)
  /confirm ID [USER]         confirm a proposal (as USER, default: you)
  /deny ID [USER]            deny a proposal
  /pending                   list proposals awaiting confirmation
  /summary                   incident summary of this thread
  /quit                      leave (pending proposals stay pending)"""

_PREFIX = {"answer": "opsbot", "result": "result", "failure": "FAILED", "notice": "opsbot",
           "refusal": "refused", "verification": "verified", "progress": "…"}


def save_chart(message: OutMessage, chart_dir: Path) -> Path:
    """Draw a chart message to a PNG file (the terminal cannot show pictures inline)."""
    from assistant.charts import chart_png

    chart = ChartMessage.model_validate(message.data)
    png = chart_png(chart.series, title=message.text, action_at=chart.action_time)
    chart_dir.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(png).hexdigest()[:12]
    path = chart_dir / f"chart-{name}.png"
    path.write_bytes(png)
    return path


def render_turn(session: Session, turn: Turn, chart_dir: Path | None = None) -> str:
    return render_messages(session, turn.messages, chart_dir)


def render_messages(session: Session, messages: Sequence[OutMessage],
                    chart_dir: Path | None = None) -> str:
    out: list[str] = []
    for m in messages:
        if m.kind == "chart":
            chart = ChartMessage.model_validate(m.data)
            where = f" → {save_chart(m, chart_dir)}" if chart_dir else ""
            after = " (action marked)" if chart.action_at else ""
            series = len(chart.series)
            out.append(f"[chart] {m.text}: {series} series{after}{where}")
        elif m.kind == "card" and m.proposal_id:
            proposal = session.proposal(m.proposal_id).proposal
            card = describe_proposal(proposal, 1)
            out.append("┌─ confirmation needed " + "─" * 40)
            out.extend(f"│ {line}" for item in card for line in item.splitlines())
            out.append("└─ /confirm " + m.proposal_id + "  or  /deny " + m.proposal_id)
        else:
            out.append(f"[{_PREFIX.get(m.kind, m.kind)}] {m.text}")
    return "\n".join(out)


class TerminalChat:
    def __init__(self, session: Session, thread_id: str, actor: Actor,
                 read: Callable[[str], str], out: TextIO) -> None:
        from assistant.charts import chart_dir

        self.session = session
        self.thread_id = thread_id
        self.actor = actor
        self.read = read
        self.out = out
        self.chart_dir = chart_dir(session.settings.home, thread_id)

    def say(self, text: str) -> None:
        print(self.session.redact(text), file=self.out, flush=True)

    def show(self, step: Step) -> None:
        """Each step's messages as the run goes: reads, the answer, the result, and the
        verification when the watch ends."""
        self.say(render_messages(self.session, step.messages, self.chart_dir))

    def ask(self, question: str, alert: dict[str, str] | None = None) -> Turn:
        return self.session.ask(self.thread_id, self.actor, question, alert,
                                progress=self.show)

    def click(self, proposal_id: str, approve: bool, user: str | None = None) -> Turn:
        self.session.settings.check_cli_approval()
        actor = Actor(user_id=user) if user else self.actor
        return self.session.respond(self.thread_id, proposal_id, actor, approve,
                                    progress=self.show)

    def handle(self, line: str) -> bool:
        """One line of input; False when the user leaves."""
        line = line.strip()
        if not line:
            return True
        if not line.startswith("/"):
            self.ask(line)
            return True
        parts = shlex.split(line)
        cmd, rest = parts[0], parts[1:]
        if cmd in ("/quit", "/exit"):
            return False
        if cmd == "/as" and len(rest) == 1:
            self.actor = Actor(user_id=rest[0])
            self.say(f"now speaking as {rest[0]}")
        elif cmd in ("/confirm", "/deny") and 1 <= len(rest) <= 2:
            self.click(rest[0], cmd == "/confirm", rest[1] if len(rest) == 2 else None)
        elif cmd == "/pending":
            pending = self.session.pending(self.thread_id)
            if not pending:
                self.say("nothing awaits confirmation")
            for i, p in enumerate(pending, 1):
                self.say("\n".join(describe_proposal(p, i)))
        elif cmd == "/summary":
            self.say(self.session.summary(self.thread_id))
        else:
            self.say(HELP)
        return True

    def loop(self) -> None:
        self.say(f"thread {self.thread_id} — you are {self.actor.user_id}. /help for commands.")
        while True:
            try:
                line = self.read(f"{self.actor.user_id}> ")
            except EOFError:
                return
            try:
                if not self.handle(line):
                    return
            except OpsbotError as exc:
                self.say(f"error: {exc}")
