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
        ({"actors": ["Mars"]}, "--actor: unknown actor 'Mars'; valid: US, China, Russia, EU, "),
        # the gazetteer's codes, not just those stored
        ({"countries": ["XX"]}, "--country: unknown country 'XX'; valid ISO codes: AE, AR, "),
        ({"countries": ["Bolivia"]}, "--country: give the ISO code, not the name: --country "
                                     "BO for 'Bolivia'"),
        ({"since": ""}, "--since: the date is empty (an unset shell variable?)"),
        ({"until": " "}, "--until: the date is empty (an unset shell variable?)"),
        ({"sources": [""]}, "--source: the value is empty (an unset shell variable?)"),
        ({"since": "9999-12-31", "until": "9999-01-01"},
         "--since 9999-12-31 is after --until 9999-01-01"),
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


def _store_unanalysed(path: Path, feed: Feed, when: str, n: int, *, prefix: str) -> None:
    """Store n articles as `ingest --no-analyze` does: no analysis."""
    items = [{"title": f"{prefix} {i}", "link": f"https://x.example/{prefix}{i}",
              "description": "text", "pubDate": when} for i in range(n)]
    with Store(path) as s:
        s.sync_feeds([feed])
        s.save_feed(feed.name, parse_feed(rss(items), feed), status=200, etag=None,
                    last_modified=None)


def test_reports_count_only_analysed_articles(db: Path) -> None:
    """Articles stored but not analysed yet are not articles that mention neither power:
    shares and tone are unchanged by them, and the header says they are left out."""
    with Store(db) as s:
        before = {name: reports.REPORTS[name](s, reports.make_filters(s, until="2026-09-30"))
                  for name in reports.REPORTS}
    _store_unanalysed(db, INDIE, "Tue, 22 Sep 2026 12:00:00 GMT", 10, prefix="raw")
    _store_unanalysed(db, STATE, "Tue, 29 Sep 2026 12:00:00 GMT", 3, prefix="late")
    with Store(db) as s:
        for name, old in before.items():
            new = reports.REPORTS[name](s, reports.make_filters(s, until="2026-09-30"))
            assert (new.rows, new.articles) == (old.rows, old.articles), name
            assert new.not_analyzed == 13 and old.not_analyzed == 0
            assert ("13 articles in this range not analysed yet, not counted (run "
                    "`narratives reprocess --stale`)") in new.header().splitlines()[1]
        w3 = reports.trends(s, reports.make_filters(s, since="2026-09-21", until="2026-09-27"))
        assert (w3.rows[0]["articles"], w3.rows[0]["us_share"]) == (2, 0.5)  # not 1 of 12
        assert w3.not_analyzed == 10
        # the pending count follows the date and source filters
        state = reports.sources(s, reports.make_filters(s, sources=["State Wire"]))
        assert state.not_analyzed == 3
        late = reports.themes(s, reports.make_filters(s, since="2026-09-28",
                                                       until="2026-09-30"))
    assert late.empty and late.rows == [] and not late.analyzed_in_range
    assert late.header().splitlines() == [
        "themes: no article in this range is analysed yet (filters: {'since': '2026-09-28', "
        "'until': '2026-09-30'}); the report is empty",
        "3 articles in this range not analysed yet, not counted (run "
        "`narratives reprocess --stale`)"]
    r = CliRunner().invoke(main, ["report", "themes", "--db", str(db), "--since", "2026-09-28",
                                  "--until", "2026-09-30"])
    assert r.exit_code == 0 and "no article in this range is analysed yet" in r.stdout
    r = CliRunner().invoke(main, ["report", "trends", "--db", str(db), "--format", "json"])
    assert json.loads(r.stdout)["not_analyzed"] == 13
    r = CliRunner().invoke(main, ["summary", "--db", str(db)])
    assert r.exit_code == 0
    assert (f"Waiting for analysis: 13 not analysed yet (run `narratives reprocess --stale "
            f"--db {db}`)") in r.stdout


def test_briefing_and_charts_of_a_database_not_analysed_yet(tmp_path: Path) -> None:
    """After `ingest --no-analyze` the briefing renders and says why it is empty
    (themes_figure raised "Invalid shape (0,) for image data")."""
    path = tmp_path / "raw.db"
    _store_unanalysed(path, INDIE, "Tue, 22 Sep 2026 12:00:00 GMT", 10, prefix="raw")
    runner = CliRunner()
    out = tmp_path / "b.html"
    r = runner.invoke(main, ["report", "html", "--db", str(path), "-o", str(out)])
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    assert ("No article in this range is analysed yet: 10 articles in this range not analysed "
            "yet, not counted (run `narratives reprocess --stale`)") in text
    assert "No analysed articles match these filters" in text
    for name in ("trends", "themes"):
        r = runner.invoke(main, ["report", name, "--db", str(path), "--chart",
                                 str(tmp_path / f"{name}.png")])
        assert r.exit_code == 0 and "No chart: the report is empty." in r.output
        assert "no article in this range is analysed yet" in r.output
    # the chart functions themselves draw "nothing to draw" rather than fail
    for figure in (reports_charts().trends_figure, reports_charts().themes_figure):
        assert reports_charts().png_bytes(figure([], title="t"))[:4] == b"\x89PNG"


def reports_charts():  # type: ignore[no-untyped-def]
    from narratives import charts

    return charts


