"""Precision and recall of actor detection on the labeled evaluation passages.

Each line of the evaluation set is {"id", "text", "actors": [...], "countries":
[...], "hard_case"}; an actor is predicted present when the analysis has at least
one mention of it. The targets for US and China are precision >= 0.95 and
recall >= 0.90.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import MODELS
from .errors import InputError

EVAL_SET = MODELS / "corpus" / "actors-eval.jsonl"
SCORED = ("US", "China")
TARGET_PRECISION = 0.95
TARGET_RECALL = 0.90


@dataclass(frozen=True)
class ActorScore:
    actor: str
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def meets_target(self) -> bool:
        return self.precision >= TARGET_PRECISION and self.recall >= TARGET_RECALL


@dataclass(frozen=True)
class Mistake:
    id: str
    actor: str
    error: str  # "false positive" or "missed"
    text: str
    surfaces: tuple[str, ...] = ()  # what was matched, for false positives


@dataclass(frozen=True)
class EvalResult:
    path: Path
    passages: int
    hard_cases: int
    scores: dict[str, ActorScore]
    mistakes: tuple[Mistake, ...] = ()
    provenance: dict[str, str] = field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        """One row per actor, ready to print."""
        return [
            {"actor": s.actor, "tp": s.tp, "fp": s.fp, "fn": s.fn,
             "precision": round(s.precision, 3), "recall": round(s.recall, 3),
             "f1": round(s.f1, 3), "target_met": s.meets_target}
            for s in self.scores.values()
        ]


def load_passages(path: Path = EVAL_SET) -> list[dict[str, Any]]:
    """The labeled passages; a bad line is an InputError naming it."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    rows = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str) \
                or not isinstance(row.get("actors"), list):
            raise InputError(f"{path}:{n}: expected an object with text and actors")
        row.setdefault("id", f"line-{n}")
        rows.append(row)
    return rows


def evaluate(
    path: Path = EVAL_SET,
    *,
    analyzer: Any = None,
    actors: tuple[str, ...] = SCORED,
) -> EvalResult:
    """Run the analyzer over the evaluation set and score actor detection."""
    if analyzer is None:
        from .analyze import Analyzer

        analyzer = Analyzer()
    rows = load_passages(path)
    counts = {a: [0, 0, 0] for a in actors}
    mistakes: list[Mistake] = []
    analyses = analyzer.analyze((str(r["id"]), "", r["text"]) for r in rows)
    for row, analysis in zip(rows, analyses, strict=True):
        gold = set(row["actors"])
        found = {m.actor: m for m in analysis.actors}
        for actor in actors:
            predicted = actor in found
            if predicted and actor in gold:
                counts[actor][0] += 1
            elif predicted:
                counts[actor][1] += 1
                mistakes.append(Mistake(str(row["id"]), actor, "false positive", row["text"],
                                        tuple(s for s, _ in found[actor].entities)))
            elif actor in gold:
                counts[actor][2] += 1
                mistakes.append(Mistake(str(row["id"]), actor, "missed", row["text"]))
    return EvalResult(
        path=path,
        passages=len(rows),
        hard_cases=sum(1 for r in rows if r.get("hard_case")),
        scores={a: ActorScore(a, *c) for a, c in counts.items()},
        mistakes=tuple(mistakes),
        provenance=dict(getattr(analyzer, "provenance", {})),
    )
