"""The one place secrets are removed: text, lines, streams, structured values, log records."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any, Literal, TextIO

from assistant.redaction import hsengine, longline
from assistant.redaction.blockscalar import ANCHORS as SCALAR_ANCHORS
from assistant.redaction.blockscalar import TRIGGERS as SCALAR_TRIGGERS
from assistant.redaction.blockscalar import BlockScalarTracker
from assistant.redaction.clause import ClauseValueDetector
from assistant.redaction.clean import MAX_OUTPUT_ENTRIES, MAX_OUTPUT_TEXT, CleanTexts
from assistant.redaction.commands import CommandLineDetector
from assistant.redaction.config import RedactionConfig
from assistant.redaction.detector import Detector, Finding, RegexDetector
from assistant.redaction.envpairs import ANCHORS as PAIR_ANCHORS
from assistant.redaction.envpairs import TRIGGERS as PAIR_TRIGGERS
from assistant.redaction.envpairs import VALUE_FIRST_TRIGGERS, NameValueTracker, ValueFirstTracker
from assistant.redaction.generic import HighEntropyDetector
from assistant.redaction.headers import AuthorizationDetector, CookieDetector
from assistant.redaction.hsengine import HyperscanTriggers
from assistant.redaction.keyvalue import KeyValueDetector
from assistant.redaction.known import known_format_detectors
from assistant.redaction.manifest import KIND as MANIFEST_KIND
from assistant.redaction.manifest import PATTERNS as MANIFEST_PATTERNS
from assistant.redaction.manifest import TRIGGERS as MANIFEST_TRIGGERS
from assistant.redaction.manifest import ManifestTracker
from assistant.redaction.markup import MarkupDetector
from assistant.redaction.mdtable import TRIGGERS as TABLE_TRIGGERS
from assistant.redaction.mdtable import TableTracker
from assistant.redaction.pem import PemTracker, open_block_start
from assistant.redaction.placeholder import Placeholders, placeholder_spans
from assistant.redaction.prefilter import Triggers
from assistant.redaction.prose import AnaphoraDetector, PwStatementDetector
from assistant.redaction.spaces import plain_spaces
from assistant.redaction.spans import AllowList, RankedFinding, apply_findings
from assistant.redaction.structured import redact_structured
from assistant.redaction.urlencoded import ANCHORS as ENCODED_ANCHORS
from assistant.redaction.urlencoded import EncodedFieldDetector

Engine = Literal["hyperscan", "python"]
_NO_OWNERS: set[int] = set()
_MANIFEST_RANK = -1  # inside a Secret's data block, the value is a k8s secret first of all
_READ_CHUNK = 1 << 20
_SHORT = 4096
_MID_LINE = "\x00"  # stands for the text before a long-line window that starts mid-line


def _split_ending(line: str) -> tuple[str, str]:
    if line.endswith("\r\n"):
        return line[:-2], "\r\n"
    if line.endswith("\n"):
        return line[:-1], "\n"
    return line, ""


def _split_lines(text: str) -> Iterator[str]:
    start = 0
    while start < len(text):
        newline = text.find("\n", start)
        end = len(text) if newline == -1 else newline + 1
        yield text[start:end]
        start = end


class Redactor:
    """Replaces secrets with ``[REDACTED:<kind>#<4 hex>]`` placeholders.

    Pure and thread-safe: no I/O of its own (streams are passed in) and no state between
    calls but memos of short texts found clean and of the longer texts it returned (neither
    holds a secret; shared by the redactors of one configuration). ``key`` keys the
    placeholder hash: the same secret gets the same suffix under the same key, so pass one
    key per incident to correlate; by default every Redactor draws a random key.

    ``engine`` picks the prefilter: "hyperscan" (needs the ``hyperscan`` package, see
    :mod:`assistant.redaction.hsengine`), "python", or by default hyperscan when it is
    installed. Both give the same output; ``self.engine`` says which one runs.

    ``on_redaction`` is called with the kind of every placeholder made (for metrics).
    """

    def __init__(
        self,
        config: RedactionConfig | None = None,
        key: bytes | None = None,
        engine: Engine | None = None,
        on_redaction: Callable[[str], None] | None = None,
    ) -> None:
        config = config or RedactionConfig()
        self._clean, self._outputs = _memos(config.model_dump_json())
        self._placeholders = Placeholders(secrets.token_bytes(32) if key is None else key,
                                          on_redaction)
        self._allow = AllowList(
            (a.literal for a in config.allow if a.literal is not None),
            (a.regex for a in config.allow if a.regex is not None),
        )
        custom = tuple(RegexDetector(p.name, p.regex) for p in config.patterns)
        self._detectors: tuple[Detector, ...] = (
            *custom,
            *known_format_detectors(),
            AuthorizationDetector(),
            CookieDetector(),
            KeyValueDetector(),
            EncodedFieldDetector(),
            MarkupDetector(),
            CommandLineDetector(),
            PwStatementDetector(),
            AnaphoraDetector(),
            ClauseValueDetector(),
            HighEntropyDetector(),
        )
        # Owners of triggers: detectors by rank, then the trackers of values named on other
        # lines: Kubernetes manifests, name/value entries, block scalars, value-first entries,
        # markdown tables.
        self._manifest_owner = len(self._detectors)
        self._pairs_owner = self._manifest_owner + 1
        self._scalars_owner = self._manifest_owner + 2
        self._value_first_owner = self._manifest_owner + 3
        self._table_owner = self._manifest_owner + 4
        sets = [(d.triggers, d.exact_triggers) for d in self._detectors] + [
            (MANIFEST_TRIGGERS, ()), (PAIR_TRIGGERS, ()), (SCALAR_TRIGGERS, ()),
            (VALUE_FIRST_TRIGGERS, ()), (TABLE_TRIGGERS, ()),
        ]
        pure = Triggers(
            sets,
            {rank: d.regex for rank, d in enumerate(custom)},
            PAIR_ANCHORS + ENCODED_ANCHORS + SCALAR_ANCHORS,
        )
        self.engine: Engine = engine or ("hyperscan" if hsengine.AVAILABLE else "python")
        self._triggers: Triggers | HyperscanTriggers = pure
        if self.engine == "hyperscan":
            patterns: dict[int, Sequence[str]] = {
                rank: d.patterns for rank, d in enumerate(self._detectors) if d.patterns}
            patterns[self._manifest_owner] = MANIFEST_PATTERNS
            self._triggers = HyperscanTriggers(sets, patterns, pure)

    # -- text ---------------------------------------------------------------------------

    def redact(self, text: str) -> str:
        """``text`` with every secret replaced; redacting redacted text changes nothing."""
        if not text or text in self._clean or text in self._outputs:
            return text
        if len(text) <= _SHORT and "\n" not in text:
            # Chat messages, names and values: one line, checked without a block scan. A
            # line no detector or tracker is triggered by comes out as it went in, so most
            # (timestamps, names, numbers) need no session.
            owners = self._triggers.for_line(plain_spaces(text))
            if not owners:
                self._clean.remember(text)
                return text
            session = _Session(self)
            redacted = "".join(session.feed(text, owners) + session.finish())
            if redacted == text:
                self._clean.remember(text)
            return redacted
        session = _Session(self)
        redacted = session.block(text) + "".join(session.finish())
        # What came out is what redacting it again would give (no secret is kept).
        self._outputs.remember(redacted)
        return redacted

    def redact_lines(self, lines: Iterable[str]) -> Iterator[str]:
        """Redact line by line in constant memory; lines may keep or omit their endings.

        A multi-line private key comes out as its BEGIN line, one placeholder line and its
        END line, so fewer lines may come out than went in.
        """
        session = _Session(self)
        for item in lines:
            for line in _split_lines(item):
                yield from session.feed(line)
        yield from session.finish()

    def redact_stream(self, src: TextIO, dst: TextIO) -> None:
        """Copy ``src`` to ``dst`` redacted, a block at a time (memory does not grow with size).

        A line longer than ``longline.MAX_LINE`` goes in overlapping windows (see
        :mod:`assistant.redaction.longline`), so a secret across a window's end is still found.
        """
        session = _Session(self)
        carry = ""  # read, not yet written
        written = ""  # the end of what is written of a line too long to hold, else ""
        while chunk := src.read(_READ_CHUNK):
            buffer = carry + chunk
            if written and (newline := buffer.find("\n") + 1):
                dst.write(session.long_line(written, buffer[:newline], last=True)[0])
                written, buffer = "", buffer[newline:]
            cut = buffer.rfind("\n") + 1
            if cut:
                dst.write(session.block(buffer[:cut]))
                carry = buffer[cut:]
            elif len(buffer) >= longline.MAX_LINE:
                out, written, carry = session.long_line(written, buffer)
                dst.write(out)
            else:
                carry = buffer
        if written:
            dst.write(session.long_line(written, carry, last=True)[0])
        elif carry:
            dst.write(session.block(carry))
        dst.write("".join(session.finish()))

    # -- structured values ----------------------------------------------------------------

    def redact_value(self, value: Any) -> Any:
        """Redact every string inside ``value`` (dicts, lists, tuples, sets, pydantic models).

        Values under sensitive names (password, token, secret, api_key, Authorization, ...)
        are replaced whole even when they look innocent, and so is everything under
        ``data``/``stringData`` of a ``kind: Secret`` mapping. Numbers, booleans and None
        elsewhere are kept; other objects come back as redacted strings.
        """
        return redact_structured(value, self.redact, self._secret_value)

    def _secret_value(self, kind: str, text: str) -> str:
        if self._allow.allows(text.strip()):
            return text
        return self._placeholders.render(kind, text)

    # -- used by the session -------------------------------------------------------------

    def _findings(self, line: str, owners: set[int]) -> list[RankedFinding]:
        """Findings of the detectors among ``owners``, each only on lines with its triggers."""
        found: list[RankedFinding] = []
        for rank in sorted(owners):
            if rank < len(self._detectors):
                detector = self._detectors[rank]
                found.extend(
                    RankedFinding(f.start, f.end, rank, f.kind) for f in detector.find(line)
                )
        return found

    def _apply(self, line: str, findings: list[RankedFinding]) -> str:
        if not findings:
            return line
        return apply_findings(line, findings, self._allow, self._placeholders.render)


@lru_cache(maxsize=8)
def _memos(config: str) -> tuple[CleanTexts, CleanTexts]:
    """The memos shared by every redactor of one configuration in the process: whether a
    text comes out unchanged depends on the detectors and the allow list only, not on the
    key, the engine or the metrics hook, and a redactor built per world or command starts
    with what the others have already found clean."""
    return CleanTexts(), CleanTexts(MAX_OUTPUT_ENTRIES, MAX_OUTPUT_TEXT)


class _Session:
    """State for one text or stream: open key blocks, Kubernetes data blocks, name/value
    entries, block scalars, markdown tables, and the lines held back while a value waits
    for its name."""

    def __init__(self, redactor: Redactor) -> None:
        self._r = redactor
        self._triggers = redactor._triggers
        self._pem = PemTracker(redactor._placeholders)
        self._manifest = ManifestTracker()
        self._scalars = BlockScalarTracker()
        self._pairs = NameValueTracker(self._scalars)
        self._value_first = ValueFirstTracker()
        self._table = TableTracker()
        self._body_ending = ""
        # While a value waits for its name: its line (content, findings, ending) and the
        # output of the lines after it.
        self._head: tuple[str, list[RankedFinding], str] = ("", [], "")
        self._held: list[str] = []
        # The ``written`` context of the next long-line window begins where its line does.
        self._context_at_line_start = True

    @property
    def _idle(self) -> bool:
        return not (
            self._pem.active or self._manifest.active or self._scalars.active
            or self._pairs.active or self._value_first.active or self._table.active
        )

    def block(self, text: str) -> str:
        """Redact complete lines; lines the prefilter rules out are copied in one slice."""
        out: list[str] = []
        view = plain_spaces(text)
        hits = self._triggers.for_block(view)
        plain = view is text  # no line of it needs its spaces made plain
        starts = sorted(hits)
        i = 0
        pos = 0
        size = len(text)
        while pos < size:
            if self._idle:
                while i < len(starts) and starts[i] < pos:
                    i += 1
                upcoming = starts[i] if i < len(starts) else size
                if upcoming > pos:
                    out.append(text[pos:upcoming])
                    pos = upcoming
                    continue
            newline = text.find("\n", pos)
            end = size if newline == -1 else newline + 1
            out.extend(self.feed(text[pos:end], hits.get(pos, _NO_OWNERS), plain))
            pos = end
        return "".join(out)

    def feed(self, line: str, owners: set[int] | None = None, plain: bool = False) -> list[str]:
        """One line (with or without its ending) in, zero or more output lines out.

        ``owners``: the trigger owners of the line when already known from a block scan;
        ``plain``: the line is known to hold no whitespace but blanks and tabs.
        """
        if not self._value_first.active:
            return self._feed(line, owners, plain)
        found = self._value_first.feed(plain_spaces(_split_ending(line)[0]))
        if self._value_first.active:
            self._held.extend(self._feed(line, owners, plain))
            return []
        return self._release(found) + self._feed(line, owners, plain)

    def _release(self, found: Finding | None) -> list[str]:
        """The held lines, the value on the first one replaced when ``found``."""
        content, findings, ending = self._head
        if found is not None:
            findings.append(RankedFinding(found.start, found.end, self._r._pairs_owner, found.kind))
        out = [self._r._apply(content, findings) + ending, *self._held]
        self._head, self._held = ("", [], ""), []
        return out

    def _feed(self, line: str, owners: set[int] | None, plain: bool = False) -> list[str]:
        content, ending = _split_ending(line)
        out: list[str] = []
        if self._pem.active:
            placeholder, rest = self._pem.feed(content)
            if rest is None:
                self._body_ending = ending
                return out
            if placeholder is not None:
                out.append(placeholder + self._body_ending)
            if rest != content:
                content, owners = rest, None
        # What the detectors read; findings go on content.
        view = content if plain else plain_spaces(content)
        if owners is None:
            owners = self._triggers.for_line(view)
        findings = self._line_findings(view, owners)
        if findings is None:
            out.append(content + ending)
            return out
        begin = open_block_start(view) if "-----BEGIN" in view else None
        if begin is not None:
            head = self._pem.begin(content, begin)
            self._body_ending = ending
            findings = [
                RankedFinding(f.start, min(f.end, len(head)), f.rank, f.kind)
                for f in findings
                if f.start < len(head)
            ]
            content = head
        elif (
            self._r._value_first_owner in owners and not self._value_first.active
            and not self._pem.active and self._value_first.open(view)
        ):
            self._head = (content, findings, ending)
            return out
        out.append(self._r._apply(content, findings) + ending)
        return out

    def _line_findings(self, content: str, owners: set[int]) -> list[RankedFinding] | None:
        """Findings on one line (the trackers move on with it); None when nothing looks."""
        manifest = self._r._manifest_owner in owners or self._manifest.active
        pairs = self._r._pairs_owner in owners or self._pairs.active
        scalars = self._r._scalars_owner in owners or self._scalars.active
        table = self._r._table_owner in owners or self._table.active
        if not owners and not manifest and not pairs and not scalars and not table:
            return None
        findings = self._r._findings(content, owners)
        if table:
            findings.extend(
                RankedFinding(f.start, f.end, self._r._table_owner, f.kind)
                for f in self._table.findings(content)
            )
        if manifest:
            findings.extend(
                RankedFinding(f.start, f.end, _MANIFEST_RANK, MANIFEST_KIND)
                for f in self._manifest.findings(content)
            )
        if pairs or scalars:
            findings.extend(self._named_values(content, pairs, scalars))
        return findings

    def long_line(self, written: str, text: str, last: bool = False) -> tuple[str, str, str]:
        """One window over a line too long to hold: ``written``, the end of what is already
        written of the line (context only), then ``text``, not yet written.

        Returns the output, the new ``written`` and the rest of ``text``, which comes back
        at the start of the next window. ``last``: ``text`` ends the line (with its ending,
        if any) and is written whole. A value waiting for its name is decided here, and no
        new one waits: held lines would no longer be bounded in size.
        """
        out: list[str] = []
        if self._value_first.active:
            found = self._value_first.feed(plain_spaces(written + text))
            self._value_first.close()
            out = self._release(found)
        content, ending = _split_ending(text) if last else (text, "")
        if self._pem.active:
            placeholder, rest = self._pem.feed(content)
            if rest is None:  # a key body: absorbed, nothing to write
                self._body_ending = ending
                self._context_at_line_start = False
                return "".join(out), content[-longline.OVERLAP:], ""
            if placeholder is not None:
                out.append(placeholder + self._body_ending)
            if rest != content:  # the key ended: what follows is new, the context is gone
                written, content = "", rest
        window = written + content
        low = len(written)
        at_line_start = not written or self._context_at_line_start
        view = plain_spaces(window)
        findings = self._window_findings(view, at_line_start)
        begin = open_block_start(view) if "-----BEGIN" in view else None
        if begin is not None and begin.start() >= low:
            cut = len(self._pem.begin(window, begin))  # the rest is the key's, absorbed
            self._body_ending = ending
            out.append(self._apply_between(window, findings, low, cut) + ending)
            self._context_at_line_start = False
            return "".join(out), window[-longline.OVERLAP:], ""
        if last:
            cut = len(window)
        else:
            spans = [(f.start, f.end) for f in findings] + placeholder_spans(window)
            cut = longline.safe_cut(spans, low, len(window) - longline.OVERLAP)
        out.append(self._apply_between(window, findings, low, cut) + (ending if last else ""))
        context = max(0, cut - longline.OVERLAP)
        self._context_at_line_start = at_line_start and context == 0
        return "".join(out), window[context:cut], window[cut:]

    def _window_findings(self, view: str, at_line_start: bool) -> list[RankedFinding]:
        """Findings on a long-line window. A window after the first starts mid-line, where
        the line's start is not: detectors that read the start of a line (a YAML key at
        line start takes the rest of the line as its value, ``^`` anchors, indentation)
        must not see one there, so they read the window behind a character that is not
        blank, ``-``, ``#`` or a quote, as the text before it on the whole line would be."""
        if at_line_start:
            return self._line_findings(view, self._triggers.for_line(view)) or []
        shown = _MID_LINE + view
        found = self._line_findings(shown, self._triggers.for_line(shown)) or []
        return [
            RankedFinding(max(0, f.start - 1), max(0, f.end - 1), f.rank, f.kind)
            for f in found
            if f.end > 1
        ]

    def _apply_between(
        self, line: str, findings: list[RankedFinding], start: int, end: int
    ) -> str:
        """``line[start:end]`` redacted; findings reaching over either end are cut there."""
        inside = [
            RankedFinding(max(f.start, start) - start, min(f.end, end) - start, f.rank, f.kind)
            for f in findings
            if f.start < end and f.end > start
        ]
        return self._r._apply(line[start:end], inside)

    def _named_values(self, content: str, pairs: bool, scalars: bool) -> list[RankedFinding]:
        """Values named on an earlier line: block scalar lines, then name/value entries."""
        found, in_scalar = self._scalars.feed(content) if scalars else ([], False)
        if pairs and not in_scalar:
            found.extend(self._pairs.findings(content))
        rank = self._r._pairs_owner
        return [RankedFinding(f.start, f.end, rank, f.kind) for f in found]

    def finish(self) -> list[str]:
        """The lines still held back, and the end of a key block the input ended inside of."""
        out: list[str] = []
        if self._value_first.active:
            self._value_first.close()
            out = self._release(None)
        placeholder = self._pem.close()
        if placeholder is not None:
            out.append(placeholder + self._body_ending)
        return out
