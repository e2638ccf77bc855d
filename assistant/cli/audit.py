"""`opsbot audit verify | head | export | tail | incidents`: check, anchor, export and read
the audit log, and the incidents (MTTA, MTTR) it records."""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from assistant.config import Settings
from assistant.errors import InputError
from assistant.incidents import incidents, mean
from assistant.models import AuditEvent, canonical_json
from assistant.storage import ChainHead, Store, open_store
from assistant.storage.audit_key import audit_key_for

# A tail line shows this much of the payload; export has all of it.
PAYLOAD_PREVIEW_CHARS = 160
# --follow polls the database: often enough for a SIEM, bounded so a typo cannot hammer it.
DEFAULT_POLL_SECONDS = 2.0
MIN_POLL_SECONDS = 0.1
MAX_POLL_SECONDS = 3600.0


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

    export = sub.add_parser(
        "export", help="write events, one JSON object per line, each checked against the "
                       "chain first (exit 1 at a broken link)")
    export.add_argument("--format", choices=["jsonl"], default="jsonl",
                        help="output format (default: jsonl)")
    export.add_argument("--out", type=Path, metavar="FILE",
                        help="write to FILE instead of standard output (appended with --follow)")
    export.add_argument(
        "--since", type=_since, metavar="SEQ|TIME",
        help="only events after event SEQ (the last one a SIEM has), or from an ISO time on "
             "(2026-01-31T12:00:00Z)")
    export.add_argument("--follow", action="store_true",
                        help="keep writing new events as they are recorded, until Ctrl-C")
    export.add_argument("--poll", type=_poll_seconds, default=DEFAULT_POLL_SECONDS,
                        metavar="SECONDS",
                        help=f"with --follow, how often to look for new events "
                             f"(default: {DEFAULT_POLL_SECONDS:g})")
    export.set_defaults(func=run_export)

    tail = sub.add_parser("tail", help="show the newest events")
    tail.add_argument("--thread", metavar="ID", help="only events of this thread")
    tail.add_argument("-n", type=_positive, default=20, metavar="N",
                      help="how many events (default: 20)")
    tail.set_defaults(func=run_tail)

    incidents = sub.add_parser(
        "incidents", help="alert incidents with time to first action and to resolve, and "
                          "their means (MTTA, MTTR)")
    incidents.add_argument("--json", action="store_true", help="one JSON object per incident")
    incidents.set_defaults(func=run_incidents)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def _since(text: str) -> int | datetime:
    if text.isdigit():
        return int(text)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither an event number nor an ISO time "
            "(2026-01-31T12:00:00Z)") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _poll_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not MIN_POLL_SECONDS <= value <= MAX_POLL_SECONDS:
        raise argparse.ArgumentTypeError(
            f"must be between {MIN_POLL_SECONDS:g} and {MAX_POLL_SECONDS:g} seconds")
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

    settings = Settings.from_config(args.opsbot_config.tree)
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
        since = args.since if isinstance(args.since, int) or args.since is None \
            else store.audit.seq_before(args.since)
        follow = Follow(args.poll) if args.follow else None
        with _stopped_by_ctrl_c(follow):
            if args.out is None:
                export_log(store, sys.stdout, None, since or 0, follow)
                return 0
            try:
                with args.out.open("a" if args.follow else "w", encoding="utf-8") as fp:
                    export_log(store, fp, str(args.out), since or 0, follow)
            except OSError as exc:
                raise InputError(f"cannot write: {exc.strerror}",
                                 source=str(args.out)) from exc
    return 0


@contextmanager
def _stopped_by_ctrl_c(follow: Follow | None) -> Iterator[None]:
    """While following, Ctrl-C (SIGINT) or SIGTERM ends the export after the event being
    written, never in the middle of a line a SIEM would then have to discard."""
    if follow is None:
        yield
        return
    previous = {sig: signal.signal(sig, lambda *_: follow.stop.set())
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_tail(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        tail_log(store, sys.stdout, n=args.n, thread=args.thread)
    return 0


def verify_log(store: Store, out: TextIO, expect: ChainHead | None = None) -> int:
    """Print the verdict; 1 when the chain is broken or its seals could not be checked."""
    report = store.audit.verify(expect)
    print(report.summary(), file=out)
    return 0 if report.ok else 1


class Follow:
    """How ``export_log`` keeps going: poll every ``seconds`` until ``stop`` is set (by
    a signal in the CLI), waiting on the event so a stop is never slept through."""

    def __init__(self, seconds: float, stop: threading.Event | None = None) -> None:
        self.seconds = seconds
        self.stop = stop or threading.Event()


def export_log(store: Store, fp: TextIO, destination: str | None, since: int = 0,
               follow: Follow | None = None) -> int:
    """Write the events after ``since``; with ``follow``, then each new one as it comes.
    Returns the last event written, for the next ``--since``."""
    last, total = since, 0
    while True:
        segment = store.audit.export_jsonl(fp, since_seq=last)
        fp.flush()  # a SIEM reading the pipe sees each event as soon as it is checked
        last, total = segment.last_seq, total + segment.count
        if follow is None or follow.stop.wait(follow.seconds):
            break
    if destination is not None or follow is not None:
        where = f" to {destination}" if destination else ""
        print(f"exported {total} events{where}; the last is {last} "
              f"(continue with --since {last})", file=sys.stderr)
    return last


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


def run_incidents(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        list_incidents(store, sys.stdout, as_json=args.json)
    return 0


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def list_incidents(store: Store, out: TextIO, *, as_json: bool) -> None:
    found = incidents(store.audit.events())
    if as_json:
        for i in found:
            print(json.dumps({
                "thread": i.thread, "group_key": i.group_key, "alertname": i.alertname,
                "fired_at": i.fired_at.isoformat(),
                "first_action_at": i.first_action_at.isoformat() if i.first_action_at else None,
                "resolved_at": i.resolved_at.isoformat() if i.resolved_at else None,
                "seconds_to_first_action": i.seconds_to_first_action,
                "seconds_to_resolve": i.seconds_to_resolve}), file=out)
        return
    if not found:
        print("no alert incidents in the audit log", file=out)
        return
    print(f"{'fired (UTC)':<19}  {'alert':<28}  {'to action':>9}  {'to resolve':>10}  thread",
          file=out)
    for i in found:
        print(f"{i.fired_at:%Y-%m-%d %H:%M:%S}  {i.alertname[:28]:<28}  "
              f"{_duration(i.seconds_to_first_action):>9}  "
              f"{_duration(i.seconds_to_resolve):>10}  {i.thread}", file=out)
    mtta = mean(i.seconds_to_first_action for i in found)
    mttr = mean(i.seconds_to_resolve for i in found)
    print(f"{len(found)} incident(s); MTTA {_duration(mtta)} "
          f"({sum(i.first_action_at is not None for i in found)} acted on), MTTR "
          f"{_duration(mttr)} ({sum(i.resolved_at is not None for i in found)} resolved)",
          file=out)
