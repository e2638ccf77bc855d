"""Index build time, query latency and peak memory of the runbook index.

    .venv/bin/python -m evals.bench.retrieval_bench [--runbooks 5000] [--queries 200]
                                                    [--threads N] [--compare 500]
                                                    [--skip-corpus]

Two collections: the shared prometheus-operator corpus (108 real runbooks) and a synthetic
one of --runbooks pages generated from templates with varied wording into a temp folder.
For each: load time, index build time by phase (embedding, Chroma writes, manifest, BM25),
a no-change re-sync, reopen time, query latency p50/p95 over many questions, and the peak
RSS so far; for the synthetic set also hit@1 and hit@5 (a page about the asked component,
symptom and store comes first / in the top 5: several pages share each combination).
Baselines in the same process: the query embedding alone (the floor of any dense search),
so `ratio` is the price of the vector search, BM25 and fusion on top of it; and the
embedder as it was (float32 products, one run at a time, 2048-token batches) against the
current one on the same synthetic sections, in alternating groups so that load from other
processes hits both alike. The machine's load average is printed with every section.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from assistant.config import REPO_ROOT
from assistant.retrieval.embedding import MiniLMEmbedder
from assistant.retrieval.evaluation import load_retrieval_suite
from assistant.retrieval.index import RunbookIndex, chunk_texts
from assistant.retrieval.loading import load_runbooks

SHARED = REPO_ROOT.parent / "shared"
CORPUS = SHARED / "corpora" / "prometheus-operator-runbooks"
SUITE = SHARED / "evals" / "real-runbooks.yaml"

COMPONENTS = ["checkout", "payments", "search", "inventory", "ledger", "auth", "gateway",
              "billing", "catalog", "notifier", "scheduler", "ingest", "reporting", "cart",
              "profile", "shipping", "pricing", "recommender", "media", "export"]
STORES = ["postgres", "redis", "kafka", "elasticsearch", "rabbitmq", "mysql", "mongodb",
          "cassandra", "etcd", "memcached", "clickhouse", "minio"]
SYMPTOMS = [
    ("HighLatency", "high latency", "requests to {c} take longer than {n} ms at the 99th "
     "percentile", "users wait on pages that call {c}; timeouts cascade to callers"),
    ("ErrorRate", "elevated error rate", "more than {n}% of {c} responses are 5xx",
     "failed checkouts and retries that multiply load"),
    ("ConnectionPoolExhausted", "connection pool exhausted", "{c} has used all {n} "
     "connections to {s}", "new requests queue and then fail with pool timeouts"),
    ("QueueBacklog", "queue backlog growing", "the {s} queue feeding {c} holds more than "
     "{n} thousand messages", "work is processed late; downstream data goes stale"),
    ("DiskPressure", "disk pressure", "the volume of {c} is {n}% full",
     "writes fail once the disk is full and {s} may refuse to start"),
    ("MemoryLeak", "memory growing until OOM", "{c} memory grows by {n} MB an hour until "
     "the kernel kills it", "restarts drop in-flight requests and warm caches"),
    ("ReplicationLag", "replication lag", "the {s} replica used by {c} is {n} seconds "
     "behind the primary", "reads return old data; failover would lose writes"),
    ("CertificateExpiry", "certificate about to expire", "the TLS certificate of {c} "
     "expires in {n} days", "clients refuse the connection once it expires"),
    ("CrashLooping", "pods crash looping", "{c} pods restarted {n} times in ten minutes",
     "capacity drops and the rollout stalls"),
    ("ThreadStarvation", "worker threads starved", "all {n} workers of {c} are busy "
     "waiting on {s}", "throughput collapses although CPU looks idle"),
]
OPENERS = ["This alert fires when", "It means that", "The alert triggers because",
           "Fires once", "Raised when"]
DIAGNOSES = [
    "Check the dashboards of {c} for the moment the curve changed and compare with deploys.",
    "Run kubectl -n {c} get pods and look at restarts, then read logs of the worst pod.",
    "Query the {s} metrics for saturation: connections, replication and slow queries.",
    "Look at recent configuration changes to {c} and to the {s} client settings.",
    "Compare the traffic of {c} with last week at the same hour to rule out a spike.",
    "Inspect traces of slow requests to find which call to {s} dominates.",
]
MITIGATIONS = [
    "Roll back the last deploy of {c} if the problem started with it.",
    "Scale {c} out by a few replicas while the root cause is found.",
    "Fail over {s} to a healthy replica and page the database owners.",
    "Shed non-critical traffic with the feature flag for {c}.",
    "Restart the stuck pods of {c} one at a time, never all at once.",
    "Raise the limit temporarily and open a ticket to fix the leak properly.",
]


def synthesize(folder: Path, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """Write ``count`` runbooks; return (question, runbook id) pairs to query with.

    A runbook id is ``{component}-{store}-{alert}-{number}``: every page sharing the part
    before the number answers the question equally well."""
    questions = []
    for number in range(count):
        comp, store = rng.choice(COMPONENTS), rng.choice(STORES)
        alert, phrase, meaning, impact = rng.choice(SYMPTOMS)
        n = rng.randint(2, 900)
        fill = {"c": comp, "s": store, "n": n}
        rid = f"{comp}-{store}-{alert.lower()}-{number}"
        name = f"{comp.title()}{alert}{number}"
        diagnosis = " ".join(d.format(**fill) for d in rng.sample(DIAGNOSES, 3))
        mitigation = "\n".join(f"- {m.format(**fill)}" for m in rng.sample(MITIGATIONS, 3))
        (folder / f"{rid}.md").write_text(
            f"---\nid: {rid}\ntitle: {comp} {phrase} ({store})\nalerts: [{name}]\n"
            f"tags: [{comp}, {store}]\n---\n# {comp} {phrase}\n\n## Meaning\n\n"
            f"{rng.choice(OPENERS)} {meaning.format(**fill)}.\n\n## Impact\n\n"
            f"{impact.format(**fill).capitalize()}.\n\n## Diagnosis\n\n{diagnosis}\n\n"
            f"## Mitigation\n\n{mitigation}\n",
            encoding="utf-8",
        )
        questions.append((f"{comp} {phrase} on {store}, what do I do?", rid))
    return questions


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        out.append((time.perf_counter() - started) * 1000)
    return out


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def compare_embedders(texts: list[str], current: MiniLMEmbedder, groups: int = 10,
                      repeat: int = 3) -> None:
    """Old against new embedder settings on the same texts, group by group, alternating."""
    old = MiniLMEmbedder(int8_activations=False, threads=1, batch_tokens=2048)
    size = max(1, len(texts) // groups)
    chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
    tokens = sum(len(e.ids) for e in old._tokenizer.encode_batch(texts))
    timings: dict[str, list[float]] = {"old": [], "new": []}
    for _ in range(repeat):
        for chunk in chunks:
            timings["old"].extend(timed(lambda c=chunk: old.embed(c), 1))
            timings["new"].extend(timed(lambda c=chunk: current.embed(c), 1))
    agreement = (old.embed(texts) * current.embed(texts)).sum(axis=1)
    print(f"\n== embedder, old vs new settings: {len(texts)} sections, {tokens} tokens, "
          f"{len(chunks)} groups x {repeat}; {load_average()}")
    medians = {}
    for label, model in (("old", old), ("new", current)):
        p50, p95 = percentiles(timings[label])
        medians[label] = p50
        rate = tokens / len(chunks) / (p50 / 1000)
        print(f"{label:3s} {model.model_id:34s} group p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
              f"~{rate:,.0f} tokens/s")
    print(f"ratio        {medians['old'] / medians['new']:8.2f}x   (old p50 / new p50); "
          f"cosine new vs old min {agreement.min():.4f} mean {agreement.mean():.4f}")


def bench(label: str, dirs: list[Path], questions: list[tuple[str, str]],
          embedder: MiniLMEmbedder, queries: int) -> None:
    """``questions``: (question, runbook id prefix that answers it; "" if unknown)."""
    started = time.perf_counter()
    loaded = load_runbooks(dirs)
    load_s = time.perf_counter() - started
    print(f"\n== {label}: building; {load_average()}", flush=True)
    with tempfile.TemporaryDirectory() as index_dir:
        index = RunbookIndex.open(Path(index_dir), embedder)
        cpu_started = time.process_time()
        build = index.sync(loaded.runbooks)
        build_cpu = time.process_time() - cpu_started
        build_load = load_average()
        resync = index.sync(loaded.runbooks)
        started = time.perf_counter()
        index = RunbookIndex.open(Path(index_dir), embedder)
        reopen_s = time.perf_counter() - started
        asked = [questions[i % len(questions)] for i in range(queries)]
        for question, _ in asked[:5]:
            index.search(question)
        search_ms = [t for q, _ in asked for t in timed(lambda q=q: index.search(q, k=5), 1)]
        embed_ms = [t for q, _ in asked for t in timed(lambda q=q: embedder.embed([q]), 1)]
        judged = [(q, answer) for q, answer in asked if answer]
        ranks = [next((n for n, h in enumerate(index.search(q, k=5), 1)
                       if h.runbook_id.startswith(answer)), 0) for q, answer in judged]
    s50, s95 = percentiles(search_ms)
    e50, e95 = percentiles(embed_ms)
    phases = build.phases
    print(f"== {label}: {len(loaded.runbooks)} runbooks, {build.chunks_embedded} sections")
    print(f"load         {load_s:8.2f} s")
    print(f"index build  {build.seconds:8.2f} s   ({build.chunks_embedded / build.seconds:.0f} "
          f"sections/s; {build_load} at the end)")
    cores = len(os.sched_getaffinity(0))
    print(f"  CPU        {build_cpu:8.2f} s   (all threads; / {cores} cores = "
          f"{build_cpu / cores:.1f} s, the wall time on otherwise idle cores if the work "
          "split evenly)")
    for phase, seconds in (("embed", phases.embed), ("chroma", phases.store),
                           ("manifest", phases.manifest), ("bm25+memory", phases.lexical)):
        print(f"  {phase:11s}{seconds:8.2f} s   ({seconds / build.seconds:4.0%})")
    print(f"re-sync      {resync.seconds:8.2f} s   (nothing changed; "
          f"{resync.chunks_embedded} embedded)")
    print(f"reopen       {reopen_s:8.2f} s")
    print(f"search k=5   p50 {s50:6.1f} ms   p95 {s95:6.1f} ms   ({queries} queries)")
    print(f"embed query  p50 {e50:6.1f} ms   p95 {e95:6.1f} ms   (baseline)")
    print(f"ratio        {s50 / e50:8.2f}x   (search p50 / query-embedding p50)")
    if judged:
        print(f"hit@1 {sum(r == 1 for r in ranks) / len(ranks):.3f}  hit@5 "
              f"{sum(r > 0 for r in ranks) / len(ranks):.3f}   ({len(ranks)} questions)")
    print(f"peak RSS     {peak_rss_mb():8.0f} MB   (process so far, model included)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runbooks", type=int, default=5000, help="synthetic runbooks")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--threads", type=int, default=None,
                        help="onnxruntime runs at once (default: one per usable CPU)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-corpus", action="store_true", help="synthetic set only")
    parser.add_argument("--compare", type=int, default=500,
                        help="sections embedded with old and new settings (0: skip)")
    args = parser.parse_args(argv)
    embedder = MiniLMEmbedder(threads=args.threads)
    print(f"model {embedder.model_id}, threads {args.threads or 'one per CPU'}; peak RSS "
          f"after model load {peak_rss_mb():.0f} MB; {load_average()}")
    if not args.skip_corpus:
        questions = [(c.question, "") for c in load_retrieval_suite(SUITE).cases]
        bench("shared corpus", [CORPUS], questions, embedder, args.queries)
    if args.compare > 0:
        with tempfile.TemporaryDirectory() as folder:
            synthesize(Path(folder), args.compare // 4 + 1, random.Random(args.seed + 1))
            sections = [text for r in load_runbooks([Path(folder)]).runbooks
                        for _, text in chunk_texts(r)]
        compare_embedders(sections[: args.compare], embedder)
    if args.runbooks > 0:
        with tempfile.TemporaryDirectory() as folder:
            pairs = synthesize(Path(folder), args.runbooks, random.Random(args.seed))
            questions = [(q, rid.rsplit("-", 1)[0] + "-") for q, rid in pairs]
            bench(f"synthetic x{args.runbooks}", [Path(folder)], questions, embedder,
                  args.queries)


if __name__ == "__main__":
    main()
