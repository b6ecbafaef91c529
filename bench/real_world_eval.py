"""The shipped theme and tone models on real reporting written by others.

The shared feed fixtures (../shared/fixtures/feeds/real-world: Al Jazeera, BBC,
The Guardian, The Japan Times, Mint, NPR, The New York Times, Talking Points
Memo, The Hindu, The Washington Post; Ámbito, Clarín, La Nación and El País in
Spanish) were never used for training. models/corpus/real-world-labels.jsonl holds
this team's labels for 521 of their items (themes, and tone and frame toward the US
and China where the analyzer finds them), keyed by feed file and article id; the
texts stay in ../shared. Prints per-theme precision, recall and F1, how often items
about none of the themes are left untagged, and tone and frame macro-F1 against the
lexicon baseline. Asserts nothing.

    python bench/real_world_eval.py
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from narratives import themes as th  # noqa: E402
from narratives import tone as tn  # noqa: E402
from narratives.parse import parse_feed  # noqa: E402
from narratives.records import Feed  # noqa: E402

FEEDS = ROOT.parent / "shared" / "fixtures" / "feeds" / "real-world"
LABELS = ROOT / "models" / "corpus" / "real-world-labels.jsonl"


def load_items(keys: set[str]) -> dict[str, tuple[str, str]]:
    """key "<file>#<article id>" -> (title, text), parsed as the ingest parses them."""
    out: dict[str, tuple[str, str]] = {}
    for name in sorted({k.split("#", 1)[0] for k in keys}):
        feed = Feed(name=name.rsplit(".", 1)[0], url=f"file://{FEEDS / name}")
        for a in parse_feed((FEEDS / name).read_bytes(), feed):
            out[f"{name}#{a.id}"] = (a.title, a.text[:1500])
    return out


def theme_figures(rows: list[dict], items: dict[str, tuple[str, str]], label: str) -> None:
    model = th.ThemeModel.load()
    texts = [f"{items[r['key']][0]}\n{items[r['key']][1]}" for r in rows]
    m = th.evaluate(model, [{"text": t, "themes": r["themes"]} for t, r in zip(texts, rows,
                                                                                strict=True)])
    print(f"\nthemes, {label}: {len(rows)} items ({model.version})")
    print(f"{'theme':15s} {'precision':>9s} {'recall':>7s} {'f1':>6s} {'support':>8s}")
    for theme, f in m["per_theme"].items():
        print(f"{theme:15s} {f['precision']:9.3f} {f['recall']:7.3f} {f['f1']:6.3f} "
              f"{f['support']:8d}")
    for avg in ("micro", "macro"):
        print(f"{avg:15s} {m[avg]['precision']:9.3f} {m[avg]['recall']:7.3f} "
              f"{m[avg]['f1']:6.3f}")
    untagged = [not any(s.assigned for s in scores) for scores in model.predict(texts)]
    none_rows = [u for u, r in zip(untagged, rows, strict=True) if not r["themes"]]
    if none_rows:
        print(f"items about none of the themes left untagged: {sum(none_rows)} of "
              f"{len(none_rows)} ({sum(none_rows) / len(none_rows):.0%})")


def tone_figures(rows: list[dict], items: dict[str, tuple[str, str]]) -> None:
    from narratives.analyze import Analyzer

    judged = [r for r in rows if "actors" in r]
    keys = sorted({r["key"] for r in judged})
    analyses = dict(zip(keys, Analyzer().analyze((k, *items[k]) for k in keys), strict=True))
    gold = [(r["key"], actor, j) for r in judged for actor, j in r["actors"].items()]
    present = [(k, a, j) for k, a, j in gold if j.get("present")]
    labelled = {(k, a): j["present"] for k, a, j in gold}
    found = [(k, m.actor) for k in keys for m in analyses[k].actors
             if m.actor in ("US", "China")]
    judged_now = [labelled[f] for f in found if f in labelled]
    print(f"\ntone: {len(gold)} labelled actor judgements in {len(keys)} items "
          f"({len(present)} refer to the actor). The analyzer now finds {len(found)} US/China "
          f"mentions there: {sum(judged_now)} of the {len(judged_now)} labelled ones are real "
          f"({sum(judged_now) / max(len(judged_now), 1):.0%} actor precision), "
          f"{len(found) - len(judged_now)} unlabelled; it misses "
          f"{sum(1 for (k, a), v in labelled.items() if v and (k, a) not in set(found))} "
          "labelled real ones")
    for name, model in (("shipped model", tn.ToneModel.load()),
                        ("lexicon", tn.ToneModel(method="lexicon", version="lexicon"))):
        by_key = {(k, t.actor): t
                  for k, tones in zip(keys, model.score_many([analyses[k] for k in keys]),
                                      strict=True)
                  for t in tones}
        pairs = [(j, by_key.get((k, a))) for k, a, j in present]
        pairs = [(j, t) for j, t in pairs if t is not None]
        tone = tn.metrics([j["tone"] for j, _ in pairs], [t.tone_label for _, t in pairs])
        frame = tn.metrics([j["frame"] for j, _ in pairs], [t.frame for _, t in pairs])
        print(f"{name:14s} tone accuracy {tone['accuracy']:.3f} macro-F1 {tone['macro_f1']:.3f}; "
              f"frame accuracy {frame['accuracy']:.3f} macro-F1 {frame['macro_f1']:.3f} "
              f"({len(pairs)} judgements)")
    print("gold tone:", dict(Counter(j["tone"] for _, _, j in present)),
          "frame:", dict(Counter(j["frame"] for _, _, j in present)))


def main() -> None:
    if not FEEDS.is_dir():
        raise SystemExit(f"needs the shared feed fixtures at {FEEDS} (absent here)")
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    items = load_items({r["key"] for r in rows})
    missing = [r["key"] for r in rows if r["key"] not in items]
    if missing:
        raise SystemExit(f"{len(missing)} labelled items not found in {FEEDS}, e.g. {missing[0]}")
    for lang, label in (("en", "English"), ("es", "Spanish")):
        theme_figures([r for r in rows if r["lang"] == lang], items, label)
    tone_figures(rows, items)


if __name__ == "__main__":
    main()
