"""Redaction throughput on a mixed log, side by side with detect-secrets in the same process.

    .venv/bin/python -m evals.bench.redaction_speed [--mb 50] [--baseline-mb 2] [--repeat 5]
                                                    [--engine hyperscan --engine python]

Each prefilter engine (Hyperscan when the package is installed, and the pure-Python one) is
measured on the same text, and the ratios between them and to detect-secrets printed.

The log is generated (seeded): realistic clean lines with ~2% secret samples. The redactor
streams the whole file (``redact_stream``, as ``opsbot redact`` does) and, once, line by line
(``redact_lines``). detect-secrets (default plugins and filters) scans a prefix of the same
file, ``--baseline-mb`` long, because it is two orders of magnitude slower; the redactor is
also timed on that prefix so the ratio compares the same text. detect-secrets only finds
secrets; the redactor also rewrites the text. Peak traced memory of one streaming pass
shows that memory does not grow with the file. Last, single lines built to make a naive
scanner go quadratic show the worst-case rate.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path

from assistant.redaction import Redactor, hsengine
from assistant.redaction.redactor import Engine
from evals.bench import baseline
from evals.bench.redaction_corpus import mixed_log

MB = 1_000_000


class _Sink:
    """A write target that keeps nothing, so only redaction is measured."""

    def __init__(self) -> None:
        self.chars = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        return len(text)


def _stream(redactor: Redactor, path: Path) -> None:
    with path.open(encoding="utf-8", newline="") as src:
        redactor.redact_stream(src, _Sink())  # type: ignore[arg-type]


def _lines(redactor: Redactor, path: Path) -> None:
    with path.open(encoding="utf-8", newline="") as src:
        for _ in redactor.redact_lines(src):
            pass


def _detect_secrets(path: Path) -> int:
    scan = baseline("detect_secrets.core.scan")
    settings = baseline("detect_secrets.settings")
    with settings.default_settings():
        return sum(1 for _ in scan.scan_file(str(path)))


def _times(run: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of each run (CPU time is steadier on a shared machine)."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _report(
    name: str, size: int, times: tuple[list[float], list[float]]
) -> tuple[float, float]:
    """Print throughput (median run, p95 run, CPU); return median wall-clock and CPU MB/s."""
    wall, cpu = times
    median = statistics.median(wall)
    rate = size / MB / median
    cpu_rate = size / MB / statistics.median(cpu)
    print(f"{name:48} {size / MB:6.1f} MB  median {rate:7.2f} MB/s  "
          f"p95 {size / MB / _p95(wall):7.2f} MB/s  cpu {cpu_rate:7.2f} MB/s  runs {len(wall)}")
    return rate, cpu_rate


# Lines built to make a backtracking or quadratic scanner stall; each should stay linear.
ADVERSARIAL = {
    "many BEGIN markers": "-----BEGIN PRIVATE KEY-----",
    "unterminated quotes": 'password="',
    "key=key=...": "key=",
    "names and colons": "x-api-key: ",
    "DSN fragments": "a:b@tcp(",
    "long base64 run": "A",
    "command words": "mysql -u ",
    "sentences": "password is ",
    "encoded names": "%26password%3D",
    "name/value entries": '{"name":"x_token","value":"y"}',
    "client auth flags": "http -a a:b ldapsearch -w ",
    "setting messages": "API_TOKEN: missing, ",
}


def _adversarial(redactor: Redactor, size: int) -> None:
    for name, unit in ADVERSARIAL.items():
        line = unit * (size // len(unit))
        start = time.process_time()
        redactor.redact(line)
        seconds = time.process_time() - start
        rate = len(line) / MB / seconds
        print(f"  {name:24} {len(line) / MB:5.2f} MB line  {rate:8.2f} MB/s cpu")


def _prefix(text: str, size: int) -> str:
    cut = text.rfind("\n", 0, size) + 1
    return text[: cut or size]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50.0, help="size of the mixed log")
    parser.add_argument("--baseline-mb", type=float, default=2.0,
                        help="prefix scanned by detect-secrets (0: the whole log)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--engine", action="append", choices=["hyperscan", "python"],
                        help="prefilter engine(s) to measure (default: every installed one)")
    args = parser.parse_args(argv)
    engines: list[Engine] = args.engine or (
        ["hyperscan", "python"] if hsengine.AVAILABLE else ["python"]
    )

    text = mixed_log(random.Random(args.seed), int(args.mb * MB))
    baseline_text = _prefix(text, int(args.baseline_mb * MB)) if args.baseline_mb else text
    redactors = {engine: Redactor(key=b"speed-bench", engine=engine) for engine in engines}
    whole: dict[str, tuple[float, float]] = {}
    ours: dict[str, tuple[float, float]] = {}
    peaks: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp, "mixed.log")
        full.write_text(text, encoding="utf-8")
        prefix = Path(tmp, "prefix.log")
        prefix.write_text(baseline_text, encoding="utf-8")
        size = full.stat().st_size
        prefix_size = prefix.stat().st_size
        del text, baseline_text

        for engine, redactor in redactors.items():
            whole[engine] = _report(f"{engine}: redact_stream (whole log)", size,
                                    _times(lambda r=redactor: _stream(r, full), args.repeat))
            _report(f"{engine}: redact_lines (whole log)", size,
                    _times(lambda r=redactor: _lines(r, full), 1))
            ours[engine] = _report(
                f"{engine}: redact_stream (baseline prefix)", prefix_size,
                _times(lambda r=redactor: _stream(r, prefix), max(args.repeat, 5)),
            )
        found: list[int] = []
        theirs = _report("detect-secrets scan_file (baseline prefix)", prefix_size,
                         _times(lambda: found.append(_detect_secrets(prefix)), 1))
        for engine, redactor in redactors.items():
            tracemalloc.start()
            _stream(redactor, full)
            peaks[engine] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()

    print(f"\ndetect-secrets findings on the prefix: {found[0]}")
    for engine in engines:
        rate, cpu_rate = ours[engine]
        print(f"ratio {engine} / detect-secrets on the same text: {rate / theirs[0]:.1f}x "
              f"wall-clock, {cpu_rate / theirs[1]:.1f}x CPU (target >= 100x)")
    if len(engines) == 2:
        (fast, fast_cpu), (pure, pure_cpu) = whole[engines[0]], whole[engines[1]]
        print(f"ratio {engines[0]} / {engines[1]} on the whole log: {fast / pure:.2f}x "
              f"wall-clock, {fast_cpu / pure_cpu:.2f}x CPU")
    for engine in engines:
        print(f"peak traced memory while streaming {size / MB:.0f} MB ({engine}): "
              f"{peaks[engine] / MB:.1f} MB")
    for engine, redactor in redactors.items():
        print(f"adversarial single lines ({engine}):")
        _adversarial(redactor, 200_000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
