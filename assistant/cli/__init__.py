"""`opsbot` command line. Each area registers its own subcommands from its own module."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from assistant.errors import OpsbotError
from assistant.telemetry.logs import configure_logging
from tools.plugins import load_plugins, plugin_settings

# Modules that define ``register(subparsers)``; each sets ``func`` on its parsers.
_COMMAND_MODULES = (
    "audit",
    "config",
    "core",
    "evals",
    "policy",
    "proposals",
    "redact",
    "runbooks",
    "search",
    "slack",
    "tools",
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
    from assistant.config.reading import load_config
    from assistant.redaction import Redactor
    from assistant.redaction_setup import redact_logging

    # Defaults until the configuration is read; its own errors are reported below.
    configure_logging("WARNING", "auto")
    redact_logging(Redactor())  # from the first log line on; the runtime swaps in its key
    try:
        # Before anything reads policies or runbooks, which may name plugin tools, and
        # before the configuration, which accepts the variables plugins read.
        plugins = load_plugins()
        # Read once, here; every command takes what it needs from ``args.opsbot_config``
        # (not ``config``: that is `opsbot redact --config`, a redaction file).
        args.opsbot_config = load_config(os.environ, extra_names=plugin_settings(plugins))
        logs = args.opsbot_config.tree.logging
        configure_logging(logs.level, logs.format)
        redact_logging(Redactor())
        return int(args.func(args) or 0)
    except OpsbotError as exc:
        # Error text can quote input (a pasted line, a file's content): it is egress too.
        print(f"opsbot: error: {_redact(str(exc))}", file=sys.stderr)
        return 2
    except Exception as exc:
        # A bug, not bad input: say so without a raw traceback (it may quote secrets);
        # OPSBOT_LOG_LEVEL=DEBUG logs the traceback through the redacting log handlers.
        logging.getLogger("opsbot").debug("unexpected error", exc_info=True)
        print(f"opsbot: internal error: {_redact(f'{type(exc).__name__}: {exc}')}",
              file=sys.stderr)
        return 70


def _redact(text: str) -> str:
    from assistant.redaction import Redactor

    return Redactor().redact(text)


if __name__ == "__main__":
    sys.exit(main())
