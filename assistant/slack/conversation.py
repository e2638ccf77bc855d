"""Incident threads in Slack: the Slack twin of the terminal adapter.

It turns Slack happenings (a question in a thread, a Confirm/Deny click, a request for a
summary) into Session calls and shows each Turn in the thread: the answer replaces the
"looking…" message, proposals become cards, results and verifications follow, refusals go
only to the person who clicked. The engine records every decision before anything is sent
to Slack, so a failing Slack call can lose a message but never an approval. A failing
database gets a reply too: what could not be recorded, and what ran anyway, if anything.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from assistant.answer import quote
from assistant.models import Actor, ChartMessage, ExecutionResult, Proposal
from assistant.session import OutMessage, Progress, Session, Step, Turn
from assistant.slack.blocks import (
    head,
    is_long,
    markdown_to_mrkdwn,
    mrkdwn,
    text_blocks,
    unescape,
)
from assistant.slack.cards import Approvers, card_blocks, card_text, rendered_digest
from assistant.slack.egress import SlackOut
from assistant.slack.groups import UserGroupDirectory
from assistant.slack.records import SlackRecords, split_thread_id, thread_id
from assistant.storage import StoredProposal, UnknownProposalError, unavailable_reason
from assistant.storage.timestamps import utc_now

log = logging.getLogger(__name__)

LOOKING = "🔎 Looking into it…"
# What failed in detail goes to the log, for the operator; the thread hears what it means.
ASK_OUTAGE = ("⚠️ I could not record this question: the database is unavailable. Nothing "
              "ran; ask again in a minute.")
CLICK_OUTAGE = ("Your click on {pid} could not be completed: the database is unavailable. "
                "Nothing ran; click again in a minute.")
# A shutdown that could not wait for an answer says so where the answer would have gone.
HANDED_BACK = ("⚠️ opsbot restarted before it finished answering this, so nothing more will "
               "come here; ask again.")
CONTEXT_MESSAGES = 50  # earlier thread messages read when opsbot joins a thread
PROGRESS_LINES = 8  # latest reads and findings the "looking…" message shows
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def slack_time(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), tz=UTC)


def plain_question(text: str, bot_user_id: str | None) -> str:
    """What a person typed, without the bot's mention and Slack's escaping."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", "", text)
    return unescape(" ".join(text.split()))


