"""Analysts' labels: the CSV reader (all or nothing, bad lines named) and the
uncertainty ranking used by `narratives label export`."""

from __future__ import annotations

from pathlib import Path

import pytest

from narratives.errors import InputError
from narratives.labels import margin, parse_labels, rank_uncertain, read_labels_csv
from narratives.themes import theme_names

NAMES = theme_names()


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "labels.csv"
    path.write_text(text, encoding=encoding)
    return path


def test_reads_ids_and_themes_ignoring_other_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "title,article_id,themes,score\n"
                           "A,a1, Mining ;environment;mining,0.4\n"
                           "B,a2,,0.1\n"
                           "\n"
                           "C,a3,security,0.9\n", encoding="utf-8-sig")
    assert read_labels_csv(path, NAMES) == [
        ("a1", ("environment", "mining")), ("a2", ()), ("a3", ("security",))]


def test_unknown_theme_names_the_line_and_the_valid_names(tmp_path: Path) -> None:
    path = write(tmp_path, "article_id,themes\na1,mining\na2,mining;sport\n")
    with pytest.raises(InputError) as exc:
        read_labels_csv(path, NAMES)
    assert str(exc.value) == (
        f"{path}: line 3: unknown theme 'sport'; valid: {', '.join(NAMES)} "
        "(separate them with ';')")


def test_commas_inside_the_themes_cell_are_not_a_separator() -> None:
    with pytest.raises(InputError, match="line 2: unknown theme 'mining, trade'"):
        parse_labels('article_id,themes\na1,"mining, trade"\n', NAMES)


def test_empty_and_repeated_ids_are_errors() -> None:
    with pytest.raises(InputError, match=r"^labels: line 2: empty article_id$"):
        parse_labels("article_id,themes\n ,mining\n", NAMES)
    with pytest.raises(InputError, match="line 3: article a1 already labeled on line 2"):
        parse_labels("article_id,themes\na1,mining\na1,trade\n", NAMES)


def test_missing_columns_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="line 1: missing column themes; the header needs "
                                         "article_id,themes"):
        parse_labels("article_id,labels\na1,mining\n", NAMES)
    with pytest.raises(InputError, match="cannot read"):
        read_labels_csv(tmp_path / "nope.csv", NAMES)
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("article_id,themes\nañ,mining\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8 text"):
        read_labels_csv(bad, NAMES)


def test_margin_is_zero_on_the_threshold_and_one_at_the_ends() -> None:
    assert margin(0.4, 0.4) == 0
    assert margin(1.0, 0.4) == pytest.approx(1.0)
    assert margin(0.0, 0.4) == pytest.approx(1.0)
    assert margin(0.5, 0.4) == pytest.approx(0.1 / 0.6)
    assert margin(0.3, 0.4) == pytest.approx(0.25)


def test_rank_uncertain_orders_by_the_closest_call() -> None:
    thresholds = {"mining": 0.5, "trade": 0.3}
    scores = {
        "sure": {"mining": 0.99, "trade": 0.01},
        "close-mining": {"mining": 0.52, "trade": 0.0},
        "close-trade": {"mining": 0.0, "trade": 0.29},
        "tie-b": {"mining": 0.75, "trade": 0.0},
        "tie-a": {"mining": 0.75, "trade": 0.0},
        "unknown-theme-only": {"sport": 0.5},
    }
    ranked = rank_uncertain(scores, thresholds)
    assert [u.article_id for u in ranked] == ["close-trade", "close-mining", "tie-a", "tie-b",
                                              "sure"]
    first = ranked[0]
    assert (first.theme, first.score, first.threshold) == ("trade", 0.29, 0.3)
    assert [u.article_id for u in rank_uncertain(scores, thresholds, 2)] == [
        "close-trade", "close-mining"]
