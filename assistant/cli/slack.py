"""`opsbot serve slack`: the Slack app, in Socket Mode or HTTP mode."""

from __future__ import annotations

import argparse
import logging
import os
import threading
from contextlib import ExitStack

from assistant.cli.core import DEFAULT_SCENARIO_ENV, _scenario
from assistant.config import Settings

_serve_log = logging.getLogger("opsbot.serve")
_serve_log.setLevel(logging.INFO)


def cmd_serve_slack(args: argparse.Namespace) -> int:
    from assistant.runtime import open_runtime
    from assistant.session import Session
    from assistant.slack.server import serve
    from assistant.slack.service import SlackService
    from assistant.slack.settings import SlackSettings
    from assistant.telemetry.http import RouteServer
    from assistant.telemetry.metrics import METRICS_PATH

    scenario = _scenario(args)
    env = dict(os.environ)
    if args.port is not None:
        env["OPSBOT_SLACK_PORT"] = str(args.port)
    if args.host:
        env["OPSBOT_SLACK_HOST"] = args.host
    slack = SlackSettings.from_env(env, mode=args.mode)

    def say(text: str) -> None:
        # Through logging, so a JSON log stream stays JSON (and redacted) from its first
        # line; INFO whatever OPSBOT_LOG_LEVEL says, as whoever starts a server wants these.
        _serve_log.info("%s", text)

    settings = Settings.from_env()
    with open_runtime(settings, scenario) as rt, ExitStack() as running:
        for notice in rt.interrupted:
            say(notice)
        service = SlackService(Session(rt), slack)
        running.callback(service.close)
        if settings.metrics_port is not None:
            metrics = RouteServer(settings.metrics_host, settings.metrics_port,
                                  rt.metrics.route).start()
            running.callback(metrics.stop)
            say(f"metrics on http://{settings.metrics_host}:{metrics.port}{METRICS_PATH}")
        try:
            serve(service, threading.Event(), say)
        except KeyboardInterrupt:
            say("stopping: finishing the work already queued")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve", help="run opsbot as a chat app")
    targets = serve.add_subparsers(dest="target", required=True)
    p = targets.add_parser(
        "slack", help="serve Slack (Socket Mode with SLACK_APP_TOKEN, else HTTP mode)",
        description="Bot token from SLACK_BOT_TOKEN; Socket Mode with SLACK_APP_TOKEN, HTTP "
                    "mode (/slack/events) with SLACK_SIGNING_SECRET. OPSBOT_SLACK_CHANNEL "
                    "and OPSBOT_SLACK_ALERT_AS turn on the Alertmanager receiver "
                    "(/alertmanager). OPSBOT_METRICS_PORT serves Prometheus metrics "
                    "(/metrics) on OPSBOT_METRICS_HOST (default 0.0.0.0).")
    p.add_argument("--scenario", help="sandbox scenario name under evals/scenarios/ or a path "
                                      f"(default: ${DEFAULT_SCENARIO_ENV})")
    p.add_argument("--mode", choices=("socket", "http"),
                   help="default: $OPSBOT_SLACK_MODE, else socket when SLACK_APP_TOKEN is set")
    p.add_argument("--host", help="listen address (default: $OPSBOT_SLACK_HOST or 0.0.0.0)")
    p.add_argument("--port", type=int, help="listen port (default: $OPSBOT_SLACK_PORT or 3000)")
    p.set_defaults(func=cmd_serve_slack)
