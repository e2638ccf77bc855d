"""`opsbot` command line. Each area registers its own subcommands from its own module."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from assistant.errors import OpsbotError

# Modules that define ``register(subparsers)``; each sets ``func`` on its parsers.
_COMMAND_MODULES = (
    "audit",
    "core",
    "evals",
    "policy",
    "redact",
    "search",
    "slack",
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
    logging.basicConfig(level=os.environ.get("OPSBOT_LOG_LEVEL", "WARNING").upper(),
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except OpsbotError as exc:
        # Error text can quote input (a pasted line, a file's content): it is egress too.
        from assistant.redaction import Redactor

        print(f"opsbot: error: {Redactor().redact(str(exc))}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