def test_filters_name_what_the_registry_and_gazetteer_know(tmp_path: Path) -> None:
    """A country or actor the gazetteer or registry knows is a valid filter even when no
    article mentions it yet (the README's own --country BO on a new database)."""
    path = tmp_path / "raw.db"
    _store_unanalysed(path, INDIE, "Tue, 22 Sep 2026 12:00:00 GMT", 2, prefix="raw")
    with Store(path) as s:
        f = reports.make_filters(s, countries=["bo", "AR"], actors=["eu", "European Union"])
        assert (f.countries, f.actors) == (("BO", "AR"), ("EU", "EU"))
        rep = reports.trends(s, f)
    assert rep.empty and rep.not_analyzed == 2
    r = CliRunner().invoke(main, ["report", "countries", "--db", str(path), "--country", "BO",
                                  "--actor", "EU"])
    assert r.exit_code == 0 and "the report is empty" in r.output
    r = CliRunner().invoke(main, ["report", "countries", "--db", str(path), "--country", "XX"])
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1
    assert r.output.startswith("Error: --country: unknown country 'XX'; valid ISO codes: AE, ")


def test_empty_report_still_names_coverage_gaps_of_the_selected_feeds(db: Path) -> None:
    today = datetime.now(UTC).date().isoformat()  # the fixture's failure is today's
    with Store(db) as s:
        empty = reports.sources(s, reports.make_filters(s, since=today))
        indie = reports.sources(s, reports.make_filters(s, since=today, sources=["Indie BO"]))
        state = reports.sources(s, reports.make_filters(s, since=today, sources=["state"]))
        backed = reports.trends(s, reports.make_filters(s, state_backed=True))
    assert empty.empty and empty.header().splitlines()[1] == (
        "coverage gaps: feeds failing in this range: indie (1 failed runs)")
    assert [g["feed"] for g in indie.coverage_gaps] == ["indie"]
    # a failing feed the filters leave out leaves no gap in the report
    assert state.coverage_gaps == [] and backed.coverage_gaps == []
    assert len(state.header().splitlines()) == 1
    r = CliRunner().invoke(main, ["report", "trends", "--db", str(db), "--since", today])
    assert r.exit_code == 0 and "coverage gaps: feeds failing in this range: indie" in r.output


def test_far_future_until_is_shown_as_typed(db: Path) -> None:
    today = datetime.now(UTC).date()
    with Store(db) as s:
        f = reports.make_filters(s, until="9999-12-31", since="2026-09-01")
        assert f.until == today + reports.FAR_FUTURE
        assert f.describe() == {"since": "2026-09-01", "until": "9999-12-31"}
        assert reports.make_filters(s, until="2026-09-23").describe() == {"until": "2026-09-23"}
        assert reports.make_filters(s, since="90d", today=date(2026, 12, 31)).describe() == {
            "since": "2026-10-02"}
    r = CliRunner().invoke(main, ["report", "trends", "--db", str(db), "--until", "9999-12-31"])
    assert r.exit_code == 0 and "filters: {'until': '9999-12-31'}" in r.output


@pytest.mark.parametrize("option", ["--since", "--until"])
def test_empty_date_is_refused_in_one_line(db: Path, option: str) -> None:
    """An unset shell variable ($SINCE) must not silently drop the filter."""
    r = CliRunner().invoke(main, ["report", "trends", "--db", str(db), option, ""])
    assert r.exit_code == 2
    assert r.output.startswith(f"Error: {option}: the date is empty (an unset shell variable?)")
    assert len(r.output.strip().splitlines()) == 1


def test_numbers_are_rounded_once_and_agree_in_every_format(tmp_path: Path) -> None:
    """us_tone averaging -0.38949999 was -0.39 in one output and -0.389 in another."""
    path = tmp_path / "t.db"
    with Store(path) as s:
        s.sync_feeds([STATE])
        for i, us in enumerate((-0.7789999, 0.0, None)):
            (art,) = parse_feed(rss([{"title": f"t{i}", "link": f"https://x.example/t{i}",
                                      "description": "d",
                                      "pubDate": "Tue, 08 Sep 2026 10:00:00 GMT"}]), STATE)
            s.save_feed("state", [art], status=200, etag=None, last_modified=None)
            s.save_analyses([(_analysis(art.id, us=us, china=0.1, themes=["mining"]),
                              art.content_hash)])
    runner = CliRunner()
    base = ["report", "trends", "--db", str(path), "--until", "2026-09-13"]
    doc = json.loads(runner.invoke(main, [*base, "--format", "json"]).stdout)
    (row,) = doc["rows"]
    assert (row["us_tone"], row["us_share"]) == (-0.389, 0.667)
    (csv_row,) = list(csv.DictReader(io.StringIO(
        runner.invoke(main, [*base, "--format", "csv"]).stdout)))
    assert (csv_row["us_tone"], csv_row["us_share"]) == ("-0.389", "0.667")
    table = runner.invoke(main, base).stdout
    assert " -0.389 " in table and " 0.667 " in table and "-0.39 " not in table
    out = tmp_path / "b.html"
    assert runner.invoke(main, ["report", "html", "--db", str(path), "--until", "2026-09-13",
                                "-o", str(out)]).exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert '<td class="num">-0.389</td>' in html and '<td class="num">0.667</td>' in html
    # every float of every report has at most three decimals
    with Store(path) as s:
        for name, fn in reports.REPORTS.items():
            for r in fn(s, reports.make_filters(s)).rows:
                for key, v in r.items():
                    assert not isinstance(v, float) or round(v, 3) == v, (name, key, v)
