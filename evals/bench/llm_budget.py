"""Cost of the LLM planner's context budget: token estimation and prompt fitting.

    .venv/bin/python -m evals.bench.llm_budget [--runs N]

Estimation: the shipped runbooks plus a synthetic 3,000-line log, timed against the
baseline every character heuristic uses (UTF-8 bytes / 4) in the same process.
Fitting: the checkout crash-loop question with the crash-loop runbook, 8 thread messages
and three 200 KB tool outputs, fitted to several budgets with the real redactor; the
baseline is the same prompt rendered and measured once with no budget pressure.
Tool offer: the schema tokens of the whole catalog against the tools offered for that
question, and the time choosing them takes against building every schema.
"""

from __future__ import annotations

import argparse
import math
import statistics
from pathlib import Path

from assistant.config import REPO_ROOT
from assistant.models import RetrievalHit, ToolCall
from assistant.planning.entities import link_entities
from assistant.planning.llm.budget import PromptMessage, fit_prompt
from assistant.planning.llm.context import demote, opening_messages, tool_result_block
from assistant.planning.llm.schemas import tool_definitions
from assistant.planning.llm.tokens import TokenGauge, estimate_request_tokens, estimate_tokens
from assistant.planning.llm.toolset import choose_tools
from assistant.planning.offline import Observation, PlanRequest
from assistant.redaction import Redactor
from assistant.retrieval.markdown import parse_runbook
from evals.bench import timed
from tools.catalog import CATALOG
from tools.sandbox import SandboxBackend

LOG = "\n".join(f"2025-03-11T14:{i // 60 % 60:02d}:{i % 60:02d}Z level=info "
                f"msg=\"request {i}\" path=/api/v1/orders status=200 duration={i % 97}ms"
                for i in range(3000))
BUDGETS = (5_000, 8_000, 16_000)


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def request() -> PlanRequest:
    backend = SandboxBackend.load("checkout-bad-deploy", REPO_ROOT / "evals" / "scenarios")
    path = REPO_ROOT / "runbooks" / "k8s-crashloop-after-deploy.md"
    book = parse_runbook(path, path.read_text())
    hit = RetrievalHit(runbook_id=book.id, title=book.title, score=1.0,
                       section=book.sections[2], path=book.path)
    question = "why does checkout keep restarting since the deploy?"
    inventory = backend.inventory()
    return PlanRequest(
        question=question, linking=link_entities(question, None, inventory), hits=(hit,),
        runbooks={book.id: book}, inventory=inventory, allowed_tools=frozenset(CATALOG),
        history=tuple(f"message {i}: " + "we rolled out 2.15 this morning " * 10
                      for i in range(8)),
    )


def prompt(base: PlanRequest) -> list[PromptMessage]:
    messages = opening_messages(base)
    results = []
    for number in (1, 2, 3):
        call = ToolCall(tool="get_pod_logs", args={"namespace": "shop", "pod": f"p{number}"})
        for older, block in enumerate(results, 1):
            demote(block, older)
        results.append(tool_result_block(number, Observation(call=call, ok=True, text=LOG),
                                         4_000))
        wire = {"id": f"c{number}", "type": "function",
                "function": {"name": call.tool, "arguments": "{}"}}
        messages.append(PromptMessage("assistant", tool_calls=[wire]))
        messages.append(PromptMessage("tool", [results[-1]], tool_call_id=f"c{number}"))
    return messages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs

    corpus = "\n".join(p.read_text() for p in sorted(Path(REPO_ROOT / "runbooks").glob("*.md")))
    corpus += "\n" + LOG
    megabytes = len(corpus.encode()) / 1e6
    ours = timed(lambda: estimate_tokens(corpus), runs)
    base = timed(lambda: math.ceil(len(corpus.encode()) / 4), runs)
    print(f"estimate_tokens on {megabytes:.2f} MB: median {statistics.median(ours) * 1e3:.1f} ms"
          f" ({megabytes / statistics.median(ours):.1f} MB/s), p95 {p95(ours) * 1e3:.1f} ms;"
          f" baseline bytes/4 median {statistics.median(base) * 1e6:.1f} us;"
          f" ratio {statistics.median(ours) / statistics.median(base):.0f}x;"
          f" estimate {estimate_tokens(corpus)} vs bytes/4 {math.ceil(len(corpus.encode()) / 4)}")

    base_request = request()
    tools = tool_definitions(CATALOG)
    offered = tool_definitions(choose_tools(base_request).names)
    whole, chosen = estimate_request_tokens([], tools), estimate_request_tokens([], offered)
    every = timed(lambda: tool_definitions(CATALOG), runs)
    choosing = timed(lambda: tool_definitions(choose_tools(base_request).names), runs)
    print(f"tool schemas: whole catalog ({len(tools)} tools) {whole} tokens; offered for the "
          f"question ({len(offered)} tools) {chosen} tokens, {chosen / whole:.0%}; choosing "
          f"and building them median {statistics.median(choosing) * 1e3:.2f} ms, p95 "
          f"{p95(choosing) * 1e3:.2f} ms; baseline building all median "
          f"{statistics.median(every) * 1e3:.2f} ms; ratio "
          f"{statistics.median(choosing) / statistics.median(every):.2f}x")
    redact = Redactor().redact
    # Fitted with the offered tools, as the planner sends them: with the whole catalog the
    # smallest prompt no longer fits the smallest budget.
    unpressured = timed(lambda: fit_prompt(prompt(base_request), offered, 10**9, TokenGauge(),
                                           redact), runs)
    print(f"fit_prompt, no budget pressure (baseline): median "
          f"{statistics.median(unpressured) * 1e3:.1f} ms, p95 {p95(unpressured) * 1e3:.1f} ms")
    for budget in BUDGETS:
        samples = timed(lambda b=budget: fit_prompt(prompt(base_request), offered, b,
                                                    TokenGauge(), redact), runs)
        fitted = fit_prompt(prompt(base_request), offered, budget, TokenGauge(), redact)
        print(f"fit_prompt to {budget:>6} tokens: median {statistics.median(samples) * 1e3:.1f}"
              f" ms, p95 {p95(samples) * 1e3:.1f} ms, ratio "
              f"{statistics.median(samples) / statistics.median(unpressured):.2f}x baseline;"
              f" fitted to {fitted.tokens} tokens")


if __name__ == "__main__":
    main()
