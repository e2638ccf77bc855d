"""The LLM planner on any OpenAI-compatible endpoint.

``build_llm_planner(settings, redact)`` is what the engine wires in when
the configuration's ``llm`` section names an endpoint; otherwise it keeps the offline planner.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from assistant.config.llm import LLMSettings
from assistant.planning.llm.client import LLMUnavailable, OpenAIChat
from assistant.planning.llm.planner import LLMPlanner
from assistant.planning.offline import Planner


def build_llm_planner(
    settings: LLMSettings,
    redact: Callable[[str], str],
    *,
    fallback: Planner | None = None,
    sleep: Callable[[float], None] = time.sleep,
    stopping: threading.Event | None = None,
) -> LLMPlanner:
    """An LLMPlanner talking to the endpoint in ``settings`` through the openai SDK;
    ``stopping`` (the process's shutdown) ends its loop before the next model call."""
    return LLMPlanner(OpenAIChat(settings, sleep=sleep), settings, redact, fallback=fallback,
                      stopping=stopping)


__all__ = ["LLMPlanner", "LLMSettings", "LLMUnavailable", "OpenAIChat", "build_llm_planner"]
