"""A dependency that refuses or throttles the workload, read from its recent log lines.
Pure.

A backlog with a provider answering "421 slow down", "429 Too Many Requests" or
"connection refused" is not short of capacity: every extra replica sends more of the calls
that are being refused. Log text is data: it only ever yields counts, pod names, a peer's
host name (a host pattern, nothing else) and the lines themselves, quoted as evidence. It
never sets a target, an action or a number; the subject is the workload whose logs these
are, as the caller said.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from assistant.analysis.evidence import WorkloadEvidence
from assistant.analysis.findings import Contradiction, Finding, Remedy, Subject

# Answers that mean "you are sending too much": a rate limit, a quota, SMTP's temporary
# refusals (421 service not available / too many messages, 450/451 try again later).
_THROTTLED = re.compile(
    r"\brate[ _-]?limit|\bthrottl|\btoo many requests\b|\bquota (?:exceeded|exhausted)\b"
    r"|\b(?:http|status|code|response|smtp)\W{0,3}(?:429|421|450|451)\b"
    r"|(?:->|=>|\breturned|\bgot|\banswered)\W{0,3}429\b"
    r"|\b429 too many\b|\b(?:421|450|451)[ -]4\.\d{1,3}\.\d{1,3}\b",
    re.IGNORECASE)
# Answers that mean "not serving you now": unavailable, refusing connections, not answering.
_REFUSED = re.compile(
    r"\b(?:http|status|code|response)\W{0,3}503\b|\b503 service unavailable\b"
    r"|(?:->|=>|\breturned|\bgot|\banswered)\W{0,3}503\b"
    r"|\bconnection refused\b|\bi/o timeout\b|\b(?:connect(?:ion)?|dial|request) "
    r"(?:timed out|timeout)\b",
    re.IGNORECASE)
# A timeout counts only on a line that names the host that did not answer; "timeout=30s"
# is a setting, not an event.
_TIMEOUT = re.compile(r"\btime(?:d out|out)\b(?!\s*[=:]\s*\d)|\bdeadline exceeded\b",
                      re.IGNORECASE)
# Where a line names the peer: host=, upstream=, url=..., or "dial tcp HOST", "to HOST".
_PEER = re.compile(
    r"\b(?:host|peer|upstream|url|addr|address|endpoint|server|remote|target|dest)"
    r"\s*[=:]\s*[\"']?(?:[a-z][a-z0-9+.-]*://)?(?:[^@\s\"'/]*@)?(?P<kv>[a-z0-9][a-z0-9.-]*"
    r"(?::\d{1,5})?)"
    r"|\b(?:dial tcp|connect(?:ing)? to|from|to)\s+(?P<to>[a-z0-9-]+(?:\.[a-z0-9-]+)+"
    r"(?::\d{1,5})?)"
    r"|\b[a-z][a-z0-9+.-]*://(?:[^@\s\"'/]*@)?(?P<url>[a-z0-9][a-z0-9.-]*(?::\d{1,5})?)",
    re.IGNORECASE)
# What is named as a peer must look like a host: a dotted name with a letter, an IPv4
# address, or a name with a port (not a version, "to 5.10.0").
_HOST = re.compile(r"^(?=[^:]*[a-z])[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d{1,5})?$"
                   r"|^(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?$"
                   r"|^[a-z][a-z0-9-]*:\d{1,5}$", re.IGNORECASE)
LINES_QUOTED = 3  # distinct refusing lines shown as evidence
LINE_CHARS = 200  # of each quoted line
PODS_NAMED = 3


@dataclass(frozen=True)
class _Refusal:
    pod: str
    line: str
    throttled: bool  # a rate limit or quota, rather than unavailable or unreachable
    peer: str | None


def _peer(line: str) -> str | None:
    for found in _PEER.finditer(line):
        host = (found.group("kv") or found.group("to") or found.group("url") or "").lower()
        if _HOST.match(host):
            return host
    return None


def _named_peer(seen: list[_Refusal]) -> str | None:
    peers = Counter(r.peer for r in seen if r.peer)
    return peers.most_common(1)[0][0] if peers else None


def _only_peer(lines: list[str]) -> str | None:
    named = {peer for line in lines if (peer := _peer(line)) is not None}
    return named.pop() if len(named) == 1 else None


def _refusal(pod: str, line: str) -> _Refusal | None:
    throttled = _THROTTLED.search(line) is not None
    peer = _peer(line)
    if not (throttled or _REFUSED.search(line)
            or (peer is not None and _TIMEOUT.search(line))):
        return None
    return _Refusal(pod=pod, line=line, throttled=throttled, peer=peer)


def _clip(line: str) -> str:
    line = line.strip()
    return line if len(line) <= LINE_CHARS else line[:LINE_CHARS - 1] + "…"


def throttled_dependency(w: WorkloadEvidence, now: datetime) -> list[Finding]:
    """The workload's own logs show something it calls refusing or throttling it."""
    seen = [r for excerpt in w.logs for line in excerpt.lines
            if (r := _refusal(excerpt.pod, line)) is not None]
    if not seen:
        return []
    throttled = any(r.throttled for r in seen)
    pods = list(dict.fromkeys(r.pod for r in seen))
    read = len([e for e in w.logs if e.lines])
    peer, where = _named_peer(seen), ""
    if peer is None:
        # A refusal often names no host ("421 too many messages"): the one host the
        # same pods' other lines name (where they connected) is the likely peer.
        peer = _only_peer([line for e in w.logs if e.pod in pods for line in e.lines])
        where = " (the host its logs name)" if peer else ""
    who = f"{peer}{where}" if peer else "a dependency it calls"
    what = "throttles" if throttled else "refuses or does not answer"
    named = ", ".join(pods[:PODS_NAMED]) + (f" and {len(pods) - PODS_NAMED} more"
                                             if len(pods) > PODS_NAMED else "")
    evidence = [f"{len(seen)} log line(s) in {len(pods)} of {read} pods read ({named}) show "
                f"{who} {'throttling' if throttled else 'refusing'} it"]
    first_of: dict[str, str] = {}  # each distinct line, from the first pod that logged it
    for r in seen:
        first_of.setdefault(_clip(r.line), r.pod)
    evidence.extend(f"{pod}: {line}" for line, pod in list(first_of.items())[:LINES_QUOTED])
    why = (f"more replicas not indicated: {who} {what} {w.namespace}/{w.name} "
           f"({len(seen)} log line(s) in {len(pods)} pod(s)); more replicas send it more "
           "of the calls it is refusing, so work would not get through any faster")
    return [Finding(
        kind="dependency-refuses", subject=Subject(namespace=w.namespace, workload=w.name),
        summary=f"{who} {what} it: the bottleneck is what it calls, not its own capacity",
        evidence=tuple(evidence),
        contradicts=(
            Contradiction(remedy=Remedy.SCALE_OUT, why=why),
            Contradiction(remedy=Remedy.RESTART,
                          why=f"restart not indicated: restarted pods call {who} again "
                              "and are refused the same way"),
        ))]
