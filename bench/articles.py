"""News-length bench articles, stitched from the English passages shipped under
models/corpus/ with a fixed random seed, so every bench script times the same text."""

from __future__ import annotations

import json
import random
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "models" / "corpus"


def passages() -> list[str]:
    """Every English passage text of every corpus file, in file order."""
    out = []
    for path in sorted(CORPUS.rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if row.get("language", "en") == "en" and isinstance(row.get("text"), str):
                    out.append(row["text"])
    return out


def make_articles(n: int, *, words: int = 530, seed: int = 13) -> list[tuple[str, str, str]]:
    """n (id, title, text) items of about `words` words, deterministic for a seed."""
    pool = passages()
    if not pool:
        raise SystemExit(f"no English passages under {CORPUS}")
    rng = random.Random(seed)
    items = []
    for i in range(n):
        paras: list[str] = []
        count = 0
        while count < words:
            p = rng.choice(pool)
            paras.append(p)
            count += len(p.split())
        title = " ".join(rng.choice(pool).split()[:9]).rstrip(".,;:")
        items.append((f"bench-{i:05d}", title, "\n\n".join(paras)))
    return items
