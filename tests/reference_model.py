"""A deterministic reference model: it answers a chat request from what the request holds.

It reads the request as any model would see it - the linked entities in the opening
message, opsbot's findings, the typed runbook steps and the tool outputs framed as data -
and follows the first runbook whose steps hold a remedy a finding supports (else the first
runbook that has steps): every read-only step it can bind, in one turn (several calls in
one message); then the mutating steps that no finding rules out, but only when a finding
supports them or some tool output shows trouble, with placeholders such as
``{healthy_revision}`` or ``{pod}`` read from the evidence tables; then an answer that
cites the runbook and the findings and quotes the alarming lines of each output. It knows no
case, suite or expected answer, so its recorded cassettes measure the engine around a model
that behaves, and a changed prompt changes what it does.

``python tests/llm_server.py --reference`` serves it for re-recording the shipped cassettes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from llm_server import Call, Reply

REFERENCE_MODEL = "opsbot-reference"
_LINKED = re.compile(r"The question was linked to: ([^\n]*)\.")
_STEPS = re.compile(r'<data kind="runbook steps" source="runbook:([^"#]+)">\n(.*?)\n</data>',
                    re.DOTALL)
_STEP = re.compile(r"^\d+\. (\w+)\((.*)\)(?: — (.*))?$")
_OUTPUT = re.compile(r'<data kind="tool output" source="tool:(\d+)">\n(.*?)\n</data>',
                     re.DOTALL)
_FINDING = re.compile(r'<data kind="finding" source="finding:(\d+)">\n(.*?)\n</data>',
                      re.DOTALL)
_REMEDY_TOOLS = re.compile(r"^(supports|rules out): .*?\(([\w, ]+)\)", re.MULTILINE)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_MULTIPLE = re.compile(r"\{(\w+)\*(\d+)\}")  # {replicas*2}: a known count times a factor
_ALARM = re.compile(r"error|fatal|panic|exception|crash|backoff|oomkilled|unhealthy|"
                    r"refused|timeout|exhausted|\bNO\b|5\d\d\b", re.IGNORECASE)
_HEALTHY_ROWS = ("Running", "Completed")


@dataclass(frozen=True)
class Findings:
    """What the findings in the prompt say: their first lines, and tools by verdict."""

    heads: tuple[tuple[int, str], ...]
    supported: frozenset[str]
    ruled_out: frozenset[str]


@dataclass(frozen=True)
class Step:
    tool: str
    args: dict[str, Any]
    why: str | None


def reference_reply(body: dict[str, Any]) -> Reply:
    messages = body.get("messages", [])
    tools = {t["function"]["name"]: t["function"] for t in body.get("tools", [])}
    opening = next((m["content"] for m in messages if m["role"] == "user"), "") or ""
    bindings = _bindings(opening)
    outputs = _outputs(messages)
    made = _calls_made(messages)
    findings = _findings(opening)
    runbooks = [(found.group(1), *_steps(found.group(2))) for found in _STEPS.finditer(opening)]
    if not runbooks:
        return Reply(content=_answer(None, outputs, made, bindings, findings))
    runbook_id, title, steps = next(
        (book for book in runbooks if any(s.tool in findings.supported for s in book[2])),
        runbooks[0])
    evidence = _evidence_bindings(outputs)
    trouble = any(_ALARM.search(text) for _, text in outputs)
    pending_reads, pending_changes = [], []
    for step in steps:
        spec = tools.get(step.tool)
        args = _bind(step.args, {**bindings, **evidence})
        if spec is None or args is None or (step.tool, _key(args)) in made:
            continue
        if "Read-only" in spec["description"]:
            pending_reads.append(Call(step.tool, args))
        elif step.tool not in findings.ruled_out and (
                trouble or step.tool in findings.supported):
            why = f"{step.why or 'the runbook step'} [runbook:{runbook_id}]"
            pending_changes.append(Call(step.tool, {**args, "why": why}))
    if pending_reads:
        return Reply(calls=tuple(pending_reads))
    if pending_changes:
        return Reply(calls=tuple(pending_changes))
    return Reply(content=_answer((runbook_id, title), outputs, made, bindings, findings))


def _findings(opening: str) -> Findings:
    heads, supported, ruled_out = [], set(), set()
    for number, text in _FINDING.findall(opening):
        heads.append((int(number), text.splitlines()[0]))
        for verdict, names in _REMEDY_TOOLS.findall(text):
            tools = {n.strip() for n in names.split(",")}
            (supported if verdict == "supports" else ruled_out).update(tools)
    return Findings(tuple(heads), frozenset(supported), frozenset(ruled_out))


def _bindings(opening: str) -> dict[str, Any]:
    """The linked entities, and the linked deployment's replica count from the inventory."""
    line = _LINKED.search(opening)
    if line is None:
        return {}
    pairs = (part.split("=", 1) for part in line.group(1).split(", ") if "=" in part)
    found: dict[str, Any] = {k.strip(): v.strip() for k, v in pairs}
    if "namespace" in found and "deployment" in found:
        row = re.search(rf"^deployment {re.escape(found['namespace'])}/"
                        rf"{re.escape(found['deployment'])} .*? ready=\d+/(\d+) ",
                        opening, re.MULTILINE)
        if row:
            found["replicas"] = int(row.group(1))
    return found


