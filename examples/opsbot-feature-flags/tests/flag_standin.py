"""A local flag service on loopback speaking the API the plugin uses (opsbot_feature_flags.
client), recording every change so a test can see what opsbot did."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FlagStandin:
    flags: dict[str, dict[str, Any]]
    changes: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _flag(self) -> tuple[str, dict[str, Any] | None]:
                key = self.path.removeprefix("/flags/")
                return key, standin.flags.get(key)

            def do_GET(self) -> None:
                key, flag = self._flag()
                if flag is None:
                    self._answer(404, {"error": f"no flag {key}"})
                else:
                    self._answer(200, {"key": key, **flag})

            def do_PUT(self) -> None:
                key, flag = self._flag()
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                if flag is None:
                    self._answer(404, {"error": f"no flag {key}"})
                    return
                flag["enabled"] = bool(body["enabled"])
                standin.changes.append({"key": key, **body})
                self._answer(200, {"key": key, **flag})

        return Handler


def serve(flags: dict[str, dict[str, Any]]) -> tuple[FlagStandin, ThreadingHTTPServer]:
    standin = FlagStandin(flags=flags)
    server = ThreadingHTTPServer(("127.0.0.1", 0), standin.handler())
    standin.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return standin, server
