"""`opsbot config check | docs`: the effective configuration, and its reference table."""

from __future__ import annotations

import argparse
from pathlib import Path

from assistant.config.docs import effective_lines, settings_table, update_readme


def register(subparsers: argparse._SubParsersAction) -> None:
    config = subparsers.add_parser("config", help="check and document the configuration")
    sub = config.add_subparsers(dest="config_command", required=True)
    check = sub.add_parser(
        "check", help="print every setting's effective value (credentials masked) and its "
                      "source; exit 2 naming the first bad one")
    check.set_defaults(func=run_check)
    docs = sub.add_parser("docs", help="print the Markdown table of every setting")
    docs.add_argument("--update", type=Path, metavar="README",
                      help="rewrite the table between the markers in this file instead")
    docs.set_defaults(func=run_docs)


def run_check(args: argparse.Namespace) -> int:
    tree = args.opsbot_config.tree
    # What only fails when a component starts is checked now, before a deploy.
    tree.llm.endpoint()
    if tree.core.backend == "kubernetes":
        from tools.real.settings import real_settings

        real_settings(tree.kubernetes)
    if tree.slack.bot_token is not None:
        tree.slack.for_serving()
    for line in effective_lines(args.opsbot_config):
        print(line)
    return 0


def run_docs(args: argparse.Namespace) -> int:
    if args.update is None:
        print(settings_table())
        return 0
    changed = update_readme(args.update)
    print(f"{args.update}: {'updated' if changed else 'already current'}")
    return 0