def _outputs(messages: list[dict[str, Any]]) -> list[tuple[int, str]]:
    found: dict[int, str] = {}
    for message in messages:
        if message["role"] in ("tool", "user"):
            for number, text in _OUTPUT.findall(message.get("content") or ""):
                found[int(number)] = text
    return sorted(found.items())


def _calls_made(messages: list[dict[str, Any]]) -> set[tuple[str, str]]:
    made = set()
    for message in messages:
        for call in message.get("tool_calls") or ():
            args = json.loads(call["function"]["arguments"] or "{}")
            args.pop("why", None)
            made.add((call["function"]["name"], _key(args)))
    return made


def _key(args: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in args.items() if k != "why"}, sort_keys=True)


def _steps(text: str) -> tuple[str, list[Step]]:
    first, *lines = text.splitlines()
    title = first.split(": typed steps", 1)[0]
    steps = []
    for line in lines:
        match = _STEP.match(line.strip())
        if match:
            steps.append(Step(match.group(1), _parse_args(match.group(2)), match.group(3)))
    return title, steps


def _parse_args(text: str) -> dict[str, Any]:
    """``k=v, k2=v2`` where values may hold commas inside braces or quotes (PromQL)."""
    parts, depth, quote, current = [], 0, "", ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += ch
    parts.append(current)
    args = {}
    for part in parts:
        if "=" in part:
            key, value = part.strip().split("=", 1)
            args[key] = _value(value)
    return args


def _value(text: str) -> Any:
    if text in ("True", "False"):
        return text == "True"
    if text.isdigit():
        return int(text)
    return text


def _bind(args: dict[str, Any], known: dict[str, Any]) -> dict[str, Any] | None:
    """Placeholders filled from what is known; None when one cannot be."""
    bound: dict[str, Any] = {}
    for key, value in args.items():
        if not isinstance(value, str):
            bound[key] = value
            continue
        scaled = _MULTIPLE.fullmatch(value)
        if scaled:
            if not isinstance(known.get(scaled.group(1)), int):
                return None
            bound[key] = known[scaled.group(1)] * int(scaled.group(2))
            continue
        whole = _PLACEHOLDER.fullmatch(value)
        if whole:
            if whole.group(1) not in known:
                return None
            bound[key] = known[whole.group(1)]
            continue
        names = _PLACEHOLDER.findall(value)
        if any(n not in known for n in names):
            return None
        bound[key] = _PLACEHOLDER.sub(lambda m: str(known[m.group(1)]), value)
    return bound


def _rows(text: str) -> list[dict[str, str]]:
    """The rows of a kubectl-style table in ``text``, by column header."""
    lines = [line for line in text.splitlines() if line.strip()]
    for index, line in enumerate(lines):
        if line.split()[0] in ("NAME", "REVISION"):
            starts = [m.start() for m in re.finditer(r"\S+", line)]
            names = line.split()
            rows = []
            for row in lines[index + 1:]:
                cells = [row[a:b].strip() for a, b in zip(starts, [*starts[1:], None],
                                                            strict=True)]
                rows.append(dict(zip(names, cells, strict=True)))
            return rows
    return []


def _evidence_bindings(outputs: list[tuple[int, str]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for _, text in outputs:
        rows = _rows(text)
        if rows and "HEALTHY" in rows[0]:
            healthy = [int(r["REVISION"].split()[0]) for r in rows
                       if r.get("HEALTHY") == "yes" and "current" not in r["REVISION"]]
            if healthy:
                found["healthy_revision"] = max(healthy)
        if rows and "STATUS" in rows[0] and "pod" not in found:
            sick = [r["NAME"] for r in rows if r.get("STATUS") not in _HEALTHY_ROWS]
            found["pod"] = (sick or [rows[0]["NAME"]])[0]
    return found


def _answer(runbook: tuple[str, str] | None, outputs: list[tuple[int, str]],
            made: set[tuple[str, str]], bindings: dict[str, Any], findings: Findings) -> str:
    lines = []
    if not bindings:
        lines.append("Which service do you mean? The question names no deployment I could "
                     "link.")
    lines.extend(f"[finding:{number}] {head[:200]}" for number, head in findings.heads)
    if runbook is not None:
        lines.append(f"Following the runbook {runbook[1]} [runbook:{runbook[0]}].")
    for number, text in outputs:
        alarming = [line.strip() for line in text.splitlines() if _ALARM.search(line)][:2]
        lines.extend(f"[tool:{number}] {line[:200]}" for line in alarming)
    changes = sorted(name for name, _ in made if name not in _read_names(outputs))
    if changes:
        lines.append(f"Proposed {', '.join(changes)}: the policy engine and an approver "
                     "decide; nothing has run.")
    return "\n".join(lines) or "Nothing in the evidence points to a problem."


def _read_names(outputs: list[tuple[int, str]]) -> set[str]:
    """Tools whose output came back (read-only calls); the rest were proposals."""
    return {text.split("(", 1)[0] for _, text in outputs}
