"""`opsbot` command line. Each area registers its own subcommands from its own module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from assistant.errors import OpsbotError

# Modules that define ``register(subparsers)``; each sets ``func`` on its parsers.
_COMMAND_MODULES = (
    "audit",
    "core",
    "policy",
    "redact",
    "search",
)


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(prog="opsbot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in _COMMAND_MODULES:
        importlib.import_module(f"assistant.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except OpsbotError as exc:
        print(f"opsbot: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
