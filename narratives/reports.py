"""Trend reports on US-versus-China framing, computed from `article_facts`.

Each report is one aggregate query over the narrow facts table (plus a small
join where it needs entities or countries), then light Python: zero-filled
periods, shares, and the coverage note that says what the numbers cover.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from .errors import UsageError
from .store import Store

PERIODS = ("day", "week", "month")
FRAMES = ("partner", "rival", "threat", "none")
FOCUS_ACTORS = (("US", "us"), ("China", "china"))
DATA = Path(__file__).parent / "data"
_RELATIVE = re.compile(r"^(\d+)([dwmy])$")


def theme_names() -> list[str]:
    """The eleven themes, from the one file that defines them."""
    doc = yaml.safe_load((DATA / "themes.yaml").read_text(encoding="utf-8"))
    return [t["name"] for t in doc["themes"]]


def gazetteer_countries() -> dict[str, str]:
    """ISO code -> English name of every country the gazetteer knows (what --country
    can match), read from the data file itself: no spaCy needed to validate a filter."""
    doc = yaml.safe_load((DATA / "countries.yaml").read_text(encoding="utf-8"))
    return {str(code): str(body.get("name", code)) for code, body in doc["countries"].items()}


def registry_actors() -> dict[str, str]:
    """Actor id -> display name of every actor in the registry, in its order."""
    doc = yaml.safe_load((DATA / "actors.yaml").read_text(encoding="utf-8"))
    return {str(actor): str(body.get("name", actor)) for actor, body in doc["actors"].items()}


#: Dates later than this after today are taken as this (no article is dated there).
FAR_FUTURE = timedelta(days=366)


def parse_when(value: str, option: str, *, today: date | None = None) -> date:
    """YYYY-MM-DD, or relative to today: 90d, 12w, 3m, 1y."""
    today = today or datetime.now(UTC).date()
    # A far-future end ("9999-12-31" for no end) filters nothing: no end at all, so no
    # date arithmetic overflows and no report is padded with centuries of empty periods.
    return min(_parse_date(value, option, today), today + FAR_FUTURE)


def _parse_date(value: str, option: str, today: date) -> date:
    """The date the user wrote, before a far-future date is taken as no end."""
    if not value.strip():
        raise UsageError(f"{option}: the date is empty (an unset shell variable?); use "
                         "YYYY-MM-DD or a relative age such as 90d, 12w, 6m, 1y")
    m = _RELATIVE.match(value.strip().lower())
    if m:
        n, unit = int(m.group(1)), m.group(2)
        days = {"d": 1, "w": 7, "m": 30, "y": 365}[unit] * n
        try:
            return today - timedelta(days=days)
        except OverflowError:
            raise UsageError(f"{option}: {value!r} reaches back before year 1; use a "
                             "smaller age or a date") from None
    try:
        when = date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(
            f"{option}: {value!r} is not a date; use YYYY-MM-DD or a relative age such as "
            "90d, 12w, 6m, 1y"
        ) from None
    return when


@dataclass(frozen=True)
class Filters:
    """The filters every report takes. Repeated values of one filter are OR-ed."""

    since: date | None = None
    until: date | None = None  # inclusive
    countries: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    state_backed: bool | None = None
    languages: tuple[str, ...] = ()
    # The dates as the user wrote them, where that differs from the bound applied: a
    # far-future "--until 9999-12-31" means no end, and is shown as typed, not as the
    # date a year ahead that the query uses.
    since_label: str | None = field(default=None, compare=False)
    until_label: str | None = field(default=None, compare=False)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("since", "until"):
            v = getattr(self, key)
            if v:
                out[key] = getattr(self, f"{key}_label") or v.isoformat()
        for key in ("countries", "themes", "actors", "sources", "languages"):
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        if self.state_backed is not None:
            out["state_backed"] = self.state_backed
        return out


def make_filters(
    store: Store,
    *,
    since: str | None = None,
    until: str | None = None,
    countries: Sequence[str] = (),
    themes: Sequence[str] = (),
    actors: Sequence[str] = (),
    sources: Sequence[str] = (),
    state_backed: bool | None = None,
    languages: Sequence[str] = (),
    today: date | None = None,
) -> Filters:
    """Validate raw filter values; a bad one is a UsageError listing the valid values.

    A country or actor is valid when the gazetteer or the actor registry knows it (or
    an article stored with an earlier one has it), whether or not any article mentions
    it yet: a valid filter that matches nothing gives an empty report, not an error.
    """
    today = today or datetime.now(UTC).date()
    for option, values in (("--country", countries), ("--theme", themes),
                           ("--actor", actors), ("--source", sources), ("--lang", languages)):
        if any(not v.strip() for v in values):
            raise UsageError(f"{option}: the value is empty (an unset shell variable?); "
                             "give a value or leave the option out")
    typed = {option: _parse_date(value, option, today) if value is not None else None
             for option, value in (("--since", since), ("--until", until))}
    # the bounds applied, as parse_when gives them (a far-future date is no end)
    s, u = (None if t is None else min(t, today + FAR_FUTURE) for t in typed.values())
    if typed["--since"] and typed["--until"] and typed["--since"] > typed["--until"]:
        raise UsageError(f"--since {typed['--since']} is after --until {typed['--until']}")
    valid_themes = theme_names()
    by_lower = {t.lower(): t for t in valid_themes}
    for t in themes:
        if t.strip().lower() not in by_lower:
            raise UsageError(f"--theme: unknown theme {t!r}; valid: {', '.join(valid_themes)}")
    themes = [by_lower[t.strip().lower()] for t in themes]  # --theme Mining is mining
    norm_actors = [_known_actor(store, a) for a in actors]
    codes = [_known_country(store, c) for c in countries]
    feeds = store.feed_names_and_outlets()
    for src in sources:
        if not any(src.lower() in (f.lower(), (o or "").lower()) for f, o in feeds):
            valid = ", ".join(sorted({o or f for f, o in feeds}))
            raise UsageError(f"--source: unknown feed or outlet {src!r}; valid: {valid}")
    langs = tuple(x.strip().lower() for x in languages)
    if langs:
        known_languages = store.known_languages()
        for lang in langs:
            if lang not in known_languages:
                valid = ", ".join(sorted(known_languages)) or "(none stored yet)"
                raise UsageError(f"--lang: no stored article is in language {lang!r}; "
                                 f"stored languages: {valid}")
    return Filters(since=s, until=u, countries=tuple(codes), themes=tuple(themes),
                   actors=tuple(norm_actors), sources=tuple(sources), state_backed=state_backed,
                   languages=langs,
                   since_label=_label(typed["--since"], s), until_label=_label(typed["--until"], u))


def _label(typed: date | None, applied: date | None) -> str | None:
    """The date to show for a bound: as typed when it was taken as no end."""
    return typed.isoformat() if typed and applied and typed != applied else None


def _known_actor(store: Store, value: str) -> str:
    """The registry id of an actor given by id or display name, any case."""
    actors = registry_actors()
    stored = [a for a in store.known_actors() if a not in actors]
    wanted = value.strip().lower()
    for actor, name in [*actors.items(), *((a, a) for a in stored)]:
        if wanted in (actor.lower(), name.lower()):
            return actor
    ids = ["US", "China"] + [a for a in [*actors, *stored] if a not in ("US", "China")]
    raise UsageError(f"--actor: unknown actor {value!r}; valid: {', '.join(ids)} (the "
                     "actor registry, narratives/data/actors.yaml)")


def _known_country(store: Store, value: str) -> str:
    """The ISO code of a country the gazetteer knows (or a stored analysis has)."""
    known = gazetteer_countries()
    code = value.strip().upper()
    if re.fullmatch(r"[A-Z]{2}", code) and (code in known or code in store.known_countries()):
        return code
    by_name = {name.lower(): c for c, name in known.items()}
    if value.strip().lower() in by_name:
        raise UsageError(f"--country: give the ISO code, not the name: --country "
                         f"{by_name[value.strip().lower()]} for {value.strip()!r}")
    raise UsageError(f"--country: unknown country {value!r}; valid ISO codes: "
                     f"{', '.join(sorted(set(known) | store.known_countries()))}")


#: The condition every report applies: an article counts once its analysis is stored.
#: One stored but not analysed yet (ingest --no-analyze, a killed run, a model error,
#: an ingest still running) is not an article that mentions neither power.
ANALYZED = "f.analyzed = 1"
#: What to run to analyse the articles still waiting.
ANALYZE_HINT = "run `narratives reprocess --stale`"


@dataclass
class Report:
    """Rows plus what they cover, so a dip is never mistaken for a trend."""

    name: str
    columns: list[str]
    rows: list[dict[str, Any]]
    articles: int
    first_day: str | None
    last_day: str | None
    filters: dict[str, Any]
    coverage_gaps: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    #: Stored articles in the report's date range and sources that are not analysed
    #: yet, so not counted (their themes, countries and actors are not known).
    not_analyzed: int = 0
    #: False when no article in the range (dates, sources, language) is analysed yet.
    analyzed_in_range: bool = True

    @property
    def empty(self) -> bool:
        return self.articles == 0

    def pending_note(self) -> str:
        """What the numbers leave out, or "" when every stored article is analysed."""
        if not self.not_analyzed:
            return ""
        n = self.not_analyzed
        return (f"{n} {'article' if n == 1 else 'articles'} in this range not analysed yet, "
                f"not counted ({ANALYZE_HINT})")

    def header(self) -> str:
        """One to three lines saying what the report covers and what it leaves out."""
        if self.empty and not self.analyzed_in_range:
            text = (f"{self.name}: no article in this range is analysed yet (filters: "
                    f"{self.filters or 'none'}); the report is empty")
        elif self.empty:
            text = (f"{self.name}: no articles match (filters: {self.filters or 'none'}); "
                    "the report is empty")
        else:
            text = (f"{self.name}: {self.articles} articles, {self.first_day} to "
                    f"{self.last_day}" + (f"; filters: {self.filters}" if self.filters else ""))
        if self.not_analyzed:
            text += f"\n{self.pending_note()}"
        elif self.empty:
            text += "."
        if self.coverage_gaps:
            gaps = ", ".join(f"{g['feed']} ({g['failures']} failed runs)"
                             for g in self.coverage_gaps)
            text += f"\ncoverage gaps: feeds failing in this range: {gaps}"
        return text


def _where(store: Store, f: Filters) -> tuple[str, list[Any]]:
    """SQL conditions over article_facts (alias f) for the filters, analysed rows only."""
    base, params = _where_stored(store, f)
    clauses = [ANALYZED] + ([base] if base != "1" else [])
    if f.themes:
        bits = store.theme_bits()
        mask = sum(1 << bits[t] for t in f.themes if t in bits)
        clauses.append("(f.themes & ?) != 0")
        params.append(mask)
    if f.countries:
        clauses.append("(" + " OR ".join("f.countries LIKE ?" for _ in f.countries) + ")")
        params.extend(f"%,{c},%" for c in f.countries)
    if f.actors:
        parts = []
        for a in f.actors:
            if a == "US":
                parts.append("f.us = 1")
            elif a == "China":
                parts.append("f.china = 1")
            else:
                parts.append("f.article_id IN (SELECT article_id FROM article_actors "
                             "WHERE actor = ?)")
                params.append(a)
        clauses.append("(" + " OR ".join(parts) + ")")
    return " AND ".join(clauses), params


def _where_stored(store: Store, f: Filters) -> tuple[str, list[Any]]:
    """The conditions known before analysis: dates, sources and language."""
    clauses: list[str] = []
    params: list[Any] = []
    if f.since:
        clauses.append("f.day >= ?")
        params.append(f.since.isoformat())
    if f.until:
        clauses.append("f.day <= ?")
        params.append(f.until.isoformat())
    if f.sources or f.state_backed is not None:
        names = store.select_feeds(sources=f.sources, state_backed=f.state_backed)
        clauses.append(f"f.feed IN ({','.join('?' * len(names))})" if names else "0")
        params.extend(names)
    if f.languages:
        clauses.append(f"f.language IN ({','.join('?' * len(f.languages))})")
        params.extend(f.languages)
    return (" AND ".join(clauses) or "1"), params


def _coverage(store: Store, f: Filters, where: str, params: list[Any], name: str,
              columns: list[str], rows: list[dict[str, Any]],
              totals: tuple[int, str | None, str | None] | None = None,
              **extra: Any) -> Report:
    """Wrap rows with what they cover; `totals` saves a scan when the main query had them."""
    if totals is None and where == ANALYZED:
        # Separate aggregates let SQLite answer MIN/MAX from the day index at once.
        totals = store.db.execute(
            "SELECT (SELECT COUNT(*) FROM article_facts WHERE analyzed = 1),"
            " (SELECT MIN(day) FROM article_facts WHERE analyzed = 1),"
            " (SELECT MAX(day) FROM article_facts WHERE analyzed = 1)"
        ).fetchone()
    elif totals is None:
        totals = store.db.execute(
            f"SELECT COUNT(*), MIN(f.day), MAX(f.day) FROM article_facts f WHERE {where}", params
        ).fetchone()
    n, first, last = totals
    stored_where, stored_params = _where_stored(store, f)
    pending = store.db.execute(
        f"SELECT COUNT(*) FROM article_facts f WHERE f.analyzed = 0 AND {stored_where}",
        stored_params,
    ).fetchone()[0]
    analyzed_in_range = bool(n) or not pending or bool(store.db.execute(
        f"SELECT EXISTS (SELECT 1 FROM article_facts f WHERE {ANALYZED} AND {stored_where})",
        stored_params,
    ).fetchone()[0])
    # without --until the range runs to today: feeds failing since the last article
    # are exactly what explains a silence at the end of a report; only the feeds the
    # report reads (a failing feed the filters leave out leaves no gap in it)
    feeds = (store.select_feeds(sources=f.sources, state_backed=f.state_backed)
             if f.sources or f.state_backed is not None else None)
    gaps = store.failing_feeds(since=(f.since or (date.fromisoformat(first) if first else None)),
                               until=f.until or datetime.now(UTC).date(), feeds=feeds)
    return Report(name=name, columns=columns, rows=rows if n else [], articles=n,
                  first_day=first, last_day=last, filters=f.describe(), coverage_gaps=gaps,
                  extra=extra, not_analyzed=pending, analyzed_in_range=analyzed_in_range)


#: Every number a report gives is rounded here, once, to this many decimals (tones run
#: from -1 to 1, shares from 0 to 1): the table, CSV, JSON and HTML all show the same value.
DIGITS = 3


def _round(v: float | None) -> float | None:
    # + 0.0 turns -0.0 into 0.0, which would otherwise print as "-0" in a table
    return None if v is None else round(v, DIGITS) + 0.0


def _ratio(num: float | None, den: float | None) -> float | None:
    return _round(num / den) if num is not None and den else (0.0 if den else None)


def _periods(start: date, end: date, by: str) -> list[str]:
    """Every period key from start to end, so empty periods show as zeros."""
    out: list[str] = []
    if by == "day":
        d = start
        while d <= end:
            out.append(d.isoformat())
            d += timedelta(days=1)
    elif by == "week":
        d = start - timedelta(days=start.weekday())
        while d <= end:
            out.append(d.isoformat())
            d += timedelta(days=7)
    else:
        y, m = start.year, start.month
        while (y, m) <= (end.year, end.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def trends(store: Store, filters: Filters, *, by: str = "week", top: int = 3) -> Report:
    """One row per period: coverage of the US and China, their shares, tone, top themes."""
    if by not in PERIODS:
        raise UsageError(f"--by: {by!r} is not one of {', '.join(PERIODS)}")
    where, params = _where(store, filters)
    bits = store.theme_bits()
    theme_sums = "".join(
        f", SUM(f.us * ((f.themes >> {b}) & 1)) AS \"us:{t}\""
        f", SUM(f.china * ((f.themes >> {b}) & 1)) AS \"china:{t}\""
        for t, b in bits.items()
    )
    sql = f"""
        SELECT f.{by} AS period, COUNT(*) AS articles, SUM(f.us) AS us_articles,
               SUM(f.china) AS china_articles, SUM(f.us * f.china) AS both_articles,
               AVG(f.us_tone) AS us_tone, AVG(f.china_tone) AS china_tone,
               MIN(f.day) AS first_day, MAX(f.day) AS last_day {theme_sums}
        FROM article_facts f WHERE {where} GROUP BY f.{by} ORDER BY f.{by}
    """
    found = {r["period"]: r for r in store.db.query(sql, params)}
    totals = (sum(r["articles"] for r in found.values()),
              min((r["first_day"] for r in found.values()), default=None),
              max((r["last_day"] for r in found.values()), default=None))
    columns = ["period", "articles", "us_articles", "china_articles", "both_articles",
               "us_share", "china_share", "us_tone", "china_tone", "us_top_themes",
               "china_top_themes"]
    rows: list[dict[str, Any]] = []
    if found:
        first = _start_of(min(found), by)
        if filters.since:
            # zero periods only where something was stored: before the first article in
            # the database there was no coverage to be silent (--since 0001-01-01 --by
            # day would otherwise list 740,000 days)
            stored_from = store.db.execute(
                "SELECT MIN(day) FROM article_facts WHERE analyzed = 1").fetchone()[0]
            first = max(filters.since, date.fromisoformat(stored_from))
        today = datetime.now(UTC).date()
        # empty periods up to today, not after it (an end date far ahead means no end)
        last = min(filters.until or today, max(_start_of(max(found), by), today))
        for period in _periods(first, last, by):
            r = found.get(period, {})
            n = r.get("articles", 0)
            row = {
                "period": period, "articles": n,
                "us_articles": r.get("us_articles", 0) or 0,
                "china_articles": r.get("china_articles", 0) or 0,
                "both_articles": r.get("both_articles", 0) or 0,
            }
            row["us_share"] = _ratio(row["us_articles"], n)
            row["china_share"] = _ratio(row["china_articles"], n)
            row["us_tone"] = _round(r.get("us_tone"))
            row["china_tone"] = _round(r.get("china_tone"))
            for _, key in FOCUS_ACTORS:
                counts = sorted(((r.get(f"{key}:{t}") or 0, t) for t in bits), reverse=True)
                row[f"{key}_top_themes"] = ", ".join(
                    f"{t} ({c})" for c, t in counts[:top] if c)
            rows.append(row)
    return _coverage(store, filters, where, params, f"trends by {by}", columns, rows, totals)


def _start_of(key: str, by: str) -> date:
    return date.fromisoformat(key + "-01") if by == "month" else date.fromisoformat(key)


def themes(store: Store, filters: Filters) -> Report:
    """One row per theme and actor: articles, share of the actor's coverage, tone, frames."""
    where, params = _where(store, filters)
    bits = store.theme_bits()
    names = [t for t in theme_names() if t in bits] + [t for t in bits if t not in theme_names()]
    # One grouped scan (a few thousand groups of theme set x presence x frame), then
    # the per-theme sums here: far cheaper than a dozen CASE sums per theme in SQL.
    sql = f"""
        SELECT f.themes AS themes, f.us AS us, f.china AS china, f.us_frame AS us_frame,
               f.china_frame AS china_frame, COUNT(*) AS n,
               TOTAL(f.us_tone) AS us_tone_sum, COUNT(f.us_tone) AS us_toned,
               TOTAL(f.china_tone) AS china_tone_sum, COUNT(f.china_tone) AS china_toned,
               MIN(f.day) AS first_day, MAX(f.day) AS last_day
        FROM article_facts f WHERE {where} GROUP BY 1, 2, 3, 4, 5
    """
    groups = list(store.db.query(sql, params))
    acc = {(t, key): {"n": 0, "tone_sum": 0.0, "toned": 0, **dict.fromkeys(FRAMES, 0)}
           for t in names for _, key in FOCUS_ACTORS}
    actor_total = {key: 0 for _, key in FOCUS_ACTORS}
    for g in groups:
        for _, key in FOCUS_ACTORS:
            if not g[key]:
                continue
            actor_total[key] += g["n"]
            for t in names:
                if not (g["themes"] >> bits[t]) & 1:
                    continue
                a = acc[(t, key)]
                a["n"] += g["n"]
                a["tone_sum"] += g[f"{key}_tone_sum"]
                a["toned"] += g[f"{key}_toned"]
                if g[f"{key}_frame"] in FRAMES:
                    a[g[f"{key}_frame"]] += g["n"]
    columns = ["theme", "actor", "articles", "share", "tone"] + [f"{fr}_share" for fr in FRAMES]
    rows = []
    for t in names:
        for actor, key in FOCUS_ACTORS:
            a = acc[(t, key)]
            framed = sum(a[fr] for fr in FRAMES)
            out = {"theme": t, "actor": actor, "articles": a["n"],
                   "share": _ratio(a["n"], actor_total[key]),
                   "tone": _round(a["tone_sum"] / a["toned"]) if a["toned"] else None}
            for fr in FRAMES:
                out[f"{fr}_share"] = _ratio(a[fr], framed) if framed else None
            rows.append(out)
    totals = (sum(g["n"] for g in groups),
              min((g["first_day"] for g in groups), default=None),
              max((g["last_day"] for g in groups), default=None))
    return _coverage(store, filters, where, params, "themes", columns, rows, totals)


