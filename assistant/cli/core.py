"""The conversation commands: ask, chat, confirm, deny, summary, demo."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import uuid
from pathlib import Path

from assistant.config import Settings
from assistant.errors import InputError
from assistant.models import Actor

# The engine (LangGraph, Chroma, the embedding model) is imported inside the commands so
# that `opsbot --help` and the light commands start fast.

DEFAULT_SCENARIO_ENV = "OPSBOT_SCENARIO"


def _labels(pairs: list[str] | None) -> dict[str, str]:
    labels: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"expected KEY=VALUE, got {pair!r}", field="--alert")
        labels[key.strip()] = value.strip()
    return labels


def _scenario(args: argparse.Namespace) -> str:
    core = args.opsbot_config.tree.core
    scenario = args.scenario or core.scenario
    if core.backend == "kubernetes":
        return scenario or ""  # the live cluster is the world; no scenario is loaded
    if not scenario:
        raise InputError(f"name a scenario with --scenario or {DEFAULT_SCENARIO_ENV}",
                         field="--scenario")
    return scenario


def _announce_interrupted(notices: list[str]) -> None:
    for notice in notices:
        print(f"opsbot: {notice}", file=sys.stderr)


def _add_world(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", help="sandbox scenario name under evals/scenarios/ or a path "
                                      f"(default: ${DEFAULT_SCENARIO_ENV})")
    p.add_argument("--as", dest="user", required=True, help="chat user id, e.g. U02BOB")


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.charts import chart_dir
    from assistant.runtime import open_runtime
    from assistant.session import Session
    from assistant.terminal import render_turn

    settings = Settings.from_config(args.opsbot_config.tree)
    thread = args.thread or f"cli-{uuid.uuid4().hex[:8]}"
    charts = chart_dir(settings.home, thread)
    with open_runtime(settings, _scenario(args)) as rt:
        _announce_interrupted(rt.interrupted)
        session = Session(rt)
        turn = session.ask(thread, Actor(user_id=args.user), args.question, _labels(args.alert))
        if args.json:
            print(rt.redact(json.dumps({
                "thread_id": thread,
                "messages": [m.model_dump(mode="json") for m in turn.messages],
                "proposals": [p.model_dump(mode="json") for p in
                              (session.proposal(m.proposal_id).proposal for m in turn.messages
                               if m.kind == "card" and m.proposal_id)],
                "timings_ms": turn.timings_ms,
            }, indent=2)))
        else:
            print(rt.redact(render_turn(session, turn, charts)))
            print(f"\n(thread {thread})")
    return 0


def cmd_click(args: argparse.Namespace) -> int:
    from assistant.charts import chart_dir
    from assistant.runtime import open_runtime
    from assistant.session import Session
    from assistant.terminal import render_turn

    settings = Settings.from_config(args.opsbot_config.tree)
    settings.check_cli_approval()
    with open_runtime(settings, _scenario(args)) as rt:
        _announce_interrupted(rt.interrupted)
        session = Session(rt)
        thread = session.proposal(args.proposal_id).proposal.thread_id
        turn = session.respond(thread, args.proposal_id, Actor(user_id=args.user),
                               approve=args.command == "confirm")
        print(rt.redact(render_turn(session, turn, chart_dir(settings.home, thread))))
        refused = any(m.kind in ("refusal", "failure") for m in turn.messages)
    return 1 if refused else 0


def cmd_chat(args: argparse.Namespace) -> int:
    from assistant.charts import chart_dir
    from assistant.runtime import open_runtime
    from assistant.session import Session
    from assistant.terminal import TerminalChat

    settings = Settings.from_config(args.opsbot_config.tree)
    thread = args.thread or f"cli-{uuid.uuid4().hex[:8]}"
    chart_dir(settings.home, thread)  # a bad --thread stops before the runtime loads
    with open_runtime(settings, _scenario(args)) as rt:
        _announce_interrupted(rt.interrupted)
        chat = TerminalChat(Session(rt), thread, Actor(user_id=args.user), input, sys.stdout)
        chat.loop()
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    from assistant.redaction_setup import build_redactor
    from assistant.storage import open_store
    from assistant.summary import incident_summary

    settings = Settings.from_config(args.opsbot_config.tree)
    redactor = build_redactor(settings)
    store = open_store(settings.db_url, redactor.redact_value)
    try:
        events = store.audit.events(thread=args.thread)
        text = incident_summary(args.thread, events)
    finally:
        store.close()
    if args.out:
        Path(args.out).write_text(redactor.redact(text), encoding="utf-8")
    else:
        print(redactor.redact(text))
    return 0 if events else 1


def cmd_demo(args: argparse.Namespace) -> int:
    from assistant.demo import run_demo

    tree = args.opsbot_config.tree
    with tempfile.TemporaryDirectory(prefix="opsbot-demo-") as tmp:
        # The demo keeps its state to itself: never in a configured database.
        core = tree.core.model_copy(update={"home": Path(args.home or tmp), "db": None})
        settings = Settings.from_config(tree.model_copy(update={"core": core}))
        charts = settings.home / "charts" if args.home else None
        return run_demo(settings, args.scenario, sys.stdout, charts)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="ask once in a thread and print the answer")
    p.add_argument("question")
    _add_world(p)
    p.add_argument("--thread", help="continue this thread (default: a new one)")
    p.add_argument("--alert", action="append", metavar="KEY=VALUE",
                   help="alert label, repeatable (alertname=..., namespace=..., pod=...)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_ask)

    for name, verb in (("confirm", "Confirm"), ("deny", "Deny")):
        p = sub.add_parser(name, help=f"click {verb} on a proposal")
        p.add_argument("proposal_id")
        _add_world(p)
        p.set_defaults(func=cmd_click)

    p = sub.add_parser("chat", help="interactive incident thread in the terminal")
    _add_world(p)
    p.add_argument("--thread", help="continue this thread (default: a new one)")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("summary", help="Markdown incident summary of a thread")
    p.add_argument("--thread", required=True)
    p.add_argument("--out", help="write to this file instead of stdout")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("demo", help="play a scripted incident end to end, offline")
    p.add_argument("--scenario", default="checkout-bad-deploy")
    p.add_argument("--home", help="keep the demo's state and chart PNGs here "
                                  "(default: a temporary dir)")
    p.set_defaults(func=cmd_demo)
