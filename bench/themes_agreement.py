"""How consistent the theme labels are, and what the audit changed.

models/corpus/themes-audit.jsonl records, for every audited passage of the theme
corpus, the writer's original themes, a second annotator's themes (labelled blind
under the rule in models/corpus/README.md, passages shuffled across the parts audited
together, ids hidden) and the final themes, where every disagreement was decided by a third
annotator who saw only the passage and the themes in question. The corpus carries
the final themes. Prints per-theme agreement of the second annotator with the
original labels, how many labels the audit changed, and the shipped model's
macro-F1 on the fixed test split against the final and against the original labels.
Asserts nothing.

    python bench/themes_agreement.py
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import cohen_kappa_score, f1_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from narratives import themes as th  # noqa: E402

AUDIT = th.CORPUS_DIR.parent / "themes-audit.jsonl"


def agreement(audit: list[dict], names: tuple[str, ...], title: str) -> None:
    y = th.label_matrix(audit, names, "original")
    s = th.label_matrix(audit, names, "second")
    f1 = [f1_score(y[:, j], s[:, j], zero_division=0) for j in range(len(names))]
    kappa = [cohen_kappa_score(y[:, j], s[:, j]) for j in range(len(names))]
    print(f"\n{title}: {len(audit)} passages; second annotator against the original labels: "
          f"macro-F1 {np.mean(f1):.3f}, mean kappa {np.mean(kappa):.3f}, same themes on "
          f"{np.mean((y == s).all(axis=1)):.0%} of passages")
    print(f"{'theme':15s} {'f1':>6s} {'kappa':>6s} {'original':>9s} {'second':>7s} {'final':>6s}")
    final = th.label_matrix(audit, names, "final")
    for j, t in enumerate(names):
        print(f"{t:15s} {f1[j]:6.3f} {kappa[j]:6.3f} {y[:, j].sum():9d} {s[:, j].sum():7d} "
              f"{final[:, j].sum():6d}")
    changed = sum(set(a["final"]) != set(a["original"]) for a in audit)
    print(f"passages whose themes the audit changed: {changed} "
          f"({changed / max(len(audit), 1):.0%})")


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0],
                            formatter_class=argparse.RawDescriptionHelpFormatter,
                            epilog="\n".join(__doc__.splitlines()[2:])).parse_args()
    if not AUDIT.exists():
        raise SystemExit(f"{AUDIT} is missing")
    audit = [json.loads(line) for line in AUDIT.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    names = th.theme_names()
    test_rows = th.held_out_rows()
    test_ids = {r["id"] for r in test_rows}
    agreement([a for a in audit if a["id"][0] in "ABC"], names, "parts a-c")
    agreement([a for a in audit if a["id"] in test_ids], names, "the test split (parts a-c)")
    for letters, title in (("DE", "parts d and e1-e4"), ("F", "parts f1-f6")):
        group = [a for a in audit if a["id"][0] in letters]
        if group:
            agreement(group, names, title)
    model = th.ThemeModel.load()
    original = {a["id"]: a["original"] for a in audit}
    for label, rows in (
            ("final labels", test_rows),
            ("original labels", [dict(r, themes=original.get(r["id"], r["themes"]))
                                 for r in test_rows])):
        m = th.evaluate(model, rows)
        print(f"\n{model.version} on the {len(rows)} test passages, {label}: macro-F1 "
              f"{m['macro']['f1']:.3f}, micro-F1 {m['micro']['f1']:.3f}, lowest theme "
              f"{min(m['per_theme'].items(), key=lambda kv: kv[1]['f1'])[0]} "
              f"{min(f['f1'] for f in m['per_theme'].values()):.3f}")


if __name__ == "__main__":
    main()
