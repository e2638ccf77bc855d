"""The opening prompt built from a PlanRequest, and tool results as blocks that can shrink.

Runbooks go in as their retrieved sections (the hit's section first, then the rest of the
runbook as optional extras), never whole files. Findings (what opsbot's analyzers concluded
from the evidence gathered before planning) go in as data too: their summaries and evidence
quote tool output, which anyone can write into a log line. Which blocks give way first
under budget pressure, by tier: thread history (oldest first), extra runbook sections
(lowest-ranked first), older tool outputs, the other hits' sections and steps, the
inventory, the newest tool output, the top hit's section; findings only shrink to their
summary and remedies, never go.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.analysis import Finding
from assistant.models import Inventory, Remedy, RetrievalHit, Runbook, Section
from assistant.planning.entities import LinkedEntities
from assistant.planning.llm.budget import Block, PromptMessage
from assistant.planning.llm.framing import SYSTEM_PROMPT, clip, data_block
from assistant.planning.offline import Observation, PlanRequest
from tools.catalog import CATALOG

HISTORY_TIER, EXTRA_SECTION_TIER, OLD_OUTPUT_TIER = 1, 2, 3
HIT_TIER, INVENTORY_TIER, NEW_OUTPUT_TIER, TOP_HIT_TIER = 4, 5, 6, 7
SECTION_CHARS = 3_000  # one runbook section at full size
SHORTEST_CUT_CHARS = 500  # below this a cut shows too little to be worth its tokens
HISTORY_CHARS = 600
EVIDENCE_LINE_CHARS = 300  # one evidence line of a finding (a log line can be huge)


def runbook_source(runbook_id: str, section: Section | None) -> str:
    return f"runbook:{runbook_id}" + (f"#{section.heading}" if section else "")


def tool_source(number: int) -> str:
    return f"tool:{number}"


def finding_source(number: int) -> str:
    return f"finding:{number}"


def cut_sizes(full: int) -> list[int]:
    """Character limits from ``full`` halving down: small steps waste little budget."""
    sizes = [full]
    while sizes[-1] // 2 >= SHORTEST_CUT_CHARS:
        sizes.append(sizes[-1] // 2)
    return sizes


def opening_messages(request: PlanRequest) -> list[PromptMessage]:
    """System rules, then one user message: inventory, runbooks, history, the question."""
    blocks: list[Block] = [Block.fixed(_orientation(request.inventory,
                                                    request.linking.entities))]
    blocks.append(_inventory_block(request.inventory, request.linking.entities))
    blocks.extend(_finding_blocks(request.findings, request.allowed_tools))
    blocks.extend(_runbook_blocks(request.hits, request.runbooks))
    blocks.extend(_history_blocks(request.history, request.question))
    # The question can carry text nobody in the thread wrote (an alert's annotations), so
    # it is framed like any other data; it says what to find out, never what to run.
    blocks.append(Block.fixed("Question:\n" + data_block("question", "question",
                                                        request.question)))
    return [PromptMessage("system", [Block.fixed(SYSTEM_PROMPT)]),
            PromptMessage("user", blocks)]


def _orientation(inventory: Inventory, entities: LinkedEntities) -> str:
    linked = ", ".join(f"{k}={v}" for k, v in entities.bindings().items())
    return (f"Environment: {inventory.environment}. "
            + (f"The question was linked to: {linked}." if linked
               else "The question names no deployment opsbot could link."))


def _inventory_lines(inventory: Inventory, namespace: str | None) -> list[str]:
    lines = [f"{d.kind.lower()} {d.namespace}/{d.name} service={d.service} "
             f"ready={d.ready_replicas}/{d.replicas} revision={d.revision} "
             f"pods={','.join(d.pods)}"
             for d in inventory.deployments if namespace is None or d.namespace == namespace]
    lines += [f"alert {a.name} {a.state} "
              + " ".join(f"{k}={v}" for k, v in sorted(a.labels.items()))
              for a in inventory.alerts
              if a.state == "firing" and (namespace is None
                                          or a.labels.get("namespace") == namespace)]
    return lines


def _inventory_block(inventory: Inventory, entities: LinkedEntities) -> Block:
    source = f"inventory:{inventory.environment}"
    levels = [data_block("inventory", source, "\n".join(_inventory_lines(inventory, None)))]
    if entities.namespace:
        narrow = _inventory_lines(inventory, entities.namespace)
        levels.append(data_block("inventory", source, "\n".join(narrow)))
    levels.append("")
    return Block(tuple(levels), (INVENTORY_TIER, 0))


def _remedy_text(remedy: Remedy, allowed_tools: frozenset[str]) -> str:
    """The remedy with the tools that apply it, so the model can tell which call it means."""
    tools = sorted(name for name, spec in CATALOG.items()
                   if spec.remedy is remedy and name in allowed_tools)
    return f"{remedy.value} ({', '.join(tools)})" if tools else remedy.value


def _finding_blocks(findings: Sequence[Finding], allowed_tools: frozenset[str]) -> list[Block]:
    blocks = []
    for number, finding in enumerate(findings, 1):
        remedies = []
        if finding.supports:
            remedies.append("supports: " + ", ".join(
                _remedy_text(r, allowed_tools) for r in finding.supports))
        remedies.extend(f"rules out: {_remedy_text(c.remedy, allowed_tools)} — {c.why}"
                        for c in finding.contradicts)
        head = f"{finding.subject.render()}: {finding.summary} [{finding.kind}]"
        evidence = [f"  - {clip(e, EVIDENCE_LINE_CHARS, 'evidence line shortened')}"
                    for e in finding.evidence]
        source = finding_source(number)
        full = data_block("finding", source, "\n".join([head, *evidence, *remedies]))
        brief = data_block("finding", source, "\n".join([head, *remedies]))
        blocks.append(Block(tuple(dict.fromkeys((full, brief))), (TOP_HIT_TIER + 1, number)))
    return blocks


def _section_levels(runbook_id: str, title: str, section: Section,
                    droppable: bool) -> tuple[str, ...]:
    source = runbook_source(runbook_id, section)
    pointer = f"the full section is {source}"

    def render(limit: int) -> str:
        body = f"{title} — {section.heading}\n{clip(section.text, limit, pointer)}"
        return data_block("runbook section", source, body)

    levels = [render(limit) for limit in cut_sizes(SECTION_CHARS)]
    if droppable:
        levels.append("")
    return tuple(dict.fromkeys(levels))


def _steps_text(book: Runbook) -> str:
    lines = []
    for number, step in enumerate(book.steps, 1):
        args = ", ".join(f"{k}={v}" for k, v in step.args.items())
        why = f" — {step.why}" if step.why else ""
        lines.append(f"{number}. {step.tool}({args}){why}")
    return f"{book.title}: typed steps ({{placeholders}} bind to the linked entities)\n" + (
        "\n".join(lines))


def _runbook_blocks(hits: Sequence[RetrievalHit], runbooks: dict[str, Runbook]) -> list[Block]:
    blocks: list[Block] = []
    seen: set[tuple[str, str]] = set()
    count = len(hits)
    for rank, hit in enumerate(hits):
        book = runbooks.get(hit.runbook_id)
        sections = book.sections if book else ()
        main = hit.section or (sections[0] if sections else None)
        if main is not None:
            tier = TOP_HIT_TIER if rank == 0 else HIT_TIER
            blocks.append(Block(_section_levels(hit.runbook_id, hit.title, main, True),
                                (tier, count - rank)))
            seen.add((hit.runbook_id, main.heading))
        if book is not None and book.steps:
            steps = data_block("runbook steps", runbook_source(book.id, None), _steps_text(book))
            blocks.append(Block((steps, ""), (HIT_TIER, count - rank)))
        for order, section in enumerate(sections):
            if (hit.runbook_id, section.heading) in seen or not section.text.strip():
                continue
            seen.add((hit.runbook_id, section.heading))
            # Earlier sections (meaning, background) give way before later ones (mitigation).
            levels = _section_levels(hit.runbook_id, hit.title, section, True)
            blocks.append(Block(levels, (EXTRA_SECTION_TIER, (count - rank) * 100 + order)))
    return blocks


def _history_blocks(history: Sequence[str], question: str) -> list[Block]:
    earlier = list(history)
    if earlier and earlier[-1].strip() == question.strip():
        earlier.pop()  # the engine stores the question before planning
    blocks = []
    for order, text in enumerate(earlier):
        body = clip(text, HISTORY_CHARS, "earlier message shortened")
        blocks.append(Block((data_block("thread message", f"thread:{order + 1}", body), ""),
                            (HISTORY_TIER, order)))
    return blocks


def tool_result_block(number: int, observation: Observation, max_chars: int) -> Block:
    """A tool's (redacted) output framed as data, shrinking to a stub that points at it."""
    source = tool_source(number)
    call = observation.call.render()
    if not observation.ok:
        return Block.fixed(data_block("tool error", source, f"{call} failed: {observation.error}"))
    text = observation.text
    pointer = f"the full output is {source} in opsbot's findings and audit log"

    def render(limit: int) -> str:
        return data_block("tool output", source, f"{call}\n{clip(text, limit, pointer)}")

    stub = data_block("tool output", source,
                      f"{call}\n[output of {len(text.splitlines())} lines ({len(text)} chars) "
                      f"omitted to fit the context budget; {pointer}]")
    levels = tuple(dict.fromkeys([*(render(limit) for limit in cut_sizes(max_chars)), stub]))
    return Block(levels, (NEW_OUTPUT_TIER, number))


def demote(block: Block, number: int) -> None:
    """Once a newer tool result exists, this one gives way before runbook sections do."""
    block.yield_order = (OLD_OUTPUT_TIER, number)
