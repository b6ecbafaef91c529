"""Time of theme classification per article, against the analysis stage.

Builds news-length texts (about 530 words) from the English passages under
models/corpus/ with a fixed seed (as bench/analysis_bench.py does), then times:

  themes    ThemeModel.predict over all the articles (the shipped model)
  analysis  narratives.analyze.Analyzer over the first --analysis-articles of
            them, if narratives/analyze.py exists (spaCy dominates; a sample
            is enough for a per-article figure)

and prints milliseconds per article and the share classification adds to the
analysis stage (target: under 5%).

    python bench/themes_bench.py [--articles 2000] [--analysis-articles 300] [--batch-size 256]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from articles import make_articles  # noqa: E402

from narratives.themes import ThemeModel  # noqa: E402

TARGET_SHARE = 0.05


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--analysis-articles", type=int, default=300,
                    help="articles to time the analysis stage on (0: skip)")
    ap.add_argument("--batch-size", type=int, default=256, help="texts per predict call")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each, alternated; the best is kept (the machine is shared)")
    args = ap.parse_args()

    t0 = time.perf_counter()
    model = ThemeModel.load()
    load_s = time.perf_counter() - t0
    items = make_articles(args.articles)
    texts = [f"{title}\n{text}" for _, title, text in items]
    words = sum(len(t.split()) for t in texts) / len(texts)
    print(f"{len(texts)} articles, {words:.0f} words each on average; model {model.version} "
          f"loaded in {load_s:.2f} s")

    model.predict(texts[:50])  # warm-up
    analyzer = None
    if args.analysis_articles > 0 and importlib.util.find_spec("narratives.analyze"):
        from narratives.analyze import Analyzer

        analyzer = Analyzer()
        sample = items[:args.analysis_articles]
        list(analyzer.analyze(sample[:10]))  # warm-up
    themes_s = analysis_s = float("inf")
    n = 0
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        assigned = 0
        for start in range(0, len(texts), args.batch_size):
            for scores in model.predict(texts[start:start + args.batch_size]):
                assigned += sum(s.assigned for s in scores)
        themes_s = min(themes_s, time.perf_counter() - t0)
        if analyzer is not None:
            t0 = time.perf_counter()
            n = sum(1 for _ in analyzer.analyze(sample))
            analysis_s = min(analysis_s, time.perf_counter() - t0)
    per_theme_ms = 1000 * themes_s / len(texts)
    print(f"themes:   {themes_s:7.2f} s, {per_theme_ms:6.2f} ms/article, "
          f"{len(texts) / themes_s:7.0f} articles/s ({assigned / len(texts):.2f} themes/article)"
          f"; best of {max(1, args.repeat)}")
    if analyzer is None:
        print("analysis: not timed; no comparison")
        return
    per_analysis_ms = 1000 * analysis_s / n
    share = per_theme_ms / per_analysis_ms
    print(f"analysis: {analysis_s:7.2f} s, {per_analysis_ms:6.2f} ms/article over {n} articles "
          f"(Analyzer, one process)")
    print(f"classification adds {share:.1%} to the analysis stage "
          f"(target < {TARGET_SHARE:.0%}): {'ok' if share < TARGET_SHARE else 'MISSED'}")


if __name__ == "__main__":
    main()