class SlackConversation:
    def __init__(self, session: Session, out: SlackOut, records: SlackRecords,
                 directory: UserGroupDirectory,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.session = session
        self.out = out
        self.records = records
        self.directory = directory
        self.clock = clock
        # (channel, ts) of the "Looking into it…" message of each question being answered.
        self._answering: set[tuple[str, str]] = set()
        self._answering_lock = threading.Lock()

    def actor(self, user_id: str, name: str | None = None) -> Actor:
        return Actor(user_id=user_id, groups=self.directory.groups_of(user_id),
                     display_name=name)

    def knows_thread(self, channel: str, thread_ts: str) -> bool:
        return self.records.knows_thread(channel, thread_ts)

    # questions
    def ask(self, channel: str, thread_ts: str, actor: Actor, question: str, *,
            message_ts: str | None = None, alert: dict[str, str] | None = None) -> Turn | None:
        """Answer in the thread: post "looking…", ask the engine, show the turn.

        None when the database failed: the thread is told so instead.
        """
        placeholder: str | None = None
        try:
            joined = self.records.remember_thread(channel, thread_ts, self.clock())
            if joined and message_ts and message_ts != thread_ts:
                self._read_earlier_messages(channel, thread_ts, before=message_ts)
            placeholder = self.out.post(channel, LOOKING, thread_ts=thread_ts)
            self._answering_in(channel, placeholder)
            turn = self.session.ask(thread_id(channel, thread_ts), actor, question, alert,
                                    progress=self._looking(channel, placeholder))
        except Exception as exc:
            self._answered(channel, placeholder)
            reason = unavailable_reason(exc)
            if reason is None:
                raise
            log.warning("question in %s not answered: %s", thread_ts, reason)
            if placeholder is None or not self.out.update(channel, placeholder, ASK_OUTAGE):
                self.out.post(channel, ASK_OUTAGE, thread_ts=thread_ts)
            return None
        try:
            self.show(channel, thread_ts, turn.messages, placeholder=placeholder)
        finally:
            self._answered(channel, placeholder)
        return turn

    def _looking(self, channel: str, placeholder: str | None) -> Progress:
        """The "looking…" message, updated with each read and finding while the run goes
        on; the answer replaces it at the end."""
        seen: list[str] = []

        def progress(step: Step) -> None:
            if step.node != "progress" or placeholder is None:
                return
            seen.extend(m.text for m in step.messages)
            lines = "\n".join(f"• {line}" for line in seen[-PROGRESS_LINES:])
            self.out.update(channel, placeholder, mrkdwn(f"{LOOKING}\n{lines}"))

        return progress
    def _answering_in(self, channel: str, placeholder: str | None) -> None:
        if placeholder is not None:
            with self._answering_lock:
                self._answering.add((channel, placeholder))

    def _answered(self, channel: str, placeholder: str | None) -> None:
        with self._answering_lock:
            self._answering.discard((channel, placeholder or ""))

    def hand_back(self) -> int:
        """Tell every question still being answered that no answer will come (the process
        is exiting without it); returns how many were told."""
        with self._answering_lock:
            answering = list(self._answering)
        for channel, placeholder in answering:
            self.out.update(channel, placeholder, HANDED_BACK)
        return len(answering)

    def _read_earlier_messages(self, channel: str, thread_ts: str, before: str) -> None:
        """Someone called opsbot into a running thread: what was said is context."""
        data = self.out.read("conversations_replies", channel=channel, ts=thread_ts,
                             limit=CONTEXT_MESSAGES)
        if data is None:
            return
        tid = thread_id(channel, thread_ts)
        for message in data.get("messages", []):
            ts, user = message.get("ts", ""), message.get("user")
            if not user or message.get("bot_id") or float(ts or 0) >= float(before):
                continue
            text = unescape(message.get("text", ""))
            if text.strip():
                self.session.remember_message(tid, user, text, slack_time(ts))

    # clicks
    def click(self, channel: str, thread_ts: str | None, user_id: str, user_name: str | None,
              proposal_id: str, approve: bool) -> Turn | None:
        try:
            stored = self.session.proposal(proposal_id)
            # The engine's record names the thread; the click only says where the card was.
            home = split_thread_id(stored.proposal.thread_id) or (channel, thread_ts or "")

            def progress(step: Step) -> None:
                # Each step as it finishes: the card turns to Running, the result is
                # posted, and the verification follows when the watch ends.
                if step.node != "progress":
                    self.show(home[0], home[1], step.messages, clicker=user_id)

            turn = self.session.respond(stored.proposal.thread_id, proposal_id,
                                        self.actor(user_id, user_name), approve,
                                        progress=progress)
        except UnknownProposalError:
            self.out.ephemeral(channel, user_id, f"I have no proposal {mrkdwn(proposal_id)}.",
                               thread_ts=thread_ts)
            return None
        except Exception as exc:
            reason = unavailable_reason(exc)
            if reason is None:
                raise
            log.warning("click on %s not recorded: %s", proposal_id, reason)
            self._tell_click_outage(channel, thread_ts, user_id, proposal_id)
            return None
        self.refresh_cards(home[0], home[1])
        return turn

    def _tell_click_outage(self, channel: str, thread_ts: str | None, user_id: str,
                           proposal_id: str) -> None:
        """The truth about a click the database failed: nothing ran (told to the clicker),
        or the action ran here and everyone in the thread must know, recorded or not."""
        ran = self.session.run_outcome(proposal_id)
        if ran is None or thread_ts is None:
            self.out.ephemeral(channel, user_id,
                               CLICK_OUTAGE.format(pid=mrkdwn(proposal_id)),
                               thread_ts=thread_ts)
            return
        result = ran.result
        icon = "✅" if result.status.value == "succeeded" else "❌"
        where = ("it is recorded, but the database failed while I replied" if ran.recorded
                 else "the database is unavailable, so its result is not recorded yet; I keep "
                      "it and record it, and update this thread, once the database is back")
        headline = (f"{icon} `{ran.call.render()}` ({proposal_id}) ran → "
                    f"*{result.status.value}*: {where}.")
        output = result.output.strip()
        # _post_text escapes the whole text for Slack once.
        excerpt = "\n".join(quote(output, limit=10))
        self._post_text(channel, thread_ts,
                        f"{headline}\n```{excerpt}```" if output else headline)

    # showing a turn
    def show(self, channel: str, thread_ts: str, messages: Sequence[OutMessage], *,
             placeholder: str | None = None, clicker: str | None = None) -> None:
        def private(m: OutMessage) -> bool:
            return m.kind == "refusal" and clicker is not None

        texts = [m for m in messages
                 if m.kind not in ("card", "result", "failure", "chart", "verification")
                 and not private(m)]
        # The answer takes the "looking…" message's place; other notes follow it.
        lead = next((m for m in texts if m.kind == "answer"), texts[0] if texts else None)
        for m in messages:
            if m.kind == "card" and m.proposal_id:
                self._post_card(channel, thread_ts, m.proposal_id)
            elif m.kind in ("result", "failure") and m.proposal_id:
                self._post_result(channel, thread_ts, m, clicker)
            elif m.kind == "verification" and m.proposal_id:
                self._post_verification(channel, thread_ts, m.proposal_id)
            elif m.kind == "chart":
                self._post_chart(channel, thread_ts, m)
            elif private(m) and clicker:
                self.out.ephemeral(channel, clicker, mrkdwn(m.text), thread_ts=thread_ts)
            elif m is lead and placeholder is not None:
                self._replace(channel, thread_ts, placeholder, m.text)
                placeholder = None
            else:
                self._post_text(channel, thread_ts, m.text)
        if placeholder is not None:
            self.out.update(channel, placeholder, "Nothing new to report in this thread.")
        self.refresh_cards(channel, thread_ts)

    def _post_chart(self, channel: str, thread_ts: str, m: OutMessage) -> None:
        from assistant.charts import chart_png

        chart = ChartMessage.model_validate(m.data)
        action_at = chart.action_time
        png = chart_png(chart.series, title=m.text, action_at=action_at)
        title = f"{m.text} (after the action)" if action_at else m.text
        self.out.upload_png(channel, thread_ts, "chart.png", png, title)

    def _replace(self, channel: str, thread_ts: str, ts: str, text: str) -> None:
        if is_long(text):
            self.out.update(channel, ts, mrkdwn(head(text)), text_blocks(mrkdwn(head(text))))
            self.out.upload(channel, thread_ts, "answer.txt", text, "The full answer.")
        elif not self.out.update(channel, ts, mrkdwn(text), text_blocks(mrkdwn(text))):
            # The placeholder may be gone (deleted, or never posted): say it anew.
            self._post_text(channel, thread_ts, text)

    def _post_text(self, channel: str, thread_ts: str, text: str) -> None:
        if is_long(text):
            self.out.upload(channel, thread_ts, "opsbot.txt", text, mrkdwn(head(text, 5)))
        else:
            self.out.post(channel, mrkdwn(text), thread_ts=thread_ts,
                          blocks=text_blocks(mrkdwn(text)))

    def _card(self, stored: StoredProposal) -> tuple[str, list[dict[str, object]]]:
        p = stored.proposal
        runbook = self.session.runbook(p.runbook_id) if p.runbook_id else None
        if p.runbook_id and runbook is None:
            log.info("runbook %s of %s is no longer indexed", p.runbook_id, p.id)
        approvers = Approvers.holding(p.decision.approver_roles,
                                      *self.session.role_assignments())
        return card_text(stored), card_blocks(stored, runbook, approvers)

    def _post_card(self, channel: str, thread_ts: str, proposal_id: str) -> None:
        stored = self.session.proposal(proposal_id)
        text, blocks = self._card(stored)
        ts = self.out.post(channel, text, thread_ts=thread_ts, blocks=blocks)
        if ts is not None:
            self.records.save_card(proposal_id, channel, thread_ts, ts, rendered_digest(blocks))

    def refresh_cards(self, channel: str, thread_ts: str) -> None:
        """Bring every card of the thread to its proposal's current state."""
        for card in self.records.cards_in_thread(channel, thread_ts):
            text, blocks = self._card(self.session.proposal(card.proposal_id))
            digest = rendered_digest(blocks)
            if digest != card.rendered and self.out.update(card.channel, card.ts, text, blocks):
                self.records.set_card_rendered(card.proposal_id, digest)

    def _post_result(self, channel: str, thread_ts: str, m: OutMessage,
                     clicker: str | None) -> None:
        stored = self.session.proposal(m.proposal_id or "")
        if self.session.ran_elsewhere(stored):
            # Another click or replica ran it and shows its result; tell this clicker only.
            if clicker:
                self.out.ephemeral(channel, clicker, mrkdwn(m.text), thread_ts=thread_ts)
            return
        if stored.result is None:
            self._post_text(channel, thread_ts, m.text)
            return
        self._show_result(channel, thread_ts, stored.proposal, stored.result)

    def _show_result(self, channel: str, thread_ts: str, proposal: Proposal,
                     result: ExecutionResult) -> None:
        icon = "✅" if result.status.value == "succeeded" else "❌"
        headline = (f"{icon} `{mrkdwn(proposal.call.render())}` → *{result.status.value}* "
                    f"(attempts {result.attempts}, {result.duration_ms:.0f} ms)")
        output = result.output.strip()
        if is_long(output):
            excerpt = "\n".join(quote(output, limit=10))
            comment = f"{headline}\n```{mrkdwn(excerpt)}```\nFull output attached."
            if not self.out.upload(channel, thread_ts, f"{proposal.id}-output.txt", output,
                                   comment):
                self.out.post(channel, comment, thread_ts=thread_ts)
        else:
            body = f"{headline}\n```{mrkdwn(output)}```" if output else headline
            self.out.post(channel, body, thread_ts=thread_ts, blocks=text_blocks(body))

    def _post_verification(self, channel: str, thread_ts: str, proposal_id: str) -> None:
        result = self.session.proposal(proposal_id).result
        if result is None or result.verification is None:
            return
        v = result.verification
        self.out.post(channel, f"🔍 Verification: *{v.verdict}* — {mrkdwn(v.detail)}",
                      thread_ts=thread_ts)

    def tell_expired(self, channel: str, thread_ts: str, proposal_id: str, text: str) -> None:
        """A sweep expired a proposal of this thread: close its card and say so. A proposal
        whose card was never posted (its run was cut short) is not news to anyone here."""
        if proposal_id not in {c.proposal_id for c in
                               self.records.cards_in_thread(channel, thread_ts)}:
            return
        self.refresh_cards(channel, thread_ts)
        self._post_text(channel, thread_ts, f"⌛ {text} Ask again if it is still needed.")

    def report_verification(self, channel: str, thread_ts: str, proposal_id: str) -> None:
        """Show a verification another process finished (its watch resumed after the
        process watching it stopped), unless some replica has shown it already."""
        try:
            turn = self.session.report_verification(proposal_id)
        except Exception as exc:
            reason = unavailable_reason(exc)
            if reason is None:
                raise
            # Failing before the report was taken, a later sweep tries again; after, this
            # outcome is lost like any message the database fails mid-run.
            log.warning("verification of %s not reported: %s", proposal_id, reason)
            return
        if turn is not None:
            self.show(channel, thread_ts, turn.messages)

    def tell_claim_ended(self, channel: str, thread_ts: str, text: str) -> None:
        """A claim of this thread ended outside a click (a sweep marked it interrupted, or
        its result was recorded late): bring its card up to date and say so."""
        self.refresh_cards(channel, thread_ts)
        self._post_text(channel, thread_ts, text)

    # summaries and status
    def post_summary(self, channel: str, thread_ts: str) -> bool:
        tid = thread_id(channel, thread_ts)
        markdown = self.session.summary(tid)
        text = markdown_to_mrkdwn(markdown)
        if is_long(text):
            return self.out.upload(channel, thread_ts, "incident-summary.md", markdown,
                                   "📝 Incident summary (Markdown, for the postmortem)")
        return self.out.post(channel, text, thread_ts=thread_ts,
                             blocks=text_blocks(text)) is not None

    def status_lines(self, channel: str, limit: int = 10) -> list[str]:
        lines: list[str] = []
        for thread in self.records.recent_threads(channel, limit):
            pending = self.session.pending(thread.id)
            waiting = "; ".join(f"`{mrkdwn(p.call.render())}` ({p.id})" for p in pending)
            lines.append(f"• thread {thread.thread_ts} (active {thread.active_at[:16]} UTC): "
                         + (f"awaiting confirmation: {waiting}" if waiting
                            else "nothing awaits confirmation"))
        if not lines:
            lines.append("No opsbot threads in this channel yet.")
        return lines
