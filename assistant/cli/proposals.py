"""`opsbot proposals list | interrupt`: see claims and their executors' leases, and mark a
claim whose executor is gone by hand (claims made before leases are never swept)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta

from assistant.cli.audit import _positive
from assistant.config import Settings
from assistant.models import Actor, ProposalStatus
from assistant.redaction import Redactor
from assistant.storage import Store, StoredProposal, executor_alive, open_store
from assistant.storage.audit_key import audit_key_for
from assistant.storage.timestamps import utc_now


def register(subparsers: argparse._SubParsersAction) -> None:
    proposals = subparsers.add_parser(
        "proposals", help="list proposals and their claims; interrupt a stuck claim")
    sub = proposals.add_subparsers(dest="proposals_command", required=True)

    listing = sub.add_parser("list", help="newest proposals first, with claim and lease")
    listing.add_argument("--status", choices=[s.value for s in ProposalStatus],
                         help="only proposals in this status (e.g. executing)")
    listing.add_argument("-n", type=_positive, default=50, metavar="N",
                         help="how many (default: 50)")
    listing.set_defaults(func=run_list)

    interrupt = sub.add_parser(
        "interrupt", help="mark an executing claim interrupted; it is never re-run",
        description="For a claim whose executor is gone but is not swept (a claim made "
                    "before executor leases, or a host you know is dead). Allowed to users "
                    "the policy lets approve the proposal's tool; audited with who and why. "
                    "Against a real environment needs OPSBOT_TRUST_CLI_IDENTITY=1.")
    interrupt.add_argument("proposal_id", metavar="PROPOSAL_ID")
    interrupt.add_argument("--as", dest="user", required=True, help="chat user id, e.g. U01ALICE")
    interrupt.add_argument("--reason", required=True, help="why the claim is dead (audited)")
    interrupt.set_defaults(func=run_interrupt)


def _open(settings: Settings) -> tuple[Store, Redactor]:
    from assistant.redaction_setup import build_redactor

    redactor = build_redactor(settings)
    key = audit_key_for(settings.audit_key_file, settings.home, create=True)
    return open_store(settings.db_url, redactor.redact_value, audit_key=key), redactor


def run_list(args: argparse.Namespace) -> int:
    store, redactor = _open(Settings.from_config(args.opsbot_config.tree))
    with store:
        status = ProposalStatus(args.status) if args.status else None
        print(redactor.redact(list_proposals(store, status, args.n, utc_now())))
    return 0


def run_interrupt(args: argparse.Namespace) -> int:
    from assistant.interruptions import interrupt_by_hand
    from assistant.policy import load_policy

    settings = Settings.from_config(args.opsbot_config.tree)
    settings.check_cli_approval()
    policy = load_policy(settings.policy_dir)
    store, redactor = _open(settings)
    with store:
        now = utc_now()
        found = interrupt_by_hand(store, policy, args.proposal_id, Actor(user_id=args.user),
                                  args.reason, now)
        warning = _still_running_warning(store, found.stored, now)
    if warning:
        print(f"opsbot: warning: {redactor.redact(warning)}", file=sys.stderr)
    print(redactor.redact(found.notice))
    return 0


def list_proposals(store: Store, status: ProposalStatus | None, limit: int,
                   now: datetime) -> str:
    found = store.proposals.listing(status, limit)
    if not found:
        return f"no {status.value} proposals" if status else "no proposals"
    return "\n".join(_line(store, stored, now) for stored in found)


def _line(store: Store, stored: StoredProposal, now: datetime) -> str:
    p = stored.proposal
    claimed_at = f"{stored.claimed_at:%Y-%m-%d %H:%M:%S}" if stored.claimed_at else "-"
    return (f"{p.id}  {stored.status.value:<16}  {p.call.render()}  thread={p.thread_id}  "
            f"claimed_by={stored.claimed_by or '-'}  claimed_at={claimed_at}  "
            f"heartbeat={_heartbeat(store, stored.claimed_by, now)}")


def _heartbeat(store: Store, executor: str | None, now: datetime) -> str:
    if executor is None:
        return "-"
    record = store.executors.get(executor)
    if record is None:
        return "unknown (no lease record)"
    if record.stopped_at is not None:
        return f"stopped {_age(now - record.stopped_at)} ago"
    expired = ", lease expired" if record.lease_expired(now) else ""
    return (f"{_age(record.heartbeat_age(now))} ago "
            f"(lease {_age(timedelta(seconds=record.lease_seconds))}{expired})")


def _age(span: timedelta) -> str:
    seconds = max(0, int(span.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def _still_running_warning(store: Store, stored: StoredProposal, now: datetime) -> str | None:
    """Said after marking: the person may have been wrong about the executor being gone."""
    executor = stored.claimed_by or ""
    record = store.executors.get(executor)
    if record is None:
        return (f"{executor} has no lease record (it claimed before leases); make sure that "
                "process is gone, or the action may still be running")
    if executor_alive("", store.executors.get, now)(executor):
        return (f"{executor} renewed its lease {_age(record.heartbeat_age(now))} ago and may "
                "still be running this action; if it finishes, its result is in the audit "
                "log only")
    return None
