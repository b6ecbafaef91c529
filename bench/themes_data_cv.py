"""Does a part of the theme corpus help? Cross-validation that never touches the test split.

The folds are over the training passages of the audited parts (a-c by default: ids
starting with A, B or C), made by the same iterative stratification as `narratives
train`. The other parts are added to every training fold and never scored, so the
figures compare like with like: out-of-fold macro-F1 on the same passages, with and
without the extra parts, thresholds and blend weight chosen as `narratives train`
chooses them. Also prints how many hard negatives the out-of-fold predictions tag.
Asserts nothing.

    python bench/themes_data_cv.py                      # all other parts, and none
    python bench/themes_data_cv.py --extra part-d.jsonl
    python bench/themes_data_cv.py --add new.jsonl      # the other parts, and them plus new

`--add` takes labelled files outside the corpus (written for it, not yet in it), so a
new part can be judged before it joins.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from narratives import themes as th  # noqa: E402


def out_of_fold(base: list, extra: list, names: tuple[str, ...]) -> tuple[float, int, int]:
    proba, dense, reads = th.cross_validated(base, names, extra=extra)
    y = th.label_matrix(base, names)
    weight, thresholds, text_thresholds, _, metrics = th.choose_blend(y, proba, dense, reads,
                                                                       names)
    pred = th.assign(th.blend(proba, dense[reads], reads, weight), reads, thresholds,
                     text_thresholds, names)
    checks = th.hard_negative_checks(base, names)
    return metrics["macro"]["f1"], int(sum(pred[i, j] for i, j in checks)), len(checks)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="ABC", help="first letters of the ids scored")
    ap.add_argument("--extra", nargs="*", help="files in models/corpus/themes to add "
                    "(default: every part whose ids are not in --base)")
    ap.add_argument("--add", nargs="*", type=Path, default=[],
                    help="labelled JSON Lines files outside the corpus: compare the extra "
                    "parts alone with the extra parts plus these")
    args = ap.parse_args()
    names = th.theme_names()
    train, _ = th.split(th.read_corpus())
    base = [r for r in train if r["id"][0] in args.base]
    if args.extra is None:
        extra = [r for r in train if r["id"][0] not in args.base]
    else:
        ids = {r["id"] for f in args.extra
               for r in th.read_labeled(th.CORPUS_DIR / f, themes=names)}
        extra = [r for r in train if r["id"] in ids]
    added = [r for f in args.add for r in th.read_labeled(f, themes=names)]
    print(f"{len(base)} training passages scored out of fold; {len(extra)} extra"
          + (f"; {len(added)} added" if added else ""))
    runs = ((("the extra parts", extra), ("them and the added files", extra + added))
            if args.add else (("without the extra parts", []), ("with them", extra)))
    for label, rows in runs:
        macro, tagged, checks = out_of_fold(base, rows, names)
        print(f"{label:24s} macro-F1 {macro:.4f}; hard negatives tagged {tagged} of {checks}")


if __name__ == "__main__":
    main()
