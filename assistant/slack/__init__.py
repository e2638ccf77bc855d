"""Slack adapter: incident threads, proposal cards with Confirm/Deny, summaries, and the
Alertmanager receiver. `SlackService` wires it to a Session; `serve` runs it."""

from assistant.config.slack import SlackSettings
from assistant.slack.alerts import AlertThreads, Webhook, parse_webhook
from assistant.slack.cards import Approvers, card_blocks, parse_action_id
from assistant.slack.conversation import SlackConversation
from assistant.slack.egress import SlackOut, web_client
from assistant.slack.records import SlackRecords, thread_id
from assistant.slack.server import SlackHttpServer, serve
from assistant.slack.service import SlackService
from assistant.slack.workers import OrderedWorkerPool

__all__ = [
    "AlertThreads",
    "Approvers",
    "OrderedWorkerPool",
    "SlackConversation",
    "SlackHttpServer",
    "SlackOut",
    "SlackRecords",
    "SlackService",
    "SlackSettings",
    "Webhook",
    "card_blocks",
    "parse_action_id",
    "parse_webhook",
    "serve",
    "thread_id",
    "web_client",
]
