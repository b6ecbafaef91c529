"""`narratives train` and `narratives evaluate`: exit codes and exact messages."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from narratives.cli import main
from narratives.themes import ThemeModel, theme_names

from .test_themes import small_corpus

NAMES = theme_names()


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`narratives train` on a slice of the corpus: (models folder, command output)."""
    base = tmp_path_factory.mktemp("cli-themes")
    corpus = small_corpus(base / "corpus" / "themes", per_theme=12)
    out = base / "models"
    r = CliRunner().invoke(main, ["train", "--corpus", str(corpus), "--out", str(out),
                                  "--db", str(base / "absent.db")])
    assert r.exit_code == 0, r.output
    return out, r.output


def test_train_reports_and_writes_model_and_card(trained: tuple[Path, str]) -> None:
    out, output = trained
    [model] = out.glob("themes-*.skops")
    assert model.with_suffix(".json").exists() and model.with_suffix(".md").exists()
    assert output.startswith(f"trained {model.stem} on ")
    assert "analysts' labels; tested on " in output
    assert all(f"\n{t} " in output for t in NAMES)
    assert output.rstrip().endswith("and its card; run `narratives reprocess` to re-tag "
                                    "stored articles")


def test_evaluate_on_a_labeled_file_as_csv(trained: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = trained
    src = tmp_path / "labeled.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in [
        {"text": "The central bank refinanced the state utility's debt with a new loan.",
         "themes": ["finance"]},
        {"id": "b", "text": "Police seized cocaine bound for Europe.", "themes": ["security"]},
    ]) + "\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["evaluate", "--model", str(out), "--input", str(src),
                                  "--format", "csv"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [x["theme"] for x in rows] == [*NAMES, "micro", "macro"]
    assert list(rows[0]) == ["theme", "threshold", "precision", "recall", "f1", "support"]
    assert rows[-1]["support"] == "2"
    assert " on " in r.stderr and "(2 passages)" in r.stderr


def test_evaluate_unknown_theme_names_the_line(trained: tuple[Path, str],
                                               tmp_path: Path) -> None:
    out, _ = trained
    src = tmp_path / "bad.jsonl"
    src.write_text('{"text": "Copper miners strike.", "themes": ["mining"]}\n'
                   '{"text": "A derby.", "themes": ["sport"]}\n', encoding="utf-8")
    r = CliRunner().invoke(main, ["evaluate", "--model", str(out), "--input", str(src)])
    assert r.exit_code == 1
    assert r.stderr == (f"Error: {src}:2: unknown theme 'sport' in \"themes\"; valid: "
                        f"{', '.join(sorted(NAMES))}\n")


def test_evaluate_without_a_model_says_how_to_fix(tmp_path: Path) -> None:
    r = CliRunner().invoke(main, ["evaluate", "--model", str(tmp_path)])
    assert r.exit_code == 2
    assert r.stderr == (f"Error: {tmp_path}: no theme model (themes-*.skops); "
                        "run `narratives train`\n")


def test_evaluate_missing_input_file(trained: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = trained
    r = CliRunner().invoke(main, ["evaluate", "--model", str(out),
                                  "--input", str(tmp_path / "nope.jsonl")])
    assert r.exit_code == 1
    assert r.stderr.startswith(f"Error: {tmp_path / 'nope.jsonl'}: cannot read")


def test_evaluate_defaults_to_the_shipped_model_on_the_test_split() -> None:
    r = CliRunner().invoke(main, ["evaluate", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    macro = rows[-1]
    card = ThemeModel.load().card
    assert macro["theme"] == "macro"
    assert macro["f1"] == pytest.approx(card["test"]["macro"]["f1"], abs=1e-3)
    assert "on the held-out test split" in r.stderr


def test_commands_are_documented() -> None:
    for cmd in ("train", "evaluate"):
        r = CliRunner().invoke(main, [cmd, "--help"])
        assert r.exit_code == 0 and "Example:" in r.output


def test_evaluate_a_mistyped_model_path_says_to_check_it(tmp_path: Path) -> None:
    missing = tmp_path / "nonexist.skops"
    r = CliRunner().invoke(main, ["evaluate", "--model", str(missing)])
    assert r.exit_code == 2
    assert r.stderr == (f"Error: {missing}: no such file; check the path (a theme model is a "
                        ".skops file made by `narratives train`)\n")


@pytest.mark.parametrize("content", [b"SQLite format 3\x00" + bytes(2000), b"id,themes\n"])
def test_evaluate_a_file_that_is_not_a_model_says_so(tmp_path: Path, content: bytes) -> None:
    other = tmp_path / "demo.db"
    other.write_bytes(content)
    r = CliRunner().invoke(main, ["evaluate", "--model", str(other)])
    assert r.exit_code == 2
    assert r.stderr == (f"Error: {other}: not a theme model file (a .skops file made by "
                        "`narratives train`); check the path\n")
