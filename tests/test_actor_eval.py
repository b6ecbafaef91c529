"""Actor detection meets its targets on the labeled evaluation passages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from narratives.actor_eval import (
    EVAL_SET,
    TARGET_PRECISION,
    TARGET_RECALL,
    evaluate,
    load_passages,
)
from narratives.analyze import Analyzer
from narratives.errors import InputError

from .nlp_fixtures import shared_analyzer


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return shared_analyzer()


def test_us_and_china_meet_precision_and_recall_targets(analyzer: Analyzer) -> None:
    if not EVAL_SET.is_file():
        pytest.skip(f"evaluation set {EVAL_SET} is absent")
    result = evaluate(EVAL_SET, analyzer=analyzer)
    assert result.passages >= 300
    report = "; ".join(
        f"{r['actor']}: P={r['precision']:.3f} R={r['recall']:.3f} "
        f"(tp {r['tp']}, fp {r['fp']}, fn {r['fn']})" for r in result.rows())
    for actor in ("US", "China"):
        score = result.scores[actor]
        assert score.precision >= TARGET_PRECISION, report
        assert score.recall >= TARGET_RECALL, report


def test_evaluation_counts_hits_misses_and_false_alarms(tmp_path: Path,
                                                       analyzer: Analyzer) -> None:
    rows = [
        {"id": "1", "text": "Beijing signed the deal.", "actors": ["China"]},
        {"id": "2", "text": "Fishing in the South China Sea.", "actors": []},
        {"id": "3", "text": "The Washington Post reported it.", "actors": ["US"]},  # missed
        {"id": "4", "text": "Americans in Lima.", "actors": []},  # a false alarm by the labels
    ]
    path = tmp_path / "eval.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    result = evaluate(path, analyzer=analyzer)
    china, us = result.scores["China"], result.scores["US"]
    assert (china.tp, china.fp, china.fn) == (1, 0, 0)
    assert (us.tp, us.fp, us.fn) == (0, 1, 1)
    assert us.precision == 0.0 and china.recall == 1.0
    assert {(m.id, m.error) for m in result.mistakes} == {("3", "missed"),
                                                          ("4", "false positive")}


def test_bad_evaluation_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "eval.jsonl"
    path.write_text('{"id": "1", "text": "x", "actors": []}\n{oops\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"eval\.jsonl:2: not valid JSON"):
        load_passages(path)
