"""What tone and framing add to the analysis stage, measured side by side.

Runs the Analyzer (entities, actors, countries) over N news-length texts built
from the shipped corpora with a fixed seed, then scores tone and frame for every
actor of every article, and prints both times and their ratio (target: tone adds
under 15%). Asserts nothing.

    python bench/tone_bench.py --articles 2000
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import time
from pathlib import Path

from narratives.analyze import Analyzer
from narratives.tone import ToneModel

CORPUS = Path(__file__).resolve().parent.parent / "models" / "corpus"


def news_texts(n: int, words: int = 530, seed: int = 11) -> list[tuple[str, str, str]]:
    """(id, title, text) of about `words` words each, stitched from corpus passages."""
    passages = []
    for path in sorted(CORPUS.rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                text = json.loads(line).get("text")
                if text:
                    passages.append(text)
    rng = random.Random(seed)
    out = []
    for i in range(n):
        parts: list[str] = []
        while sum(len(p.split()) for p in parts) < words:
            parts.append(rng.choice(passages))
        out.append((str(i), parts[0].split(".")[0][:90], " ".join(parts)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--model", default=None)
    args = ap.parse_args()
    items = news_texts(args.articles)
    words = sum(len(t.split()) for _, _, t in items)
    analyzer = Analyzer(model=args.model)
    tone = ToneModel.load()
    t = time.perf_counter()
    analyses = list(analyzer.analyze(items))
    analysis_s = time.perf_counter() - t
    t = time.perf_counter()
    scored = sum(len(t) for t in tone.score_many(analyses))
    tone_s = time.perf_counter() - t
    print(f"{len(items):,} articles, {words:,} words; tone method: {tone.version}")
    print(f"analysis stage: {analysis_s:.1f} s ({words / analysis_s:,.0f} words/s)")
    print(f"tone + frame:   {tone_s:.2f} s for {scored:,} actor judgements")
    print(f"tone adds {tone_s / analysis_s:.1%} to the analysis stage (target < 15%)")
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