def sources(store: Store, filters: Filters) -> Report:
    """Per outlet: how often and in what tone it covers each power."""
    where, params = _where(store, filters)
    # Aggregate per feed along the (feed, ...) covering index, then merge feeds of
    # one outlet here: no sort of the whole table.
    sql = f"""
        SELECT f.feed AS feed, COUNT(*) AS articles, SUM(f.us) AS us_articles,
               SUM(f.china) AS china_articles, SUM(f.us_tone) AS us_tone_sum,
               COUNT(f.us_tone) AS us_toned, SUM(f.china_tone) AS china_tone_sum,
               COUNT(f.china_tone) AS china_toned, MIN(f.day) AS first_day,
               MAX(f.day) AS last_day
        FROM article_facts f WHERE {where} GROUP BY f.feed
    """
    found = list(store.db.query(sql, params))
    meta = store.feed_metadata()
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in found:
        m = meta.get(r["feed"], {})
        key = (m.get("outlet") or r["feed"], m.get("country"), m.get("state_backed"))
        acc = merged.setdefault(key, dict.fromkeys(
            ("articles", "us_articles", "china_articles", "us_tone_sum", "us_toned",
             "china_tone_sum", "china_toned"), 0))
        for k in acc:
            acc[k] += r[k] or 0
    totals = (sum(r["articles"] for r in found),
              min((r["first_day"] for r in found), default=None),
              max((r["last_day"] for r in found), default=None))
    rows = []
    for (outlet, country, backed), r in sorted(merged.items(),
                                               key=lambda kv: (-kv[1]["articles"], kv[0][0])):
        rows.append({
            "outlet": outlet, "country": country,
            "state_backed": None if backed is None else bool(backed),
            "articles": r["articles"],
            "us_share": _ratio(r["us_articles"], r["articles"]),
            "china_share": _ratio(r["china_articles"], r["articles"]),
            "us_tone": _round(r["us_tone_sum"] / r["us_toned"]) if r["us_toned"] else None,
            "china_tone": (_round(r["china_tone_sum"] / r["china_toned"])
                           if r["china_toned"] else None),
        })
    columns = ["outlet", "country", "state_backed", "articles", "us_share", "china_share",
               "us_tone", "china_tone"]
    return _coverage(store, filters, where, params, "sources", columns, rows, totals)


