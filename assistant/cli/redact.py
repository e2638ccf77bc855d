"""`opsbot redact [FILE] [--config FILE]`: redact a file or stdin to stdout, streaming."""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path
from typing import TextIO

from assistant.errors import InputError
from assistant.redaction import Redactor, load_redaction_config


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "redact",
        help="replace secrets in a log or text with typed placeholders",
        description=(
            "Copy FILE (or stdin) to stdout with secrets replaced by "
            "[REDACTED:<kind>#<hash>] placeholders. Streams: any size, constant memory."
        ),
    )
    parser.add_argument("file", nargs="?", type=Path, help="file to redact (default: stdin)")
    parser.add_argument(
        "--config", type=Path, help="YAML with team patterns and an allow-list"
    )
    parser.set_defaults(func=run)


def _lossless(stream: TextIO) -> TextIO:
    """Undecodable bytes pass through unchanged and line endings are kept as they are."""
    if isinstance(stream, io.TextIOWrapper):
        stream.reconfigure(errors="surrogateescape", newline="")
    return stream


def _open(path: Path) -> TextIO:
    try:
        return open(path, encoding="utf-8", errors="surrogateescape", newline="")
    except FileNotFoundError as exc:
        raise InputError("file not found", source=str(path)) from exc
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", source=str(path)) from exc


def run(args: argparse.Namespace) -> int:
    config = load_redaction_config(args.config) if args.config else None
    redactor = Redactor(config)
    out = _lossless(sys.stdout)
    try:
        if args.file is None:
            redactor.redact_stream(_lossless(sys.stdin), out)
        else:
            with _open(args.file) as src:
                redactor.redact_stream(src, out)
        out.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, like other filters do, and point
        # stdout at /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
