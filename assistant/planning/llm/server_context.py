"""How many tokens the server will really hold, read from the server where it says so.

The model card's context length is not what a server gives a request: Ollama sizes each
loaded model's window itself (4k by default on small GPUs, whatever the model was trained
for; docs/context-length.mdx), llama.cpp uses its ``-c`` flag, vLLM its
``--max-model-len``. Each exposes the number differently:

- vLLM: ``GET /v1/models`` lists ``max_model_len`` per model (ModelCard in
  vllm/entrypoints/openai/protocol.py).
- llama.cpp: ``GET /props`` has ``default_generation_settings.n_ctx``
  (tools/server/README.md, "GET /props").
- Ollama: ``GET /api/ps`` has ``context_length`` for a loaded model; otherwise
  ``POST /api/show`` gives ``num_ctx`` in ``parameters`` when the Modelfile sets it,
  else the server default of 4096 applies (docs/api.md, "Show model information").
- LM Studio: ``GET /api/v0/models/{model}`` has ``loaded_context_length`` or
  ``max_context_length`` (lmstudio.ai/docs/app/api/endpoints/rest).

The parsers are pure; ``probe_context_window`` does the HTTP through a client it is given.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

OLLAMA_DEFAULT_CONTEXT = 4096
_NUM_CTX = re.compile(r"^\s*num_ctx\s+(\d+)\s*$", re.MULTILINE)


class ServerUnreachable(Exception):
    """The server did not answer the probe at all; ask again next time."""


@dataclass(frozen=True)
class ContextWindow:
    tokens: int
    source: str  # where the number came from, for notes and the README table


def from_vllm_models(body: Any, model: str) -> int | None:
    cards = body.get("data") if isinstance(body, dict) else None
    if not isinstance(cards, list):
        return None
    cards = [c for c in cards if isinstance(c, dict)]
    named = [c for c in cards if c.get("id") == model] or (cards if len(cards) == 1 else [])
    value = named[0].get("max_model_len") if named else None
    return value if isinstance(value, int) and value > 0 else None


def from_llamacpp_props(body: Any) -> int | None:
    settings = body.get("default_generation_settings") if isinstance(body, dict) else None
    value = settings.get("n_ctx") if isinstance(settings, dict) else None
    return value if isinstance(value, int) and value > 0 else None


def from_ollama_ps(body: Any, model: str) -> int | None:
    loaded = body.get("models") if isinstance(body, dict) else None
    for entry in loaded if isinstance(loaded, list) else ():
        if isinstance(entry, dict) and model in (entry.get("name"), entry.get("model")):
            value = entry.get("context_length")
            return value if isinstance(value, int) and value > 0 else None
    return None


def from_ollama_show(body: Any) -> int | None:
    """``num_ctx`` from the Modelfile, else Ollama's default, never above the model's own."""
    if not isinstance(body, dict) or not isinstance(body.get("model_info"), dict):
        return None
    trained = next((v for k, v in body["model_info"].items()
                    if k.endswith(".context_length") and isinstance(v, int)), None)
    match = _NUM_CTX.search(str(body.get("parameters") or ""))
    window = int(match.group(1)) if match else OLLAMA_DEFAULT_CONTEXT
    return min(window, trained) if trained else window


def from_lmstudio(body: Any) -> int | None:
    if not isinstance(body, dict):
        return None
    for key in ("loaded_context_length", "max_context_length"):
        value = body.get(key)
        if isinstance(value, int) and value > 0:
            return value
    return None


def server_root(base_url: str) -> str:
    """The server's own root, where its native endpoints live (``.../v1`` cut off)."""
    return re.sub(r"/v1/?$", "", base_url.rstrip("/"))


def probe_context_window(http: httpx.Client, base_url: str, model: str) -> ContextWindow | None:
    """The first context length the server reports, trying each server's way in turn;
    None when it reports none, ``ServerUnreachable`` when it does not answer."""
    root = server_root(base_url)
    probes: list[tuple[str, str, dict[str, Any] | None, Callable[[Any], int | None]]] = [
        ("GET", f"{base_url.rstrip('/')}/models", None,
         lambda b: from_vllm_models(b, model)),
        ("GET", f"{root}/props", None, from_llamacpp_props),
        ("GET", f"{root}/api/ps", None, lambda b: from_ollama_ps(b, model)),
        ("POST", f"{root}/api/show", {"model": model}, from_ollama_show),
        ("GET", f"{root}/api/v0/models/{quote(model, safe='')}", None, from_lmstudio),
    ]
    for method, url, body, parse in probes:
        try:
            response = http.request(method, url, json=body)
        except httpx.HTTPError as exc:
            raise ServerUnreachable(str(exc)) from exc
        if response.status_code != 200:
            continue
        try:
            tokens = parse(response.json())
        except ValueError:
            continue
        if tokens is not None:
            return ContextWindow(tokens, f"{method} {url.removeprefix(root) or '/'}")
    return None
