"""What tone and framing add to the analysis stage, measured side by side.

Runs the Analyzer (entities, actors, countries) over N news-length texts built
from the shipped corpora with a fixed seed (bench/articles.py), then scores tone
and frame for every actor of every article in one batch, as the ingest does, and
prints both times and their ratio (target: tone adds under 15%). Asserts nothing.

    python bench/tone_bench.py --articles 2000
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from articles import make_articles  # noqa: E402

from narratives.analyze import Analyzer  # noqa: E402
from narratives.tone import ToneModel  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--model", default=None)
    ap.add_argument("--repeat", type=int, default=3, help="runs; the best time of each counts")
    args = ap.parse_args()
    items = make_articles(args.articles)
    words = sum(len(t.split()) for _, _, t in items)
    analyzer = Analyzer(model=args.model)
    tone = ToneModel.load()
    analysis_s = tone_s = float("inf")
    for _ in range(args.repeat):  # alternate the two, keep the best of each: a shared machine
        t = time.perf_counter()
        analyses = list(analyzer.analyze(items))
        analysis_s = min(analysis_s, time.perf_counter() - t)
        t = time.perf_counter()
        scored = sum(len(x) for x in tone.score_many(analyses))
        tone_s = min(tone_s, time.perf_counter() - t)
    print(f"{len(items):,} articles, {words:,} words; tone method: {tone.version}; "
          f"best of {args.repeat} runs")
    print(f"analysis stage: {analysis_s:.1f} s ({words / analysis_s:,.0f} words/s)")
    print(f"tone + frame:   {tone_s:.2f} s for {scored:,} actor judgements")
    print(f"tone adds {tone_s / analysis_s:.1%} to the analysis stage (target < 15%)")
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
