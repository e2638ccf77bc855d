"""`opsbot audit verify | export | tail`: check, export and read the audit log."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from assistant.config import Settings
from assistant.errors import InputError
from assistant.models import AuditEvent, canonical_json
from assistant.storage import Store, open_store

# A tail line shows this much of the payload; export has all of it.
PAYLOAD_PREVIEW_CHARS = 160


def register(subparsers: argparse._SubParsersAction) -> None:
    audit = subparsers.add_parser("audit", help="verify, export and read the audit log")
    sub = audit.add_subparsers(dest="audit_command", required=True)

    verify = sub.add_parser(
        "verify", help="check the hash chain (exit 1 and name the first bad event)"
    )
    verify.set_defaults(func=run_verify)

    export = sub.add_parser("export", help="write every event, one JSON object per line")
    export.add_argument("--format", choices=["jsonl"], default="jsonl",
                        help="output format (default: jsonl)")
    export.add_argument("--out", type=Path, metavar="FILE",
                        help="write to FILE instead of standard output")
    export.set_defaults(func=run_export)

    tail = sub.add_parser("tail", help="show the newest events")
    tail.add_argument("--thread", metavar="ID", help="only events of this thread")
    tail.add_argument("-n", type=_positive, default=20, metavar="N",
                      help="how many events (default: 20)")
    tail.set_defaults(func=run_tail)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def _open_from_env() -> Store:
    # Imported here so that `opsbot --help` does not load the redaction patterns.
    from assistant.redaction import Redactor

    return open_store(Settings.from_env().db_url, Redactor().redact_value)


def run_verify(args: argparse.Namespace) -> int:
    with _open_from_env() as store:
        return verify_log(store, sys.stdout)


def run_export(args: argparse.Namespace) -> int:
    with _open_from_env() as store:
        if args.out is None:
            export_log(store, sys.stdout, None)
            return 0
        try:
            with args.out.open("w", encoding="utf-8") as fp:
                export_log(store, fp, str(args.out))
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror}", source=str(args.out)) from exc
    return 0


def run_tail(args: argparse.Namespace) -> int:
    with _open_from_env() as store:
        tail_log(store, sys.stdout, n=args.n, thread=args.thread)
    return 0


def verify_log(store: Store, out: TextIO) -> int:
    """Print the verdict; 1 when the chain is broken."""
    report = store.audit.verify()
    print(report.summary(), file=out)
    return 0 if report.ok else 1


def export_log(store: Store, fp: TextIO, destination: str | None) -> int:
    count = store.audit.export_jsonl(fp)
    if destination is not None:
        print(f"exported {count} events to {destination}", file=sys.stderr)
    return count


def tail_log(store: Store, out: TextIO, *, n: int, thread: str | None) -> None:
    events = store.audit.tail(n, thread=thread)
    if not events:
        where = f" for thread {thread}" if thread else ""
        print(f"no audit events{where}", file=out)
    for event in events:
        print(render_event(event), file=out)


def render_event(event: AuditEvent) -> str:
    payload = canonical_json(event.payload)
    if len(payload) > PAYLOAD_PREVIEW_CHARS:
        payload = payload[: PAYLOAD_PREVIEW_CHARS - 1] + "…"
    return (
        f"{event.seq:>6}  {event.time:%Y-%m-%d %H:%M:%S}  {event.kind:<12}  "
        f"actor={event.actor or '-'}  thread={event.thread or '-'}  {payload}"
    )
