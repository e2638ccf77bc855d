"""`opsbot audit verify | head | export | tail`: check, anchor, export and read the audit log."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TextIO

from assistant.config import Settings
from assistant.errors import InputError
from assistant.models import AuditEvent, canonical_json
from assistant.storage import ChainHead, Store, open_store
from assistant.storage.audit_key import audit_key_for

# A tail line shows this much of the payload; export has all of it.
PAYLOAD_PREVIEW_CHARS = 160


def register(subparsers: argparse._SubParsersAction) -> None:
    audit = subparsers.add_parser("audit", help="verify, export and read the audit log")
    sub = audit.add_subparsers(dest="audit_command", required=True)

    verify = sub.add_parser(
        "verify", help="check the hash chain and its seals (exit 1 and name the first bad event)"
    )
    verify.add_argument(
        "--expect", type=_anchor, metavar="SEQ:HASH",
        help="a head printed earlier by `opsbot audit head` and kept outside the database; "
             "the log must still hold that event with that hash")
    verify.set_defaults(func=run_verify)

    head = sub.add_parser(
        "head", help="print the chain head as SEQ:HASH, to keep outside the database")
    head.set_defaults(func=run_head)

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


def _anchor(text: str) -> ChainHead:
    seq, _, hash_ = text.partition(":")
    if not seq.isdigit() or not re.fullmatch(r"[0-9a-f]{64}", hash_):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not SEQ:HASH (a whole number, a colon and 64 lower-case hex "
            "digits), as `opsbot audit head` prints it")
    return ChainHead(int(seq), hash_)


def _open_store(args: argparse.Namespace) -> Store:
    # Imported here so that `opsbot --help` does not load the redaction patterns.
    from assistant.redaction import Redactor

    settings = Settings.from_config(args.config.tree)
    # Reading never creates a key: a verifier without one is told the log's seals went
    # unchecked rather than handed a fresh key that matches nothing.
    key = audit_key_for(settings.audit_key_file, settings.home, create=False)
    return open_store(settings.db_url, Redactor().redact_value, audit_key=key)


def run_verify(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        return verify_log(store, sys.stdout, expect=args.expect)


def run_head(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        print(store.audit.head().render())
    return 0


def run_export(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
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
    with _open_store(args) as store:
        tail_log(store, sys.stdout, n=args.n, thread=args.thread)
    return 0


def verify_log(store: Store, out: TextIO, expect: ChainHead | None = None) -> int:
    """Print the verdict; 1 when the chain is broken or its seals could not be checked."""
    report = store.audit.verify(expect)
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
