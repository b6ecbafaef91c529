"""The whole main job on the shipped sample feeds: ingest, analyse, re-run, reprocess.

Uses the real spaCy pipeline, the shipped theme model and the tone method, on a
real SQLite file."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from narratives.cli import main
from narratives.store import Store

from .conftest import ROOT

SAMPLES = ROOT / "narratives" / "data" / "samples"


def test_demo_feeds_ingest_analyse_and_rerun(tmp_path: Path) -> None:
    work = tmp_path / "samples"
    shutil.copytree(SAMPLES, work)
    db = tmp_path / "demo.db"
    runner = CliRunner()
    args = ["ingest", "--feeds", str(work / "demo-feeds.yaml"), "--db", str(db)]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    with Store(db) as s:
        n = s.db["articles"].count
        assert n >= 60
        assert s.count_to_analyze() == 0
        actors = dict(s.db.execute(
            "SELECT actor, COUNT(*) FROM article_actors GROUP BY actor").fetchall())
        assert actors.get("US", 0) >= 15 and actors.get("China", 0) >= 15
        toned = s.db.execute(
            "SELECT COUNT(*) FROM article_actors WHERE tone BETWEEN -1 AND 1 AND frame IS NOT NULL"
        ).fetchone()[0]
        assert toned == s.db["article_actors"].count
        themed = s.db.execute(
            "SELECT COUNT(DISTINCT article_id) FROM article_themes WHERE assigned = 1"
        ).fetchone()[0]
        assert themed >= n * 0.6
        prov = s.db.execute("SELECT analysis_provenance FROM articles LIMIT 1").fetchone()[0]
        assert "spacy_model" in prov and "theme_model" in prov and "actor_registry" in prov
    again = runner.invoke(main, args)
    assert again.exit_code == 0
    assert "0 new, 0 updated" in again.output and "0 analysed" in again.output
    redo = runner.invoke(main, ["reprocess", "--db", str(db)])
    assert redo.exit_code == 0 and f"reprocess: {n} articles analysed" in redo.output
    with Store(db) as s:
        assert s.db["articles"].count == n
    report = runner.invoke(main, ["report", "trends", "--db", str(db), "--format", "csv"])
    assert report.exit_code == 0 and "us_share" in report.output
