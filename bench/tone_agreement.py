"""How far the tone targets are from what people agree on: a second annotator's labels
for the fixed test split (models/corpus/tone-second-annotator.jsonl, labelled blind
under the guide in models/corpus/README.md) against the corpus's gold labels, next
to the shipped model and the lexicon baseline on the same examples. Asserts nothing.

    python bench/tone_agreement.py
"""

from __future__ import annotations

import argparse

from sklearn.metrics import cohen_kappa_score

from narratives import tone
from narratives.analyze import Analyzer

SECOND = tone.MODELS / "corpus" / "tone-second-annotator.jsonl"


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0],
                            formatter_class=argparse.RawDescriptionHelpFormatter,
                            epilog="\n".join(__doc__.splitlines()[2:])).parse_args()
    gold = {r["id"]: r for r in tone.read_corpus()}
    second = {r["id"]: r for r in tone.read_corpus(SECOND)}
    ids = sorted(second)
    print(f"{len(ids)} test examples with a second annotator's labels")
    for target in ("tone", "frame"):
        y = [gold[i][target] for i in ids]
        p = [second[i][target] for i in ids]
        m = tone.metrics(y, p)
        print(f"second annotator {target:5s}: accuracy {m['accuracy']:.3f}, macro-F1 "
              f"{m['macro_f1']:.3f}, Cohen's kappa {cohen_kappa_score(y, p):.3f}")
    analyzer = Analyzer()
    for name, model in (("shipped model", tone.ToneModel.load()),
                        ("lexicon", tone.ToneModel(method="lexicon", version="lexicon"))):
        figures = tone.measure(model, analyzer=analyzer)
        print(f"{name:16s} tone macro-F1 {figures['tone']['macro_f1']:.3f}, "
              f"frame macro-F1 {figures['frame']['macro_f1']:.3f}")


if __name__ == "__main__":
    main()
