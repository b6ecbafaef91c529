"""Print precision and recall of actor detection on models/corpus/actors-eval.jsonl.

    python bench/actor_eval.py [--eval FILE] [--model NAME] [--errors]
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from narratives.actor_eval import (  # noqa: E402
    EVAL_SET,
    TARGET_PRECISION,
    TARGET_RECALL,
    evaluate,
)
from narratives.analyze import Analyzer  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval", type=Path, default=EVAL_SET, help="labeled passages (JSONL)")
    ap.add_argument("--model", default=None, help="spaCy pipeline name")
    ap.add_argument("--errors", action="store_true", help="list every mistake")
    args = ap.parse_args()

    result = evaluate(args.eval, analyzer=Analyzer(model=args.model))
    print(f"{result.passages} passages ({result.hard_cases} hard cases) from {result.path}")
    print(", ".join(f"{k}: {v}" for k, v in result.provenance.items()))
    print(f"targets: precision >= {TARGET_PRECISION}, recall >= {TARGET_RECALL}\n")
    print(f"{'actor':8s} {'tp':>5s} {'fp':>5s} {'fn':>5s} {'precision':>10s} {'recall':>8s} "
          f"{'f1':>6s}  target")
    for row in result.rows():
        print(f"{row['actor']:8s} {row['tp']:5d} {row['fp']:5d} {row['fn']:5d} "
              f"{row['precision']:10.3f} {row['recall']:8.3f} {row['f1']:6.3f}  "
              f"{'met' if row['target_met'] else 'NOT MET'}")
    if args.errors:
        for m in result.mistakes:
            extra = f" via {', '.join(m.surfaces)}" if m.surfaces else ""
            print(f"\n[{m.id}] {m.actor} {m.error}{extra}")
            print(textwrap.indent(textwrap.fill(m.text, 100), "    "))
    return 0 if all(s.meets_target for s in result.scores.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
