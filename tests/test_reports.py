from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from narratives import MODELS, reports
from narratives.cli import main
from narratives.errors import UsageError
from narratives.parse import parse_feed
from narratives.records import (
    ActorMention,
    ActorTone,
    Analysis,
    CountryMention,
    Entity,
    Feed,
    ThemeScore,
)
from narratives.store import Store

from .conftest import rss

STATE = Feed(name="state", url="https://state.example/rss", outlet="State Wire", country="CN",
             state_backed=True, language="en")
INDIE = Feed(name="indie", url="https://indie.example/rss", outlet="Indie BO", country="BO",
             state_backed=False, language="es")
THEMES = reports.theme_names()


def _analysis(aid: str, *, us: float | None, china: float | None, themes: list[str],
              country: str = "BO") -> Analysis:
    actors, tones, ents = [], [], []
    for actor, tone in (("US", us), ("China", china)):
        if tone is None:
            continue
        actors.append(ActorMention(actor=actor, mentions=2))
        label = "positive" if tone > 0.2 else "negative" if tone < -0.2 else "neutral"
        tones.append(ActorTone(actor=actor, tone=tone, tone_label=label,  # type: ignore[arg-type]
                               frame="partner" if tone > 0 else "threat", frame_score=0.8))
        ents.append(Entity(text="Beijing" if actor == "China" else "Washington", label="GPE",
                           count=2, actor=actor))
    return Analysis(
        article_id=aid, entities=tuple(ents), actors=tuple(actors),
        countries=(CountryMention(code=country, name=country, mentions=3, weight=1.0,
                                  focus=True),),
        themes=tuple(ThemeScore(theme=t, score=0.9 if t in themes else 0.1,
                                assigned=t in themes) for t in THEMES),
        tones=tuple(tones), provenance={"theme_model": "test"},
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Week of 2026-09-07: 3 articles; week of 09-14: none; week of 09-21: 2 articles."""
    path = tmp_path / "r.db"
    with Store(path) as store:
        store.sync_feeds([STATE, INDIE])
        plan = [
            (STATE, "a1", "Tue, 08 Sep 2026 10:00:00 GMT", dict(us=-0.6, china=0.8,
                                                              themes=["mining", "finance"])),
            (STATE, "a2", "Wed, 09 Sep 2026 10:00:00 GMT", dict(us=None, china=0.5,
                                                              themes=["infrastructure"])),
            (INDIE, "a3", "Thu, 10 Sep 2026 10:00:00 GMT", dict(us=0.4, china=-0.2,
                                                              themes=["mining"])),
            (INDIE, "a4", "Tue, 22 Sep 2026 10:00:00 GMT", dict(us=0.2, china=None,
                                                              themes=["democracy"], country="PE")),
            (INDIE, "a5", "Wed, 23 Sep 2026 10:00:00 GMT", dict(us=None, china=None, themes=[])),
        ]
        for feed, slug, when, kw in plan:
            (art,) = parse_feed(rss([{"title": slug, "link": f"https://x.example/{slug}",
                                      "description": "text", "pubDate": when}]), feed)
            store.save_feed(feed.name, [art], status=200, etag=None, last_modified=None)
            store.save_analyses([(_analysis(art.id, **kw), art.content_hash)])
        store.record_failure("indie", run_id=None, error="HTTP 500", status=500,
                             next_attempt=None)
    return path


def test_trends_weekly_counts_shares_tone_and_zero_weeks(db: Path) -> None:
    with Store(db) as s:
        rep = reports.trends(s, reports.make_filters(s, until="2026-09-23"), by="week")
    assert [r["period"] for r in rep.rows] == ["2026-09-07", "2026-09-14", "2026-09-21"]
    w1, w2, w3 = rep.rows
    assert (w1["articles"], w1["us_articles"], w1["china_articles"], w1["both_articles"]) == (
        3, 2, 3, 2)
    assert w1["us_share"] == pytest.approx(2 / 3, abs=1e-3)
    assert w1["china_tone"] == pytest.approx((0.8 + 0.5 - 0.2) / 3, abs=1e-3)
    assert w1["china_top_themes"].startswith("mining (2)")
    assert w2["articles"] == 0 and w2["us_share"] is None
    assert w3["articles"] == 2 and w3["us_articles"] == 1
    assert rep.articles == 5 and (rep.first_day, rep.last_day) == ("2026-09-08", "2026-09-23")


@pytest.mark.parametrize("by", ["day", "week", "month"])
def test_trends_start_no_earlier_than_the_first_stored_article(db: Path, by: str) -> None:
    """Zero periods before anything was stored would be no coverage, not silence."""
    with Store(db) as s:
        ancient = reports.trends(s, reports.make_filters(s, since="0001-01-01",
                                                          until="2026-09-23"), by=by)
        later = reports.trends(s, reports.make_filters(s, since="2026-09-09",
                                                        until="2026-09-23"), by=by)
        # a filter that matches nothing early still starts where the database starts
        indie = reports.trends(s, reports.make_filters(s, since="2000-01-01", until="2026-09-23",
                                                        sources=["Indie BO"]), by=by)
    first = {"day": "2026-09-08", "week": "2026-09-07", "month": "2026-09"}[by]
    assert ancient.rows[0]["period"] == first and indie.rows[0]["period"] == first
    assert len(ancient.rows) == {"day": 16, "week": 3, "month": 1}[by]
    assert later.rows[0]["period"] == {"day": "2026-09-09", "week": "2026-09-07",
                                       "month": "2026-09"}[by]


def test_trends_without_an_end_run_to_today(db: Path) -> None:
    """A silence after the last article shows as zero periods up to today, and feeds
    failing since then are named: the end of a report is where analysts look."""
    with Store(db) as s:
        s.record_failure("indie", run_id=None, error="HTTP 500", status=500, next_attempt=None)
        rep = reports.trends(s, reports.make_filters(s), by="week")
        bounded = reports.trends(s, reports.make_filters(s, until="2026-09-23"), by="week")
    today = datetime.now(UTC).date()
    this_week = (today - timedelta(days=today.weekday())).isoformat()
    assert rep.rows[-1]["period"] == this_week > "2026-09-21"
    assert [r["articles"] for r in rep.rows[3:]] == [0] * (len(rep.rows) - 3)
    assert [g["feed"] for g in rep.coverage_gaps] == ["indie"]
    assert bounded.rows[-1]["period"] == "2026-09-21" and bounded.coverage_gaps == []


def test_filters_combine(db: Path) -> None:
    with Store(db) as s:
        f = reports.make_filters(s, themes=["mining"], state_backed=False)
        assert reports.trends(s, f, by="month").rows[0]["articles"] == 1
        f = reports.make_filters(s, countries=["pe"])
        assert reports.countries(s, f).rows[0]["code"] == "PE"
        f = reports.make_filters(s, actors=["china"], sources=["State Wire"])
        assert reports.sources(s, f).rows == [
            {"outlet": "State Wire", "country": "CN", "state_backed": True, "articles": 2,
             "us_share": 0.5, "china_share": 1.0, "us_tone": -0.6, "china_tone": 0.65}]


def test_themes_report_frames(db: Path) -> None:
    with Store(db) as s:
        rows = reports.themes(s, reports.make_filters(s)).rows
    mining_china = next(r for r in rows if r["theme"] == "mining" and r["actor"] == "China")
    assert mining_china["articles"] == 2
    assert mining_china["share"] == pytest.approx(2 / 3, abs=1e-3)
    assert (mining_china["partner_share"], mining_china["threat_share"]) == (0.5, 0.5)


def test_entities_report(db: Path) -> None:
    with Store(db) as s:
        rows = reports.entities(s, reports.make_filters(s)).rows
    assert {(r["actor"], r["text"], r["articles"]) for r in rows} == {
        ("China", "Beijing", 3), ("US", "Washington", 3)}


def test_coverage_gaps_and_empty_selection(db: Path) -> None:
    with Store(db) as s:
        rep = reports.trends(s, reports.make_filters(s, since="2026-09-01",
                                                      until=date.today().isoformat()))
        assert [g["feed"] for g in rep.coverage_gaps] == ["indie"]
        empty = reports.sources(s, reports.make_filters(s, since="2030-01-01"))
    assert empty.empty and empty.rows == [] and "no articles match" in empty.header()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"since": "yesterday-ish"}, "--since: 'yesterday-ish' is not a date"),
        ({"themes": ["mines"]}, "--theme: unknown theme 'mines'; valid: infrastructure, trade"),
        ({"actors": ["Mars"]}, "--actor: unknown actor 'Mars'; valid: US, China"),
        ({"countries": ["XX"]}, "--country: unknown country 'XX'; valid ISO codes: BO, PE"),
        ({"sources": ["Nope"]}, "--source: unknown feed or outlet 'Nope'; valid: Indie BO"),
    ],
)
def test_bad_filters_list_valid_values(db: Path, kwargs: dict, message: str) -> None:
    with Store(db) as s, pytest.raises(UsageError) as err:
        reports.make_filters(s, **kwargs)
    assert str(err.value).startswith(message)


def test_relative_dates() -> None:
    assert reports.parse_when("90d", "--since", today=date(2026, 12, 31)) == date(2026, 10, 2)
    assert reports.parse_when("2w", "--since", today=date(2026, 1, 15)) == date(2026, 1, 1)


def test_cli_formats_and_errors(db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(main, ["report", "trends", "--db", str(db), "--format", "csv",
                             "--until", "2026-09-23"])
    assert r.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [x["articles"] for x in rows] == ["3", "0", "2"]
    assert "trends by week: 5 articles" in r.stderr
    r = runner.invoke(main, ["report", "themes", "--db", str(db), "--format", "json"])
    doc = json.loads(r.stdout)
    assert doc["articles"] == 5 and len(doc["rows"]) == 22
    r = runner.invoke(main, ["report", "sources", "--db", str(db), "--format", "markdown"])
    assert "| outlet" in r.stdout and "sources: 5 articles" in r.stdout
    r = runner.invoke(main, ["report", "trends", "--db", str(db), "--actor", "Mars"])
    assert r.exit_code == 2 and "Error: --actor: unknown actor 'Mars'" in r.stderr
    r = runner.invoke(main, ["report", "countries", "--db", str(db), "--since", "2031-01-01"])
    assert r.exit_code == 0 and "no articles match" in r.output


def test_charts_and_html(db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    png, svg = tmp_path / "t.png", tmp_path / "h.svg"
    r = runner.invoke(main, ["report", "trends", "--db", str(db), "--chart", str(png)])
    assert r.exit_code == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = runner.invoke(main, ["report", "themes", "--db", str(db), "--chart", str(svg)])
    assert r.exit_code == 0 and b"<svg" in svg.read_bytes()[:500]
    r = runner.invoke(main, ["report", "trends", "--db", str(db), "--chart", "x.gif"])
    assert r.exit_code == 2 and "must end in .png or .svg" in r.output
    html = tmp_path / "r.html"
    r = runner.invoke(main, ["report", "html", "--db", str(db), "-o", str(html)])
    assert r.exit_code == 0
    text = html.read_text(encoding="utf-8")
    assert "data:image/png;base64," in text and "State Wire" in text
    # the accuracy of both shipped models, as their cards give it
    for card in sorted(MODELS.glob("*.json")):
        doc = json.loads(card.read_text(encoding="utf-8"))
        assert doc["version"] in text
        figure = doc["test"]["macro"]["f1"] if "test" in doc else doc["metrics"]["tone_macro_f1"]
        assert f"{figure:.3f}" in text
    assert "http://" not in text.replace("http://www.w3.org", "") and "<script" not in text


def test_html_escapes_article_text(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    feed = Feed(name="evil", url="https://e.example/rss", outlet="<script>alert(1)</script>")
    with Store(path) as s:
        s.sync_feeds([feed])
        (art,) = parse_feed(rss([{"title": "x", "link": "https://e.example/1",
                                  "description": "y", "pubDate": "Tue, 08 Sep 2026 10:00:00 GMT"}]),
                            feed)
        s.save_feed("evil", [art], status=200, etag=None, last_modified=None)
        s.save_analyses([(_analysis(art.id, us=0.1, china=None, themes=[]), art.content_hash)])
    out = tmp_path / "r.html"
    r = CliRunner().invoke(main, ["report", "html", "--db", str(path), "-o", str(out)])
    assert r.exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)" in text