def entities(store: Store, filters: Filters, *, top: int = 10, per_theme: bool = False) -> Report:
    """The most mentioned entities of each actor (and of each theme with per_theme)."""
    where, params = _where(store, filters)
    actors = list(filters.actors) or [a for a, _ in FOCUS_ACTORS]
    groups: list[tuple[str | None, int | None]] = [(None, None)]
    if per_theme:
        groups = [(t, b) for t, b in store.theme_bits().items()]
    rows: list[dict[str, Any]] = []
    for theme, bit in groups:
        theme_clause = f" AND ((f.themes >> {bit}) & 1)" if bit is not None else ""
        # Unfiltered, the facts table adds nothing but the cost of a join (an article
        # has entities only once analysed).
        joined = where != ANALYZED or bool(theme_clause)
        join = "JOIN article_facts f ON f.article_id = e.article_id" if joined else ""
        sql = f"""
            SELECT actor, text, label, articles, mentions FROM (
                SELECT e.actor AS actor, e.text AS text, MAX(e.label) AS label,
                       COUNT(*) AS articles, SUM(e.count) AS mentions,
                       ROW_NUMBER() OVER (PARTITION BY e.actor
                                          ORDER BY SUM(e.count) DESC, e.text) AS rank
                FROM entities e {join}
                WHERE e.actor IN ({','.join('?' * len(actors))})
                      AND {where if joined else "1"}{theme_clause}
                GROUP BY e.actor, e.text
            ) WHERE rank <= ? ORDER BY actor, mentions DESC, text
        """
        for r in store.db.query(sql, [*actors, *params, top]):
            rows.append(({"theme": theme} if per_theme else {}) | r)
    columns = (["theme"] if per_theme else []) + ["actor", "text", "label", "articles",
                                                   "mentions"]
    return _coverage(store, filters, where, params, "entities", columns, rows)


