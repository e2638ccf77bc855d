"""Slack's Socket Mode: one WebSocket from opsbot to Slack carries events, clicks and commands.

slack_sdk's built-in client keeps the connection (it reconnects when Slack asks it to with
``disconnect``, or when the connection goes stale); this module acknowledges each envelope
as HTTP mode answers a request: once it is queued (``SlackService.receive_envelope``), before
bolt routes it. bolt's own handler acknowledges only what a listener accepted, so Slack
kept redelivering an event opsbot has no listener for, and it routed by payload whatever
the envelope's type said.
"""

from __future__ import annotations

import threading

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import build_headers
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from assistant.slack.service import SlackService, SlackUnavailableError


class EnvelopeHandler(SocketModeHandler):
    def __init__(self, service: SlackService) -> None:
        # One thread takes envelopes off the socket: with more, two arriving together could
        # be queued in either order (a mention and the reply right after it).
        super().__init__(service.app, service.settings.secret("app_token"), concurrency=1)
        self.service = service
        # The client still hands over envelopes it read before close() once the socket is
        # shut: taken in then, they could not be acknowledged and Slack would redeliver them
        # (to another replica, which handles them again). Closing waits for the one in hand.
        self._taking = threading.Lock()
        self._closing = False

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        with self._taking:
            if self._closing:
                return
            if self.service.receive_envelope(req.type, req.payload, build_headers(req)):
                client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))

    def check_connected(self) -> None:
        """For readiness: raises while the socket is down (the client reconnects itself)."""
        if self._closing or not self.client.is_connected():
            raise SlackUnavailableError("the Socket Mode connection to Slack is not open")

    def close(self) -> None:
        with self._taking:
            if self._closing:
                return
            self._closing = True
        super().close()


def connect(service: SlackService) -> EnvelopeHandler:
    """The open connection; SlackUnavailableError when Slack refuses or cannot be reached."""
    handler = EnvelopeHandler(service)
    url = service.settings.api_url
    try:
        handler.connect()
    except SlackApiError as exc:
        handler.close()
        raise SlackUnavailableError(f"Slack at {url} refused SLACK_APP_TOKEN for Socket Mode "
                                    f"(apps.connections.open: {exc.response['error']})") from None
    except (SlackClientError, OSError) as exc:
        handler.close()
        raise SlackUnavailableError(f"Slack at {url} could not be reached to open Socket Mode: "
                                    f"{exc}") from None
    if not handler.client.is_connected():
        # The built-in client logs a failed WebSocket handshake and carries on unconnected.
        handler.close()
        raise SlackUnavailableError("the Socket Mode connection to Slack did not open (the "
                                    "WebSocket handshake failed; the log says why)")
    return handler
