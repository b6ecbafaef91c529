"""Throughput of the analysis stage against raw spaCy and the naive approach.

Builds news-length texts (about 530 words) by combining the English passages
shipped under models/corpus/ with a fixed random seed, then times, in one run:

  analyzer  narratives.analyze.Analyzer (entities, actors, countries)
  raw       nlp.pipe over the same texts, same components and process count
  naive     the full default pipeline, nlp(text) once per article, one process

and prints articles/s, words/s, the ratios against the targets (>= 0.85 of raw,
>= 2.5x naive) and peak memory.

    python bench/analysis_bench.py [--articles 2000] [--n-process 2] [--batch-size 64]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import spacy  # noqa: E402
from articles import make_articles  # noqa: E402

from narratives import nlp as nlp_mod  # noqa: E402
from narratives.analyze import Analyzer  # noqa: E402

TARGET_RAW = 0.85
TARGET_NAIVE = 2.5


def timed(label: str, fn: Callable[[], int]) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = fn()
    dt = time.perf_counter() - t0
    print(f"  {label:14s} done in {dt:7.1f} s", file=sys.stderr)
    return dt, n


def peak_mb() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, kids


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--n-process", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--model", default=None)
    ap.add_argument("--rounds", type=int, default=10,
                    help="chunks over which analyzer and raw alternate")
    ap.add_argument("--skip-naive", action="store_true", help="skip the slow naive run")
    args = ap.parse_args()

    items = make_articles(args.articles)
    texts = [f"{t}\n\n{x}" if t else x for _, t, x in items]
    total_words = sum(len(t.split()) for t in texts)
    print(f"{len(texts)} articles, {total_words} words "
          f"({total_words / len(texts):.0f} per article); n_process={args.n_process}, "
          f"batch_size={args.batch_size}")

    analyzer = Analyzer(model=args.model, batch_size=args.batch_size, n_process=args.n_process)
    nlp = analyzer.nlp
    print(f"model {analyzer.model_name}; analysis components: {', '.join(nlp.pipe_names)}")
    # warm up both paths (model caches, first-batch costs) on a few texts
    list(analyzer.analyze(items[:8]))

    # The two fast methods alternate over chunks of the texts (order swapped each
    # round), so a change in machine load during the run hits both alike.
    results: dict[str, tuple[float, int]] = {"raw": (0.0, 0), "analyzer": (0.0, 0)}
    size = -(-len(items) // args.rounds)
    for r, lo in enumerate(range(0, len(items), size)):
        chunk_items, chunk_texts = items[lo:lo + size], texts[lo:lo + size]

        def run_analyzer(chunk: list = chunk_items) -> int:
            return sum(1 for _ in analyzer.analyze(chunk))

        def run_raw(chunk: list = chunk_texts) -> int:
            return sum(1 for _ in nlp.pipe(chunk, batch_size=args.batch_size,
                                            n_process=args.n_process))

        order = [("raw", run_raw), ("analyzer", run_analyzer)]
        for name, fn in order if r % 2 == 0 else reversed(order):
            dt, n = timed(f"{name} {r + 1}/{args.rounds}", fn)
            results[name] = (results[name][0] + dt, results[name][1] + n)
    mem_after_fast = peak_mb()
    if not args.skip_naive:
        full = spacy.load(nlp_mod.resolve_model(args.model))

        def run_naive() -> int:
            return sum(1 for t in texts if full(t) is not None)

        print(f"naive pipeline: {', '.join(full.pipe_names)}", file=sys.stderr)
        results["naive"] = timed("naive", run_naive)

    print(f"\n{'method':10s} {'seconds':>8s} {'articles/s':>11s} {'words/s':>9s}")
    for name in ("analyzer", "raw", "naive"):
        if name in results:
            dt, n = results[name]
            print(f"{name:10s} {dt:8.1f} {n / dt:11.1f} {total_words / dt:9.0f}")
    a = results["analyzer"][0]
    ratio_raw = results["raw"][0] / a
    print(f"\nanalyzer / raw nlp.pipe: {ratio_raw:.2f} (target >= {TARGET_RAW}) "
          f"{'met' if ratio_raw >= TARGET_RAW else 'NOT MET'}")
    if "naive" in results:
        ratio_naive = results["naive"][0] / a
        print(f"analyzer / naive nlp(text): {ratio_naive:.2f}x (target >= {TARGET_NAIVE}x) "
              f"{'met' if ratio_naive >= TARGET_NAIVE else 'NOT MET'}")
    me, kids = mem_after_fast
    me_all, kids_all = peak_mb()
    print(f"peak memory (max RSS): main process {me:.0f} MB during analyzer/raw, "
          f"{me_all:.0f} MB overall; largest worker process {kids_all:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