def countries(store: Store, filters: Filters) -> Report:
    """Coverage per country in focus, with each power's share and tone there."""
    where, params = _where(store, filters)
    # Unfiltered, article_countries carries all it needs: one index scan, no join (an
    # article has countries only once analysed).
    joined = where != ANALYZED
    src = "f" if joined else "c"
    join = "JOIN article_facts f ON f.article_id = c.article_id" if joined else ""
    sql = f"""
        SELECT c.code AS code, MAX(c.name) AS name, COUNT(*) AS articles,
               SUM({src}.us) AS us_articles, SUM({src}.china) AS china_articles,
               AVG({src}.us_tone) AS us_tone, AVG({src}.china_tone) AS china_tone
        FROM article_countries c {join}
        WHERE c.focus = 1 AND {where if joined else "1"}
        GROUP BY c.code ORDER BY articles DESC, code
    """
    rows = [{
        "code": r["code"], "name": r["name"], "articles": r["articles"],
        "us_share": _ratio(r["us_articles"], r["articles"]),
        "china_share": _ratio(r["china_articles"], r["articles"]),
        "us_tone": _round(r["us_tone"]), "china_tone": _round(r["china_tone"]),
    } for r in store.db.query(sql, params)]
    columns = ["code", "name", "articles", "us_share", "china_share", "us_tone", "china_tone"]
    return _coverage(store, filters, where, params, "countries", columns, rows)


REPORTS = {"trends": trends, "themes": themes, "sources": sources, "entities": entities,
           "countries": countries}
