"""Redaction quality: recall per kind on generated secrets, false positives on clean logs.

    .venv/bin/python -m evals.bench.redaction_quality [--per-kind N] [--clean N] [--seed S]
                                                      [--json] [--check] [--baseline]

A secret counts as caught when no 12-character window of it (the whole secret if shorter)
survives. "intact" is the share of one-line samples whose output equals the input with
exactly the planted secrets replaced: the rest of the line kept. A false positive is a clean
line that comes out changed. Targets: recall >= 0.99 on known formats, >= 0.9 on generic
ones, at most 1 false positive per 10,000 clean lines. ``--check`` exits 1 when one is missed.
``--baseline`` runs detect-secrets over the same corpus for comparison.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant.redaction import PLACEHOLDER_RE, Redactor
from assistant.redaction.redactor import Engine
from evals.bench.redaction_corpus import SecretSample, clean_lines, secret_samples

KNOWN_TARGET = 0.99
GENERIC_TARGET = 0.90
FP_TARGET_PER_10K = 1.0
_WINDOW = 12


def leaked(secret: str, output: str) -> bool:
    width = min(_WINDOW, len(secret))
    return any(secret[i : i + width] in output for i in range(len(secret) - width + 1))


def intact(sample: SecretSample, output: str) -> bool:
    """Output is the input with each planted secret (and nothing else) replaced."""
    expected = sample.text
    for secret in sorted(sample.secrets, key=len, reverse=True):
        expected = expected.replace(secret, "\0")
    return PLACEHOLDER_RE.sub("\0", output) == expected


@dataclass
class KindResult:
    generic: bool
    samples: int = 0
    caught: int = 0
    single_line: int = 0
    intact: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.caught / self.samples if self.samples else 1.0

    @property
    def target(self) -> float:
        return GENERIC_TARGET if self.generic else KNOWN_TARGET


@dataclass
class QualityReport:
    kinds: dict[str, KindResult]
    clean_lines: int
    false_positives: int
    fp_examples: list[tuple[str, str]]

    @property
    def fp_per_10k(self) -> float:
        return self.false_positives * 10_000 / self.clean_lines if self.clean_lines else 0.0

    @property
    def targets_met(self) -> bool:
        recall_ok = all(k.recall >= k.target for k in self.kinds.values())
        return recall_ok and self.fp_per_10k <= FP_TARGET_PER_10K


def corpus(per_kind: int, clean: int, seed: int) -> tuple[list[SecretSample], list[str]]:
    rng = random.Random(seed)
    return secret_samples(rng, per_kind), clean_lines(rng, clean)


def evaluate(
    samples: list[SecretSample], lines: list[str], engine: Engine | None = None
) -> QualityReport:
    redactor = Redactor(key=b"quality-bench", engine=engine)
    kinds: dict[str, KindResult] = {}
    for sample in samples:
        result = kinds.setdefault(sample.kind, KindResult(sample.generic))
        output = redactor.redact(sample.text)
        result.samples += 1
        if any(leaked(s, output) for s in sample.secrets):
            if len(result.misses) < 3:
                result.misses.append(sample.text.rstrip("\n"))
        else:
            result.caught += 1
        if sample.text.count("\n") == 1:
            result.single_line += 1
            result.intact += intact(sample, output)
    redacted = list(redactor.redact_lines(lines))
    if len(redacted) != len(lines):
        raise RuntimeError("clean corpus changed its number of lines")
    changed = [(a, b) for a, b in zip(lines, redacted, strict=True) if a != b]
    examples = [(a.rstrip("\n"), b.rstrip("\n")) for a, b in changed[:5]]
    return QualityReport(kinds, len(lines), len(changed), examples)


@dataclass
class BaselineReport:
    """detect-secrets on the same corpus. It only reports; a sample counts as caught when
    it reports anything on the sample's lines (more lenient than the redactor's test)."""

    caught: dict[str, int]
    clean_flagged: int


def detect_secrets_baseline(samples: list[SecretSample], lines: list[str]) -> BaselineReport:
    from detect_secrets.core.scan import scan_file
    from detect_secrets.settings import default_settings

    def flagged_lines(text: str) -> set[int]:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, "corpus.log")
            path.write_text(text, encoding="utf-8")
            with default_settings():
                return {found.line_number for found in scan_file(str(path))}

    flagged = flagged_lines("".join(s.text for s in samples))
    caught: dict[str, int] = defaultdict(int)
    first = 1
    for sample in samples:
        last = first + sample.text.count("\n") - 1
        caught[sample.kind] += any(n in flagged for n in range(first, last + 1))
        first = last + 1
    return BaselineReport(dict(caught), len(flagged_lines("".join(lines))))


def _print(report: QualityReport, baseline: BaselineReport | None) -> None:
    extra = f" {'detect-secrets':>14}" if baseline else ""
    print(f"{'kind':24} {'type':8} {'samples':>7} {'recall':>7} {'target':>7} {'intact':>7}{extra}")
    by_type: dict[bool, list[str]] = defaultdict(list)
    for name, k in report.kinds.items():
        by_type[k.generic].append(name)
    for generic in (False, True):
        for name in sorted(by_type[generic]):
            k = report.kinds[name]
            share = f"{k.intact / k.single_line:.2f}" if k.single_line else "-"
            flag = "" if k.recall >= k.target else "  MISSED"
            kind_type = "generic" if generic else "known"
            theirs = f" {baseline.caught.get(name, 0) / k.samples:14.3f}" if baseline else ""
            print(f"{name:24} {kind_type:8} {k.samples:7d} {k.recall:7.3f} {k.target:7.2f} "
                  f"{share:>7}{theirs}{flag}")
            for miss in k.misses:
                print(f"    missed: {miss[:160]}")
    print(f"\nclean lines: {report.clean_lines}  false positives: {report.false_positives}  "
          f"per 10k: {report.fp_per_10k:.2f} (target <= {FP_TARGET_PER_10K})")
    for before, after in report.fp_examples:
        print(f"    before: {before[:160]}\n    after:  {after[:160]}")
    if baseline:
        rate = baseline.clean_flagged * 10_000 / report.clean_lines
        print(f"detect-secrets flags {baseline.clean_flagged} clean lines: {rate:.2f} per 10k")
    print(f"targets met: {report.targets_met}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-kind", type=int, default=400, help="samples per secret generator")
    parser.add_argument("--clean", type=int, default=50_000, help="clean log lines")
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--baseline", action="store_true",
                        help="also run detect-secrets on the same corpus (slow)")
    parser.add_argument("--engine", choices=["hyperscan", "python"],
                        help="prefilter engine (default: hyperscan when installed)")
    args = parser.parse_args(argv)
    samples, lines = corpus(args.per_kind, args.clean, args.seed)
    report = evaluate(samples, lines, args.engine)
    baseline = detect_secrets_baseline(samples, lines) if args.baseline else None
    if args.json:
        kinds = {
            name: {**asdict(k), "recall": k.recall, "target": k.target}
            for name, k in report.kinds.items()
        }
        print(json.dumps({
            "kinds": kinds, "clean_lines": report.clean_lines,
            "false_positives": report.false_positives, "fp_per_10k": report.fp_per_10k,
            "fp_examples": report.fp_examples, "targets_met": report.targets_met,
        }, indent=2))
    else:
        _print(report, baseline)
    return 1 if args.check and not report.targets_met else 0


if __name__ == "__main__":
    sys.exit(main())
