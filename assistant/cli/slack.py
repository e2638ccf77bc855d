"""`opsbot serve slack`: the Slack app, in Socket Mode or HTTP mode."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from types import FrameType

from assistant.cli.core import DEFAULT_SCENARIO_ENV, _scenario
from assistant.config import Settings

# Exit status when a shutdown left work unfinished (handed back to its threads).
EXIT_NOT_DRAINED = 3

_serve_log = logging.getLogger("opsbot.serve")
_serve_log.setLevel(logging.INFO)


def cmd_serve_slack(args: argparse.Namespace) -> int:
    from assistant.ops_server import health_routes, ops_endpoints
    from assistant.readiness import Readiness
    from assistant.runtime import open_runtime
    from assistant.session import Session
    from assistant.slack.server import serve
    from assistant.slack.service import SlackService
    from assistant.telemetry.metrics import METRICS_PATH, Metrics

    scenario = _scenario(args)
    tree = args.opsbot_config.tree
    given = {"port": args.port, "host": args.host}
    slack = tree.slack.model_copy(
        update={k: v for k, v in given.items() if v is not None}).for_serving(args.mode)

    def say(text: str) -> None:
        # Through logging, so a JSON log stream stays JSON (and redacted) from its first
        # line; INFO whatever OPSBOT_LOG_LEVEL says, as whoever starts a server wants these.
        _serve_log.info("%s", text)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            # A second signal: the operator will not wait for the drain.
            say(f"{signal.Signals(signum).name} again: exiting now")
            os._exit(EXIT_NOT_DRAINED)
        say(f"{signal.Signals(signum).name} received")
        stop.set()

    settings = Settings.from_config(tree)
    # The probes answer from here on: a start-up that embeds the runbooks takes minutes, and
    # Kubernetes should see a live pod that is not ready yet, and why. The metrics are the
    # runtime's, made first so that /metrics is served from the same moment.
    readiness = Readiness({}, settings.health_probe_seconds,
                          start_bound_seconds=settings.start_seconds)
    metrics = Metrics()
    routes = {**health_routes(readiness), METRICS_PATH: metrics.route}
    with (ops_endpoints(routes, settings.ops_host, settings.ops_port, say),
          open_runtime(settings, scenario, metrics=metrics,
                       on_stage=readiness.starting) as rt):
        for notice in rt.interrupted:
            say(notice)
        readiness.starting("connecting to Slack")
        service = SlackService(Session(rt), slack, readiness=readiness)
        drained = False
        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            drained = serve(service, stop, say)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            service.close(drained=drained)
    if not drained:
        # Threads still running work that was handed back would keep the interpreter from
        # exiting; the runtime is closed (lease stopped, so other replicas take over).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_NOT_DRAINED)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve", help="run opsbot as a chat app")
    targets = serve.add_subparsers(dest="target", required=True)
    p = targets.add_parser(
        "slack", help="serve Slack (Socket Mode with SLACK_APP_TOKEN, else HTTP mode)",
        description="Bot token from SLACK_BOT_TOKEN; Socket Mode with SLACK_APP_TOKEN, HTTP "
                    "mode (/slack/events) with SLACK_SIGNING_SECRET. OPSBOT_SLACK_CHANNEL "
                    "and OPSBOT_SLACK_ALERT_AS turn on the Alertmanager receiver "
                    "(/alertmanager).")
    p.add_argument("--scenario", help="sandbox scenario name under evals/scenarios/ or a path "
                                      f"(default: ${DEFAULT_SCENARIO_ENV})")
    p.add_argument("--mode", choices=("socket", "http"),
                   help="default: $OPSBOT_SLACK_MODE, else socket when SLACK_APP_TOKEN is set")
    p.add_argument("--host", help="listen address (default: $OPSBOT_SLACK_HOST or 0.0.0.0)")
    p.add_argument("--port", type=int, help="listen port (default: $OPSBOT_SLACK_PORT or 3000)")
    p.set_defaults(func=cmd_serve_slack)
