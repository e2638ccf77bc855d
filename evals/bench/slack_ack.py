"""Slack acknowledgement latency while answers are being computed.

    .venv/bin/python -m evals.bench.slack_ack [--events 200] [--workers 4]

A child process runs opsbot in HTTP mode (sandbox, SQLite, the Web API stand-in) on a
loopback port, as `opsbot serve slack` would. This process plays Slack: warm-up mentions
put the workers to work, then EVENTS signed app_mention events, each opening its own
thread, are sent at once on as many connections. Slack wants each acknowledged
within 3 s; the target is p99 under 100 ms. Every connection is opened first and the
requests then sent together. The baseline is the same burst of GET /healthz
on the same server at the same time (HTTP and threading cost, no signature check, no
queueing), so the ratio is what verification + acknowledgement add.
Printed too: how much work was queued during the burst and how fast answers drained.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import re
import statistics
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from slack_sdk.signature import SignatureVerifier

WARMUP_EVENTS = 40  # several seconds of answering: both bursts run while it goes on
DRAIN_SECONDS = 300.0


def _serve(conn: Connection, workers: int) -> None:
    """The child: stand-in + opsbot; reports its port, then samples its queue until told."""
    from tests.slack_standin import SlackStandin, opsbot_on_standin

    with SlackStandin() as slack, tempfile.TemporaryDirectory() as tmp, \
            opsbot_on_standin(slack, Path(tmp),
                              env={"OPSBOT_SLACK_WORKERS": str(workers)}) as bot:
        conn.send(bot.server.port)
        peak = 0
        while not conn.poll(0.01):
            peak = max(peak, bot.service.pool.queued + bot.service.dispatcher.queued)
        conn.recv()
        started = time.perf_counter()
        drained = bot.service.wait_idle(DRAIN_SECONDS)
        conn.send({"peak_queued": peak, "drained": drained,
                   "drain_s": time.perf_counter() - started,
                   "answers": len(slack.called("chat.update"))})


def _burst(port: int, requests: list[bytes]) -> list[float]:
    """Send every request at once, one connection each; each round trip in milliseconds.

    asyncio on raw sockets keeps the client's own cost per request small, so the numbers
    are the server's, not urllib's.
    """
    async def one(request: bytes, go: asyncio.Event) -> float:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await go.wait()
        started = time.perf_counter()
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
        await reader.readexactly(length)
        elapsed = (time.perf_counter() - started) * 1000
        if not head.startswith(b"HTTP/1.1 200") and not head.startswith(b"HTTP/1.0 200"):
            raise RuntimeError(head.decode(errors="replace"))
        writer.close()
        return elapsed

    async def run() -> list[float]:
        go = asyncio.Event()
        tasks = [asyncio.create_task(one(r, go)) for r in requests]
        await asyncio.sleep(0.5)  # every connection is open and waiting
        go.set()
        return list(await asyncio.gather(*tasks))

    return asyncio.run(run())


def _request(method: str, path: str, body: str = "", headers: dict[str, str] | None = None
             ) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close",
             f"Content-Length: {len(body.encode())}",
             *(f"{k}: {v}" for k, v in (headers or {}).items())]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def _signed_mention(sender: Any, i: int) -> bytes:
    ts = f"{1720000000 + i}.000100"
    body = sender.envelope({"type": "app_mention", "user": "U02BOB",
                            "text": "<@UOPSBOT> why is checkout crash looping?", "ts": ts,
                            "channel": "C0INCIDENT", "event_ts": ts})
    stamp = str(int(time.time()))
    signature = SignatureVerifier(sender.secret).generate_signature(timestamp=stamp, body=body)
    return _request("POST", "/slack/events", body, {
        "Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature})


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _row(name: str, values: list[float]) -> str:
    return (f"{name:<34} p50 {statistics.median(values):7.1f}  p95 {_pct(values, 95):7.1f}  "
            f"p99 {_pct(values, 99):7.1f}  max {max(values):7.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    from tests.slack_standin import SignedSender

    ctx = mp.get_context("spawn")
    ours, theirs = ctx.Pipe()
    child = ctx.Process(target=_serve, args=(theirs, args.workers), daemon=True)
    child.start()
    port = ours.recv()
    sender = SignedSender(f"http://127.0.0.1:{port}")

    for i in range(WARMUP_EVENTS):
        sender.mention("U02BOB", "why is checkout crash looping?", f"{1710000000 + i}.000100")
    time.sleep(0.5)  # the warm-up answers are now being computed
    baseline = _burst(port, [_request("GET", "/healthz")] * args.events)
    acks = _burst(port, [_signed_mention(sender, i) for i in range(args.events)])
    ours.send("burst done")
    drain = ours.recv()
    child.join(30)

    print(f"slack ack latency, {args.events} concurrent signed events, "
          f"{args.workers} workers (ms)")
    print(_row("baseline: GET /healthz burst", baseline))
    print(_row("app_mention ack while answering", acks))
    print(f"ratio p50 {statistics.median(acks) / statistics.median(baseline):.2f}x, "
          f"p99 {_pct(acks, 99) / _pct(baseline, 99):.2f}x vs baseline")
    print(f"all {len(acks)} acknowledged 200 OK; target p99 < 100 ms: "
          f"{'met' if _pct(acks, 99) < 100 else 'NOT met'}")
    print(f"requests and jobs queued at peak: {drain['peak_queued']}; "
          f"answers posted: {drain['answers']} in {drain['drain_s']:.1f} s after the burst "
          f"({'drained' if drain['drained'] else 'still draining'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
