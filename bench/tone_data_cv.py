"""Do more tone examples help? Cross-validation that never touches the test split.

5-fold cross-validation over the training examples of models/corpus/tone.jsonl,
grouped by passage, with the examples of FILE (default models/corpus/tone-pending.jsonl)
added to every training fold and never scored: tone and frame macro-F1 on the same
examples, with and without them, and the change of their sum fold by fold with its mean
and standard error. A batch of examples joins tone.jsonl when that mean is positive and
at least twice its standard error (a smaller change is within the noise of the folds).
Also the figures on the fixed test split, for information only. Asserts nothing.

    python bench/tone_data_cv.py [FILE]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from narratives import tone  # noqa: E402
from narratives.analyze import Analyzer  # noqa: E402


def scores(train: list[tone.Example], test: list[tone.Example]) -> list[float]:
    features, tone_clf, frame_clf = tone.fit(train)
    x = features.transform([e.text for e in test])
    return [float(f1_score([getattr(e, label) for e in test], clf.predict(x), average="macro"))
            for label, clf in (("tone", tone_clf), ("frame", frame_clf))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[2:]))
    ap.add_argument("file", nargs="?", type=Path,
                    default=tone.CORPUS.with_name("tone-pending.jsonl"),
                    help="labelled examples to judge (default: %(default)s)")
    extra_path = ap.parse_args().file
    try:
        rows, extra_rows = tone.read_corpus(), tone.read_corpus(extra_path)
    except tone.ConfigError as exc:
        raise SystemExit(f"error: {exc}") from None
    texts = sorted({r["text"] for r in rows + extra_rows})
    analyses = dict(zip(texts, Analyzer().analyze((str(i), "", t) for i, t in enumerate(texts)),
                        strict=True))
    held_out = tone.held_out_ids(rows, tone.split_file(tone.CORPUS))
    examples = tone.examples_from(rows, analyses)
    train = [e for e in examples if e.id not in held_out]
    test = [e for e in examples if e.id in held_out]
    extra = tone.examples_from(extra_rows, analyses)
    passage = {r["id"]: r["text"] for r in rows}
    folds = list(GroupKFold(5).split(train, groups=[passage[e.id] for e in train]))
    print(f"{len(train)} training examples scored out of fold; {len(extra)} added from "
          f"{extra_path.name}")
    per_fold = {}
    for label, added in (("without them", []), ("with them", extra)):
        per_fold[label] = np.array([scores([train[i] for i in a] + added,
                                           [train[i] for i in b]) for a, b in folds])
        cv = per_fold[label].mean(axis=0)
        t = scores(train + added, test)
        print(f"{label:13s} CV tone {cv[0]:.3f} frame {cv[1]:.3f} | fixed test split tone "
              f"{t[0]:.3f} frame {t[1]:.3f}")
    change = (per_fold["with them"] - per_fold["without them"]).sum(axis=1)
    se = change.std(ddof=1) / np.sqrt(len(change))
    verdict = "join" if change.mean() > 0 and change.mean() >= 2 * se else "stay out"
    print(f"change of tone+frame per fold: {' '.join(f'{c:+.4f}' for c in change)}; mean "
          f"{change.mean():+.4f}, standard error {se:.4f}: they {verdict}")


if __name__ == "__main__":
    main()
