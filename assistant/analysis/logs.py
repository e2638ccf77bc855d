"""A dependency that refuses or throttles the workload, read from its recent log lines.
Pure.

A backlog with a provider answering "421 slow down", "429 Too Many Requests" or
"connection refused" is not short of capacity: every extra replica sends more of the calls
that are being refused. Log text is data: it only ever yields counts, pod names, a peer's
host name (a host pattern, nothing else) and the lines themselves, quoted as evidence. It
never sets a target, an action or a number; the subject is the workload whose logs these
are, as the caller said.

A TLS handshake refused over a certificate (expired, not yet valid, untrusted, for another
name) is a fault of its own: no number of replicas, restarts or revisions changes the
certificate's dates or who signed it. The finding names the pods and quotes the lines, so
the responder sees which certificate to renew or replace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from assistant.analysis.evidence import WorkloadEvidence
from assistant.analysis.findings import Contradiction, Finding, Remedy, Subject

# Answers that mean "you are sending too much": a rate limit, a quota, SMTP's temporary
# refusals (421 service not available / too many messages, 450/451 try again later).
_THROTTLED = re.compile(
    r"\brate[ _-]?limited\b|\brate[ _-]?limit (?:exceeded|reached|hit)\b|\bthrottled\b"
    r"|\btoo many requests\b|\bquota (?:exceeded|exhausted)\b"
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
# A quoted value under a key that does not carry the program's own words (text=, note=,
# "comment": ...) is someone else's text passed through: a customer quoting an error page
# is no dependency refusing the workload. Only these keys' quoted values are read.
_OWN_WORDS = frozenset({"msg", "message", "err", "error", "reason", "status", "response",
                        "detail", "cause", "exception", "event"})
_QUOTED = re.compile(r"(?P<key>[A-Za-z_][\w.-]*)\"?\s*[=:]\s*(?P<q>[\"'])(?P<value>.*?)(?P=q)")
# A TLS handshake failed over a certificate: Go's x509 errors, OpenSSL's and Java's wording.
_CERTIFICATE = re.compile(
    r"\bx509:|\bcertificate (?:has )?expired\b|\bcertificate is not (?:yet )?valid\b"
    r"|\bcertificate verify failed\b|\bcertificate signed by unknown authority\b"
    r"|\bcertificate is valid for\b|\bcert(?:ificate)? (?:was )?revoked\b"
    r"|\btls: (?:bad certificate|expired certificate|unknown certificate|certificate required)"
    r"|\bCERT_HAS_EXPIRED\b|\bunable to verify the first certificate\b"
    r"|\bself[- ]signed certificate\b|\bPKIX path (?:building|validation) failed\b",
    re.IGNORECASE)
_EXPIRED = re.compile(r"\bexpired\b|\bnot yet valid\b|\bCERT_HAS_EXPIRED\b", re.IGNORECASE)
# A line's own time: the first ISO-8601 timestamp on it.
_STAMP = re.compile(r"\b(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?)"
                    r"(Z|[+-]\d{2}:?\d{2})?")
# Only what happens now says anything about a scale-out now: a dated line counts within
# this window before the question, an undated one only among the last lines of its pod.
RECENT = timedelta(hours=1)
LAST_UNDATED = 20
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


def _shared_peer(seen: list[_Refusal]) -> str | None:
    """The one host the refusing lines name; none when they name none or several. Hosts
    on other lines (where it connected at start) say nothing about who refuses it."""
    peers = {r.peer for r in seen if r.peer}
    return peers.pop() if len(peers) == 1 else None


def _own_words(line: str) -> str:
    """The line with passed-through quoted text blanked out."""
    return _QUOTED.sub(lambda m: m.group(0) if m.group("key").lower() in _OWN_WORDS
                       else f"{m.group('key')}=\"\"", line)


def _stamp(line: str) -> datetime | None:
    found = _STAMP.search(line)
    if found is None:
        return None
    day, clock, zone = found.groups()
    try:
        at = datetime.fromisoformat(f"{day}T{clock}{'+00:00' if zone in (None, 'Z') else zone}")
    except ValueError:
        return None
    return at.astimezone(UTC)


def _recent(lines: list[str], now: datetime) -> list[str]:
    """The lines that happened within ``RECENT`` of ``now``: by their own timestamp when
    they carry one, else by being among the last lines logged."""
    tail = len(lines) - LAST_UNDATED
    out = []
    for i, line in enumerate(lines):
        at = _stamp(line)
        if (at is not None and now - RECENT <= at <= now + RECENT) or (at is None and i >= tail):
            out.append(line)
    return out


def _refusal(pod: str, line: str) -> _Refusal | None:
    own = _own_words(line)
    throttled = _THROTTLED.search(own) is not None
    peer = _peer(own)
    if not (throttled or _REFUSED.search(own)
            or (peer is not None and _TIMEOUT.search(own))):
        return None
    return _Refusal(pod=pod, line=line, throttled=throttled, peer=peer)


def _clip(line: str) -> str:
    line = line.strip()
    return line if len(line) <= LINE_CHARS else line[:LINE_CHARS - 1] + "…"


def throttled_dependency(w: WorkloadEvidence, now: datetime) -> list[Finding]:
    """The workload's own logs show something it calls refusing or throttling it."""
    seen = [r for excerpt in w.logs for line in _recent(excerpt.lines, now)
            if (r := _refusal(excerpt.pod, line)) is not None]
    if not seen:
        return []
    throttled = any(r.throttled for r in seen)
    pods = list(dict.fromkeys(r.pod for r in seen))
    read = len([e for e in w.logs if e.lines])
    peer = _shared_peer(seen)
    who = peer or "a dependency it calls"
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


def certificate_failure(w: WorkloadEvidence, now: datetime) -> list[Finding]:
    """The workload's own recent log lines show TLS handshakes failing over a certificate."""
    seen = [(excerpt.pod, line) for excerpt in w.logs for line in _recent(excerpt.lines, now)
            if _CERTIFICATE.search(_own_words(line))]
    if not seen:
        return []
    pods = list(dict.fromkeys(pod for pod, _ in seen))
    expired = any(_EXPIRED.search(_own_words(line)) for _, line in seen)
    what = "an expired certificate" if expired else "a certificate it cannot verify"
    named = ", ".join(pods[:PODS_NAMED]) + (f" and {len(pods) - PODS_NAMED} more"
                                             if len(pods) > PODS_NAMED else "")
    read = len([e for e in w.logs if e.lines])
    first_of: dict[str, str] = {}  # each distinct line, from the first pod that logged it
    for pod, line in seen:
        first_of.setdefault(_clip(line), pod)
    # The newest lines say most about now: quote the last distinct ones.
    quoted = list(first_of.items())[-LINES_QUOTED:]
    return [Finding(
        kind="certificate-failure", subject=Subject(namespace=w.namespace, workload=w.name),
        summary=f"TLS handshakes fail on {what}: the certificate must be renewed or "
                "replaced; its pods' count, restarts or revision do not change it",
        evidence=(f"{len(seen)} log line(s) in {len(pods)} of {read} pods read ({named}) "
                  f"show {what}",
                  *(f"{pod}: {line}" for line, pod in quoted)))]
