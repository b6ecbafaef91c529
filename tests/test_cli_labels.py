from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from narratives.cli import main
from narratives.parse import parse_feed
from narratives.records import Analysis, Feed, ThemeScore
from narratives.store import Store
from narratives.themes import ThemeModel, theme_names

from .conftest import rss

FEED = Feed(name="f", url="https://f.example/rss")


def _db(tmp_path: Path) -> tuple[Path, list[str]]:
    """Three analysed articles whose mining scores sit at, near and far from the threshold."""
    model = ThemeModel.load()
    th = model.thresholds["mining"]
    path = tmp_path / "l.db"
    ids = []
    with Store(path) as s:
        s.sync_feeds([FEED])
        for i, score in enumerate([th, min(0.99, th + 0.3), 0.0]):
            (art,) = parse_feed(rss([{"title": f"t{i}", "link": f"https://f.example/{i}",
                                      "description": "=lithium", "pubDate":
                                      "Tue, 08 Sep 2026 10:00:00 GMT"}]), FEED)
            scores = tuple(ThemeScore(theme=t, score=score if t == "mining" else 0.0,
                                      assigned=t == "mining" and score >= th)
                           for t in theme_names())
            s.save_feed("f", [art], status=200, etag=None, last_modified=None)
            s.save_analyses([(Analysis(article_id=art.id, themes=scores), art.content_hash)])
            ids.append(art.id)
    return path, ids


def test_export_ranks_least_sure_first_and_import_round_trips(tmp_path: Path) -> None:
    db, ids = _db(tmp_path)
    out = tmp_path / "to-label.csv"
    runner = CliRunner()
    r = runner.invoke(main, ["label", "export", "--db", str(db), "--uncertain", "2",
                             "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbfarticle_id,")  # a BOM, for Excel
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig", newline="")))
    assert [x["article_id"] for x in rows] == [ids[0], ids[1]]
    assert rows[0]["text"] == "'=lithium"  # spreadsheet-safe
    rows[0]["themes"] = "mining; Environment"
    # as a spreadsheet saves it: with the byte order mark kept
    with out.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    r = runner.invoke(main, ["label", "import", str(out), "--db", str(db)])
    assert r.exit_code == 0 and "imported 2 labels" in r.output
    with Store(db) as s:
        labels = {x["id"]: x["themes"] for x in s.labeled_texts()}
    assert labels[ids[0]] == ["environment", "mining"]


def test_import_is_all_or_nothing(tmp_path: Path) -> None:
    db, ids = _db(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text(f"article_id,themes\n{ids[0]},mining\n{ids[1]},mines\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["label", "import", str(bad), "--db", str(db)])
    assert r.exit_code == 1
    assert "line 3: unknown theme 'mines'; valid: infrastructure" in r.output
    unknown = tmp_path / "unknown.csv"
    unknown.write_text(f"article_id,themes\n{ids[0]},mining\nnope,trade\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["label", "import", str(unknown), "--db", str(db)])
    assert r.exit_code == 1 and "not in" in r.output and "nothing was imported" in r.output
    with Store(db) as s:
        assert s.db["labels"].count == 0


def test_export_cuts_spanish_articles_at_the_text_thresholds(tmp_path: Path) -> None:
    """The model cuts Spanish text at its TF-IDF thresholds: the guesses, the threshold
    column and the ranking in the file must follow the same cut as the stored themes."""
    model = ThemeModel.load()
    en, es = model.thresholds["finance"], model.text_thresholds["finance"]
    assert es < en  # the case below needs a score between the two cuts
    score = (en + es) / 2
    path = tmp_path / "es.db"
    texts = {"es": "El gobierno boliviano firmó un crédito con un banco chino para la planta.",
             "en": "The Bolivian government signed a loan with a Chinese bank for the plant."}
    with Store(path) as s:
        s.sync_feeds([FEED])
        for key, text in texts.items():
            (art,) = parse_feed(rss([{"title": "", "link": f"https://f.example/{key}",
                                      "description": text, "pubDate":
                                      "Tue, 08 Sep 2026 10:00:00 GMT"}]), FEED)
            cut = es if key == "es" else en
            scores = tuple(ThemeScore(theme=t, score=score if t == "finance" else 0.0,
                                      assigned=t == "finance" and score >= cut)
                           for t in theme_names())
            s.save_feed("f", [art], status=200, etag=None, last_modified=None)
            s.save_analyses([(Analysis(article_id=art.id, themes=scores), art.content_hash)])
    out = tmp_path / "to-label.csv"
    r = CliRunner().invoke(main, ["label", "export", "--db", str(path), "-o", str(out)])
    assert r.exit_code == 0, r.output
    rows = {x["url"].rsplit("/", 1)[-1]: x
            for x in csv.DictReader(out.open(encoding="utf-8-sig", newline=""))}
    assert rows["es"]["themes"] == "finance" and rows["en"]["themes"] == ""
    assert float(rows["es"]["threshold"]) == round(es, 3)
    assert float(rows["en"]["threshold"]) == round(en, 3)


def test_export_to_stdout_has_no_bom_and_an_empty_export_has_its_header(
        tmp_path: Path) -> None:
    db, ids = _db(tmp_path)
    r = CliRunner().invoke(main, ["label", "export", "--db", str(db), "--uncertain", "1",
                                  "-o", "-"])
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("article_id,themes,") and ids[0] in r.stdout
    assert not (tmp_path / "-").exists()
    empty = tmp_path / "empty.db"
    with Store(empty) as s:
        s.sync_feeds([FEED])
    out = tmp_path / "none.csv"
    r = CliRunner().invoke(main, ["label", "export", "--db", str(empty), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes() == (b"\xef\xbb\xbfarticle_id,themes,least_sure_theme,score,"
                                b"threshold,published,feed,title,url,text\r\n")
