"""`opsbot serve slack`'s moving parts: the acknowledgement path, bolt listeners that queue
the work, the ordered worker pool that does it, and the Alertmanager receiver.

In HTTP mode a request from Slack is verified (signature and age) and acknowledged before
bolt routes it: routing runs on one dispatcher thread, in arrival order, and the listeners
only queue work on the pool. Nothing on the request path waits for the engine or for Slack,
so acknowledgement stays fast however long answers take. Socket Mode's envelopes take the
same path (socket_mode.py acknowledges each over the socket once it is queued).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.signature import SignatureVerifier

from assistant.config.slack import SlackSettings
from assistant.errors import InputError, OpsbotError
from assistant.expiry import Expiry
from assistant.heartbeat import ClaimEnded
from assistant.interruptions import Interruption
from assistant.models import Actor
from assistant.readiness import Readiness
from assistant.resumed_verifications import VerificationResumed
from assistant.session import Session
from assistant.slack.alerts import AlertThreads, parse_webhook
from assistant.slack.cards import CONFIRM_ACTION, DENY_ACTION, parse_action_id
from assistant.slack.conversation import SlackConversation, plain_question
from assistant.slack.egress import SlackOut, web_client
from assistant.slack.groups import UserGroupDirectory
from assistant.slack.intake import envelope_request, slack_request
from assistant.slack.records import SlackRecords, split_thread_id, thread_id
from assistant.slack.workers import OrderedWorkerPool
from assistant.storage import unavailable_reason
from assistant.storage.timestamps import utc_now

log = logging.getLogger(__name__)

COMMAND = "/opsbot"
DISPATCH_KEY = "slack-requests"
HELP = """*opsbot* answers in incident threads from runbooks and live telemetry.
• `@opsbot <question>` — ask; opsbot answers in a thread and keeps answering replies there
• `@opsbot summary` — the incident summary of this thread
• `/opsbot status` — recent opsbot threads here and what awaits confirmation
• `/opsbot summary [thread ts]` — post the summary of a thread (default: the latest here)
• `/opsbot help` — this text
Proposed actions come as cards: Confirm runs the action once policy allows you to approve it;
Deny drops it."""
OVERLOADED = "opsbot is overloaded and could not take this on; try again in a minute."
NOT_REACHED = ("⚠️ opsbot restarted before it got to the latest message here; ask again if "
               "it still needs an answer.")
DRAINING = "opsbot is restarting; retry"
DATABASE_UNAVAILABLE = ("The database is unavailable, so I cannot answer this now; try again "
                        "in a minute.")
# A health probe must answer quickly even while the database hangs.
DATABASE_PROBE_SECONDS = 2.0
_BUTTON = re.compile(rf"^({CONFIRM_ACTION}|{DENY_ACTION}):")
_TS = re.compile(r"^\d{10}\.\d{6}$")
_PERMALINK_TS = re.compile(r"/p(\d{10})(\d{6})")
ENVELOPE_TYPES = frozenset({"events_api", "interactive", "slash_commands"})
# Slack retries an event for about an hour; a day of taken event ids covers every retry.
EVENTS_KEPT = timedelta(days=1)


class SlackUnavailableError(OpsbotError):
    """Slack could not be reached, or refused the bot token, at start-up."""


def _signed(verifier: SignatureVerifier, body: str, headers: Mapping[str, str]) -> bool:
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        return verifier.is_valid(body, lowered.get("x-slack-request-timestamp"),
                                 lowered.get("x-slack-signature"))
    except ValueError:  # a timestamp that is not a number
        return False


def thread_ts_from(text: str) -> str | None:
    """A thread named by its ts (1700000000.000100) or by a message link (…/p1700000000000100)."""
    text = text.strip()
    if _TS.match(text):
        return text
    link = _PERMALINK_TS.search(text)
    return f"{link.group(1)}.{link.group(2)}" if link else None


class SlackService:
    def __init__(self, session: Session, settings: SlackSettings, *,
                 client: WebClient | None = None,
                 readiness: Readiness | None = None) -> None:
        self.session = session
        self.settings = settings
        if settings.alert_actor and not session.holds_a_role(Actor(user_id=settings.alert_actor)):
            raise InputError(f"{settings.alert_actor} holds no role in the policy files "
                             f"({session.settings.policy_dir}); alert threads could not "
                             "look anything up", field="OPSBOT_SLACK_ALERT_AS")
        metrics = session.metrics
        self.client = client or web_client(settings.secret("bot_token") or "", settings.api_url,
                                           metrics)
        self.out = SlackOut(self.client, session.redact_value, metrics)
        self.records = SlackRecords.open(session.settings.db_url,
                                         session.settings.db_wait_seconds)
        self.directory = UserGroupDirectory(self.out, settings.group_ttl_seconds)
        self.conversation = SlackConversation(session, self.out, self.records, self.directory)
        self.pool = OrderedWorkerPool(settings.workers, settings.max_queued)
        self.alerts = AlertThreads(
            self.conversation, self.records, settings.alert_channel, settings.alert_actor,
            in_thread=self._in_thread,
        ) if settings.alert_channel and settings.alert_actor else None
        if self.alerts is not None:
            session.on_audit_event(self.alerts.note_action)
        signing_secret = settings.secret("signing_secret")
        self.verifier = SignatureVerifier(signing_secret) \
            if settings.mode == "http" and signing_secret else None
        self.dispatcher = OrderedWorkerPool(1, settings.max_queued)
        metrics.watch_queue("slack-work", lambda: self.pool.queued)
        metrics.watch_queue("slack-requests", lambda: self.dispatcher.queued)
        try:
            self.app = self._build_app()  # checks the token with auth.test
        except (BoltError, SlackClientError, OSError) as exc:
            self.records.close()
            raise SlackUnavailableError(
                f"Slack at {settings.api_url} did not accept the bot token: {exc}") from None
        # The server's probes may have been answering since the process started
        # (``readiness``); from here on they check this service's dependencies.
        self.readiness = (readiness or Readiness({}, session.settings.health_probe_seconds)
                          ).check({"database": self._ping_databases,
                                   "policy": session.check_policy_loaded,
                                   "index": session.check_index_open},
                                  session.redact).start()
        self.draining = threading.Event()
        self._unsubscribe = session.on_claim_ended(self._on_claim_ended)
        for ended in session.claims_ended_at_start():
            self._on_claim_ended(ended)
        # Watches resumed at start may have finished before the subscription above.
        self.report_verifications()
        self._stopping = threading.Event()
        self._sweeper = threading.Thread(target=self._sweep_forever, name="opsbot-expiry",
                                         daemon=True)
        self._sweeper.start()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every request taken so far has been handled in full."""
        if timeout is None:
            return self.dispatcher.wait_idle() and self.pool.wait_idle()
        deadline = time.monotonic() + timeout
        # Routing a request can queue work on the pool: the dispatcher goes first.
        return (self.dispatcher.wait_idle(timeout)
                and self.pool.wait_idle(max(0.0, deadline - time.monotonic())))

    def stop_taking(self) -> None:
        """The first step of a shutdown: new requests are refused (Slack redelivers events to
        another replica, Alertmanager retries) and the probes report not ready; actions
        being verified stop watching at once (a backend's wait gives way), so their claims
        end recorded, and an LLM question makes no further model call."""
        # The runtime first: whoever sees ``draining`` can count on the waits being cut.
        self.session.begin_shutdown()
        self.draining.set()
        self.readiness.drain("shutting down: finishing the work already taken")

    def drain(self, seconds: float) -> bool:
        """Finish the work taken within ``seconds``; True when all of it finished. What is
        left is handed back: a question still running has its "looking…" message say no
        answer will come, and a thread whose message never got its turn is told to ask
        again."""
        if self.wait_idle(seconds):
            return True
        unrouted = len(self.dispatcher.abandon_queued())
        threads = {where for key in self.pool.abandon_queued()
                   if (where := split_thread_id(key)) is not None}
        told = self.conversation.hand_back()
        for channel, thread_ts in sorted(threads):
            self.out.post(channel, NOT_REACHED, thread_ts=thread_ts)
        log.warning("shutdown after %.0f s with work unfinished: %d answer(s) handed back, "
                    "%d thread(s) told their latest message was not reached, %d request(s) "
                    "acknowledged but never routed", seconds, told, len(threads), unrouted)
        return False

    def close(self, *, drained: bool = True) -> None:
        """Release everything; ``drained=False`` (a drain that ran out of time) leaves the
        jobs still running to the process exit instead of waiting for them."""
        self._stopping.set()
        self._sweeper.join()
        self.readiness.close()
        self._unsubscribe()
        if drained:
            self.wait_idle()
        self.dispatcher.shutdown(wait=drained)
        self.pool.shutdown(wait=drained)
        self.records.close()

    # the acknowledgement path (HTTP mode)
    def receive_slack(self, body: str, query: str, headers: Mapping[str, str]) -> BoltResponse:
        """One request from Slack: 401 unless signed and fresh, else acknowledged at once."""
        if self.verifier is None or not _signed(self.verifier, body, headers):
            return BoltResponse(status=401, body='{"error": "invalid request"}')
        try:
            request = slack_request(body, query, headers)
        except InputError as exc:
            return BoltResponse(status=400, body=json.dumps({"error": str(exc)}))
        if request.body.get("type") == "url_verification" or request.body.get("ssl_check"):
            return self.app.dispatch(request)  # Slack reads the answer from the response
        if not self._for_this_workspace(request):
            # Acknowledged all the same: Slack counts failed deliveries per app and turns
            # off event delivery for every workspace when most of them fail.
            return BoltResponse(status=200, body="")
        if self.draining.is_set():
            # Slack retries an event it could not deliver, by then to a replica in service.
            return BoltResponse(status=503, body=json.dumps({"error": DRAINING}))
        if not self.dispatcher.submit(DISPATCH_KEY, lambda: self._route(request)):
            # Slack redelivers events it could not hand over.
            return BoltResponse(status=503, body=json.dumps({"error": OVERLOADED}))
        return BoltResponse(status=200, body="")

    # the acknowledgement path (Socket Mode)
    def receive_envelope(self, kind: str, payload: dict[str, Any],
                         headers: dict[str, str | Sequence[str]] | None = None) -> bool:
        """One Socket Mode envelope: True to acknowledge it now (queued, or of a type opsbot
        ignores), False when the queue is full or the process is shutting down, so that
        Slack redelivers it (to another connection)."""
        if self.draining.is_set():
            return False
        if kind not in ENVELOPE_TYPES:
            # bolt routes by payload alone: an envelope of another type could pass for one.
            log.info("ignored a Socket Mode envelope of type %r", kind)
            return True
        try:
            request = envelope_request(payload, headers)
        except InputError as exc:
            log.warning("ignored a Socket Mode envelope: %s", exc)  # redelivery cannot help
            return True
        if not self._for_this_workspace(request):
            return True
        return self.dispatcher.submit(DISPATCH_KEY, lambda: self._route(request))

    def _for_this_workspace(self, request: BoltRequest) -> bool:
        team, org = request.context.team_id, request.context.enterprise_id
        if self.settings.serves(team, org):
            return True
        log.warning("ignored a Slack request from workspace %s (org %s): opsbot serves "
                    "OPSBOT_SLACK_TEAM_ID=%s, OPSBOT_SLACK_ENTERPRISE_ID=%s", team, org,
                    self.settings.team_id or "(any)", self.settings.enterprise_id or "(any)")
        return False

    def _route(self, request: BoltRequest) -> None:
        response = self.app.dispatch(request)
        if response.status >= 400:
            log.info("bolt did not handle a request (%s): %s", response.status, response.body)

    def _on_claim_ended(self, found: ClaimEnded) -> None:
        """A claim ended outside a click: its executor is gone (a replica, or this process
        before a restart, died mid-run) or its result was recorded late. The thread hears
        of it and its card stops offering buttons."""
        tid = found.stored.proposal.thread_id
        if isinstance(found, VerificationResumed):
            self._report_verification(tid, found.stored.proposal.id)
            return
        where = split_thread_id(tid)
        if where is None:
            return
        channel, thread_ts = where
        icon = "⚠️" if isinstance(found, Interruption) else "📝"

        def job() -> None:
            if self.conversation.knows_thread(channel, thread_ts):
                self.conversation.tell_claim_ended(channel, thread_ts,
                                                   f"{icon} {found.thread_text}")

        self._in_thread(tid, job)

    def report_verifications(self) -> None:
        """Tell each thread the verifications finished while no adapter told it: a watch
        resumed before this service subscribed, or by a replica that stopped before
        telling. Any replica may queue one; the report is taken by one run only."""
        for finished in self.session.verifications_to_report():
            self._report_verification(finished.thread_id, finished.proposal_id)

    def _report_verification(self, tid: str, proposal_id: str) -> None:
        where = split_thread_id(tid)
        if where is None:
            return
        channel, thread_ts = where

        def job() -> None:
            if self.conversation.knows_thread(channel, thread_ts):
                self.conversation.report_verification(channel, thread_ts, proposal_id)

        self._in_thread(tid, job)

    def sweep_expired(self) -> list[Expiry]:
        """Expire every overdue proposal and close its card, so that no button stays live
        in a quiet thread; the click would be refused anyway, the card should say so."""
        found = self.session.expire_overdue()
        for expiry in found:
            tid = expiry.stored.proposal.thread_id
            where = split_thread_id(tid)
            if where is None:
                continue
            channel, thread_ts = where

            def job(channel: str = channel, thread_ts: str = thread_ts,
                    pid: str = expiry.stored.proposal.id, text: str = expiry.text) -> None:
                if self.conversation.knows_thread(channel, thread_ts):
                    self.conversation.tell_expired(channel, thread_ts, pid, text)

            self._in_thread(tid, job)
        return found

    def _sweep_forever(self) -> None:
        while not self._stopping.wait(self.settings.expiry_sweep_seconds):
            try:
                self.sweep_expired()
                self.report_verifications()
                self.records.forget_events(utc_now() - EVENTS_KEPT)
            except Exception:  # a database hiccup must not end the sweeps; the next one retries
                log.warning("expiry sweep failed", exc_info=True)

    def _ping_databases(self) -> None:
        # Each pool reconnects on its own schedule after an outage: ready means all of them.
        self.session.ping_database(DATABASE_PROBE_SECONDS)
        self.records.ping(DATABASE_PROBE_SECONDS)

    def _in_thread(self, key: str, job: Callable[[], object],
                   refused: Callable[[], object] | None = None) -> None:
        if not self.pool.submit(key, job):
            log.warning("dropped work for %s: the worker pool is full", key)
            if refused is not None:
                # The event is acknowledged and taken, so Slack will not send it again: the
                # asker hears now that it was not taken on, rather than nothing at all.
                refused()

    # bolt
    def _build_app(self) -> App:
        # The client carries the bot token (and the API URL and retry handlers). Requests
        # are verified before they reach bolt (receive_slack), or come over Socket Mode's
        # authenticated connection; bolt checking again after a queue wait could call a
        # genuine request stale.
        app = App(client=self.client, request_verification_enabled=False,
                  # say()/set_status() for assistant threads: unused, and built per request.
                  attaching_conversation_kwargs_enabled=False,
                  # Listeners only enqueue, so running them inline costs next to nothing.
                  process_before_response=True)
        app.event("app_mention")(self._on_mention)
        app.event("message")(self._on_message)
        app.action(_BUTTON)(self._on_click)
        app.command(COMMAND)(self._on_command)
        return app

    def _first_delivery(self, body: dict[str, Any], request: BoltRequest) -> bool:
        """Whether this replica takes the event: the first delivery, across replicas and
        Slack's retries, of its event id."""
        event_id = body.get("event_id")
        if not event_id:
            return True
        retry = (request.headers.get("x-slack-retry-num") or ["0"])[0]
        try:
            if self.records.take_event(event_id, self.session.executor_id,
                                       utc_now()):
                return True
            taker = self.records.event_taker(event_id)
        except Exception as exc:
            reason = unavailable_reason(exc)
            if reason is None:
                raise
            # Taken here: the question then tells its thread the database is unavailable,
            # where dropping it would leave the asker with no answer at all.
            log.warning("event %s not checked for an earlier delivery: %s", event_id, reason)
            return True
        log.info("event %s delivered again (retry %s, %s): already taken by %s", event_id,
                 retry, (request.headers.get("x-slack-retry-reason") or ["-"])[0],
                 taker[0] if taker else "a replica")
        return False

    def _on_mention(self, body: dict[str, Any], event: dict[str, Any],
                    context: BoltContext, request: BoltRequest) -> None:
        if not event.get("user") or not self._first_delivery(body, request):
            return
        channel, ts, user = event["channel"], event["ts"], event["user"]
        thread_ts = event.get("thread_ts") or ts
        text = plain_question(event.get("text", ""), context.bot_user_id)
        word = text.lower().strip(" .!?")
        if word in ("", "help"):
            job: Callable[[], object] = lambda: self.out.post(  # noqa: E731
                channel, HELP, thread_ts=thread_ts)
        elif word == "summary":
            job = lambda: self._summary(channel, thread_ts, user)  # noqa: E731
        else:
            job = lambda: self.conversation.ask(  # noqa: E731
                channel, thread_ts, self.conversation.actor(user), text, message_ts=ts)
        self._in_thread(thread_id(channel, thread_ts), job, lambda: self.out.ephemeral(
            channel, user, OVERLOADED, thread_ts=thread_ts))

    def _on_message(self, body: dict[str, Any], event: dict[str, Any],
                    context: BoltContext, request: BoltRequest) -> None:
        thread_ts, user = event.get("thread_ts"), event.get("user")
        bot = context.bot_user_id
        if (event.get("subtype") or event.get("bot_id") or not thread_ts or not user
                or (bot and f"<@{bot}" in event.get("text", ""))
                or not self._first_delivery(body, request)):
            # Mentions arrive as app_mention too; edits, joins and bots are not questions.
            return
        channel, ts = event["channel"], event["ts"]
        text = plain_question(event.get("text", ""), bot)
        if not text:
            return

        def job() -> None:
            if self.conversation.knows_thread(channel, thread_ts):
                self.conversation.ask(channel, thread_ts, self.conversation.actor(user), text,
                                      message_ts=ts)

        self._in_thread(thread_id(channel, thread_ts), job)

    def _on_click(self, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        approve, proposal_id = parse_action_id(action["action_id"])
        channel = (body.get("channel") or {}).get("id") or body["container"]["channel_id"]
        message = body.get("message") or {}
        thread_ts = message.get("thread_ts") or message.get("ts")
        user = body["user"]
        submitted = self.pool.submit(
            thread_id(channel, thread_ts or ""),
            lambda: self.conversation.click(channel, thread_ts, user["id"],
                                            user.get("username") or user.get("name"),
                                            proposal_id, approve))
        if not submitted:
            self.out.ephemeral(channel, user["id"], OVERLOADED, thread_ts=thread_ts)

    def _on_command(self, ack: Ack, command: dict[str, Any]) -> None:
        sub, _, rest = command.get("text", "").strip().partition(" ")
        channel, user = command["channel_id"], command["user_id"]
        sub = sub.lower()
        if sub == "summary":
            job: Callable[[], object] = lambda: self._summary(  # noqa: E731
                channel, thread_ts_from(rest), user)
        elif sub == "status":
            job = lambda: self._post_status(channel, user)  # noqa: E731
        else:
            job = lambda: self.out.ephemeral(channel, user, HELP)  # noqa: E731
        ack()
        if not self.pool.submit(f"command:{channel}", job):
            self.out.ephemeral(channel, user, OVERLOADED)

    @contextmanager
    def _outage_told_to(self, channel: str, user: str) -> Iterator[None]:
        """A database outage inside the block is told to ``user`` instead of lost."""
        try:
            yield
        except Exception as exc:
            reason = unavailable_reason(exc)
            if reason is None:
                raise
            log.warning("request of %s in %s not served: %s", user, channel, reason)
            self.out.ephemeral(channel, user, DATABASE_UNAVAILABLE)

    def _post_status(self, channel: str, user: str) -> None:
        with self._outage_told_to(channel, user):
            self.out.ephemeral(channel, user, self.status(channel))

    def _summary(self, channel: str, thread_ts: str | None, user: str) -> None:
        with self._outage_told_to(channel, user):
            self._post_summary(channel, thread_ts, user)

    def _post_summary(self, channel: str, thread_ts: str | None, user: str) -> None:
        if thread_ts is None:
            latest = self.records.recent_threads(channel, 1)
            if not latest:
                self.out.ephemeral(channel, user, "No opsbot thread in this channel to "
                                   "summarise.")
                return
            thread_ts = latest[0].thread_ts
        if not self.records.knows_thread(channel, thread_ts):
            self.out.ephemeral(channel, user, f"opsbot is not in thread {thread_ts}.")
            return
        self.conversation.post_summary(channel, thread_ts)

    def status(self, channel: str) -> str:
        lines = [f"*opsbot status* — {self.pool.workers} worker(s), "
                 f"{self.pool.queued} job(s) in progress or queued"]
        lines.extend(self.conversation.status_lines(channel))
        if self.alerts is not None and channel == self.alerts.channel:
            firing = self.records.firing_alert_groups(channel)
            lines.append(f"{len(firing)} alert group(s) firing with a thread here.")
        return "\n".join(lines)

    # Alertmanager
    def receive_alert(self, headers: Mapping[str, str], body: bytes) -> tuple[int, str]:
        """HTTP status and JSON body for one webhook delivery; the work runs later."""
        if self.alerts is None:
            return 404, json.dumps({"error": "alert threads are off: set OPSBOT_SLACK_CHANNEL"})
        token = self.settings.secret("alert_token")
        if token is not None:
            sent = headers.get("authorization", "")
            if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
                return 401, json.dumps({"error": "missing or wrong bearer token"})
        try:
            hook = parse_webhook(body)
        except InputError as exc:
            return 400, json.dumps({"error": str(exc)})
        if self.draining.is_set():
            return 503, json.dumps({"error": DRAINING})  # Alertmanager retries a 5xx
        if not self.readiness.report().passing("database"):
            # Accepted now, the delivery would fail on the database and be lost; refused, it
            # is retried by Alertmanager once the database is back.
            return 503, json.dumps({"error": "the database is unavailable; retry later"})
        alerts = self.alerts
        if not self.pool.submit(f"alert:{hook.group_key}", lambda: alerts.handle(hook)):
            # Alertmanager retries a 5xx, so nothing is lost.
            return 503, json.dumps({"error": OVERLOADED})
        return 200, json.dumps({"status": "accepted"})
