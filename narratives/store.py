"""The SQLite store: the only module that speaks SQL or imports sqlite-utils.

It owns the schema, its version (``PRAGMA user_version``) and the numbered
migrations applied on open. Every write that must be all-or-nothing runs in
one transaction, so a run killed at any instant leaves a consistent file.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from .errors import StoreError
from .records import Analysis, Article, Feed, FeedResult

APPLICATION_ID = 0x4E415252  # "NARR": marks a file as a narratives database
ENTITY_SENTENCES = 3  # sentences kept per entity and article


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def period_keys(published: str) -> tuple[str, str, str]:
    """(day, ISO week start Monday, month) for an ISO timestamp."""
    d = date.fromisoformat(published[:10])
    monday = d - timedelta(days=d.weekday())
    return d.isoformat(), monday.isoformat(), d.strftime("%Y-%m")


_SCHEMA_1 = """
CREATE TABLE feeds (
    name TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    outlet TEXT,
    country TEXT,
    language TEXT,
    state_backed INTEGER,
    tags TEXT NOT NULL DEFAULT '[]',
    enabled INTEGER NOT NULL DEFAULT 1,
    etag TEXT,
    last_modified TEXT,
    body_hash TEXT,
    last_attempt TEXT,
    last_success TEXT,
    last_status INTEGER,
    last_error TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_attempt TEXT,
    last_new TEXT
);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL DEFAULT 'running',
    feeds_ok INTEGER NOT NULL DEFAULT 0,
    feeds_failed INTEGER NOT NULL DEFAULT 0,
    feeds_skipped INTEGER NOT NULL DEFAULT 0,
    new INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    errors TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE feed_failures (
    feed TEXT NOT NULL REFERENCES feeds(name),
    run_id INTEGER REFERENCES runs(id),
    at TEXT NOT NULL,
    status INTEGER,
    error TEXT NOT NULL
);
CREATE INDEX feed_failures_at ON feed_failures(at, feed);
CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    feed TEXT NOT NULL REFERENCES feeds(name),
    url TEXT,
    canonical_url TEXT,
    guid TEXT,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    author TEXT,
    language TEXT,
    published TEXT NOT NULL,
    published_source TEXT NOT NULL,
    day TEXT NOT NULL,
    week TEXT NOT NULL,
    month TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    analyzed_hash TEXT,
    analysis_provenance TEXT
);
CREATE INDEX articles_published ON articles(published);
CREATE INDEX articles_feed_published ON articles(feed, published);
CREATE INDEX articles_week ON articles(week);
CREATE INDEX articles_canonical_url ON articles(canonical_url);
CREATE TABLE article_feeds (
    article_id TEXT NOT NULL REFERENCES articles(id),
    feed TEXT NOT NULL REFERENCES feeds(name),
    first_seen TEXT NOT NULL,
    PRIMARY KEY (article_id, feed)
);
CREATE TABLE entities (
    article_id TEXT NOT NULL REFERENCES articles(id),
    text TEXT NOT NULL,
    label TEXT NOT NULL,
    count INTEGER NOT NULL,
    actor TEXT,
    actor_kind TEXT,
    sentences TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (article_id, text, label)
);
CREATE INDEX entities_actor ON entities(actor, text, label, count, article_id);
CREATE TABLE article_actors (
    article_id TEXT NOT NULL REFERENCES articles(id),
    actor TEXT NOT NULL,
    mentions INTEGER NOT NULL,
    entities TEXT NOT NULL DEFAULT '[]',
    sentences TEXT NOT NULL DEFAULT '[]',
    tone REAL,
    tone_label TEXT,
    frame TEXT,
    frame_score REAL,
    evidence TEXT,
    registry_version TEXT,
    tone_method TEXT,
    PRIMARY KEY (article_id, actor)
);
CREATE INDEX article_actors_actor ON article_actors(actor, article_id);
CREATE TABLE article_countries (
    article_id TEXT NOT NULL REFERENCES articles(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    mentions INTEGER NOT NULL,
    weight REAL NOT NULL,
    focus INTEGER NOT NULL,
    gazetteer_version TEXT,
    -- copied from article_facts so the unfiltered countries report needs no join
    us INTEGER NOT NULL DEFAULT 0,
    china INTEGER NOT NULL DEFAULT 0,
    us_tone REAL,
    china_tone REAL,
    PRIMARY KEY (article_id, code)
);
CREATE INDEX article_countries_code ON article_countries(
    focus, code, name, us, china, us_tone, china_tone, article_id
);
CREATE TABLE article_themes (
    article_id TEXT NOT NULL REFERENCES articles(id),
    theme TEXT NOT NULL,
    score REAL NOT NULL,
    assigned INTEGER NOT NULL,
    model_version TEXT NOT NULL,
    PRIMARY KEY (article_id, theme)
);
CREATE INDEX article_themes_theme ON article_themes(theme, assigned, article_id);
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, text, content='articles', content_rowid='rowid', tokenize='unicode61'
);
CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, text) VALUES (new.rowid, new.title, new.text);
END;
CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, text)
    VALUES ('delete', old.rowid, old.title, old.text);
END;
CREATE TRIGGER articles_au AFTER UPDATE OF title, text ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, text)
    VALUES ('delete', old.rowid, old.title, old.text);
    INSERT INTO articles_fts (rowid, title, text) VALUES (new.rowid, new.title, new.text);
END;
-- One narrow row per article, kept in step with the analysis, so that every
-- report is one scan of a covering index rather than a join of wide tables.
-- `themes` is a bit set: bit i is the theme with bit i in meta 'theme_bits'.
CREATE TABLE article_facts (
    article_id TEXT PRIMARY KEY REFERENCES articles(id),
    day TEXT NOT NULL,
    week TEXT NOT NULL,
    month TEXT NOT NULL,
    feed TEXT NOT NULL,
    language TEXT,
    analyzed INTEGER NOT NULL DEFAULT 0,
    us INTEGER NOT NULL DEFAULT 0,
    china INTEGER NOT NULL DEFAULT 0,
    us_tone REAL,
    china_tone REAL,
    us_frame TEXT,
    china_frame TEXT,
    themes INTEGER NOT NULL DEFAULT 0,
    countries TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX article_facts_day ON article_facts(
    day, week, month, feed, us, china, us_tone, china_tone, themes, us_frame, china_frame,
    language, countries
);
CREATE INDEX article_facts_feed ON article_facts(
    feed, day, us, china, us_tone, china_tone, themes, language, countries
);
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE labels (
    article_id TEXT PRIMARY KEY,
    themes TEXT NOT NULL,
    source TEXT,
    imported_at TEXT NOT NULL
);
"""


def _run_ddl(db: sqlite_utils.Database, script: str) -> None:
    """Run DDL statement by statement: executescript() would commit the open
    transaction and break the all-or-nothing migration."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""


def _migration_1(db: sqlite_utils.Database) -> None:
    _run_ddl(db, _SCHEMA_1)


# Reports count analysed articles only (a stored article waiting for its analysis is
# not an article that mentions neither power), so `analyzed` leads the covering indexes:
# a report reads only analysed rows, and the rows still waiting are counted as cheaply.
_SCHEMA_2 = """
DROP INDEX article_facts_day;
DROP INDEX article_facts_feed;
CREATE INDEX article_facts_day ON article_facts(
    analyzed, day, week, month, feed, us, china, us_tone, china_tone, themes, us_frame,
    china_frame, language, countries
);
CREATE INDEX article_facts_feed ON article_facts(
    analyzed, feed, day, us, china, us_tone, china_tone, themes, language, countries
);
"""


def _migration_2(db: sqlite_utils.Database) -> None:
    _run_ddl(db, _SCHEMA_2)


# Numbered migrations: MIGRATIONS[i] brings the schema from version i to i+1.
# Append only; never edit one that has shipped.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_migration_1, _migration_2]
SCHEMA_VERSION = len(MIGRATIONS)


def _connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    """A connection to `path`. A read-only one uses SQLite's own read-only mode, so it
    cannot change the file, whatever the file's permissions or the user."""
    if readonly:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    return sqlite3.connect(str(path), timeout=30)


def _in_wal_mode(path: Path) -> bool:
    """Whether the file's header says WAL mode (read and write versions 2), read
    without SQLite, which cannot open such a file in a folder it cannot write."""
    try:
        with path.open("rb") as fh:
            header = fh.read(20)
    except OSError:
        return False
    return header[:16] == b"SQLite format 3\x00" and header[18:20] == b"\x02\x02"


def plain_words(query: str) -> str:
    """`query` as plain FTS5 terms: each whitespace-separated chunk quoted (a quote in
    it doubled), so punctuation is read as a word boundary, not as FTS5 syntax."""
    return " ".join('"' + chunk.replace('"', '""') + '"' for chunk in query.split())


class Store:
    """One narratives database file.

    `create=False` requires an existing narratives database. `readonly=True` (which
    implies it) is for commands that only read: the file is never created, switched
    to WAL, migrated or written, and a file this user cannot write is read all the same.
    Whatever the mode, a file that is not a narratives database this code can use is
    refused before anything is written to it.
    """

    def __init__(self, path: str | Path, *, create: bool = True, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        create = create and not readonly
        if not create and not self.path.exists():
            raise StoreError(
                f"{self.path}: no such database (run `narratives ingest --db {self.path}` first)"
            )
        conn: sqlite3.Connection | None = None
        try:
            conn = self._open(create=create)
            self.db = sqlite_utils.Database(conn)
            if not readonly:
                if self.db.journal_mode != "wal":
                    self.db.enable_wal()
                self.db.execute("PRAGMA synchronous = NORMAL")
                self._migrate()
            self.db.execute("PRAGMA foreign_keys = ON")
        except BaseException as exc:
            if conn is not None:
                conn.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise self._open_error(exc) from None
            raise

    def _open(self, *, create: bool) -> sqlite3.Connection:
        """Check the file's identity through a read-only connection, so a file that is
        not ours is refused untouched; then the connection to use. A reader gets the
        read-only one when it cannot write the file, else a read-write one that refuses
        writes (closing it tidies the WAL files); a writer gets a read-write one that
        has shown it can write."""
        version = 0
        if self.path.exists():
            probe = _connect(self.path, readonly=True)
            try:
                version = self._identify(probe)
                if version == 0 and not create:
                    raise StoreError(
                        f"{self.path}: empty file, not a narratives database yet (run "
                        f"`narratives ingest --db {self.path}` to fill it)"
                    )
                if self.readonly and version < SCHEMA_VERSION:
                    raise StoreError(
                        f"{self.path}: database schema {version} is older than this narratives "
                        f"(knows {SCHEMA_VERSION}); run `narratives ingest --db {self.path}` "
                        "once to upgrade it"
                    )
                if self.readonly and not os.access(self.path, os.W_OK):
                    return probe
            except BaseException:
                probe.close()
                raise
            probe.close()
        conn = _connect(self.path, readonly=False)
        try:
            if self.readonly:
                conn.execute("PRAGMA query_only = ON")
            else:
                self._check_writable(conn, version)
        except BaseException:
            conn.close()
            raise
        return conn

    def _identify(self, conn: sqlite3.Connection) -> int:
        """The file's schema version, 0 for an empty file; StoreError for a file that is
        not a narratives database or was written by a newer narratives. Reads only."""
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        if version == 0 and not conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            return 0
        if version == 0 or app_id != APPLICATION_ID:
            raise StoreError(f"{self.path}: this SQLite file is not a narratives database")
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: database schema {version} is newer than this narratives "
                f"(knows {SCHEMA_VERSION}); upgrade narratives"
            )
        return version

    @staticmethod
    def _check_writable(conn: sqlite3.Connection, version: int) -> None:
        """Rewrite the schema version in a transaction rolled back at once: on a file
        SQLite cannot write this fails now, before a run has fetched anything."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(f"PRAGMA user_version = {version}")
        finally:
            conn.rollback()

    def _open_error(self, exc: sqlite3.DatabaseError) -> StoreError:
        """What an error while opening means for the user, as one line."""
        name = getattr(exc, "sqlite_errorname", "")
        folder = self.path.resolve().parent
        if name in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
            return StoreError(f"{self.path}: not a usable SQLite database ({exc})")
        if name == "SQLITE_READONLY_DIRECTORY" or (
            name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN")) and self.readonly
            and _in_wal_mode(self.path) and not os.access(folder, os.W_OK | os.X_OK)
        ):
            if self.readonly:
                return StoreError(
                    f"{self.path}: cannot read it: the database is in WAL mode, so SQLite must "
                    f"create {self.path.name}-wal and {self.path.name}-shm beside it, but its "
                    f"folder {folder} is not writable; make the folder writable or copy the "
                    "database to a folder you can write"
                )
            return StoreError(
                f"{self.path}: cannot write it: SQLite must create its journal files beside "
                f"it, but its folder {folder} is not writable; make the folder writable or "
                "copy the database to a folder you can write"
            )
        if name.startswith("SQLITE_READONLY") and not self.readonly:
            return StoreError(
                f"{self.path}: the database is read-only (the file, or the file system it is "
                "on, cannot be written); nothing was changed: make it writable or choose "
                "another --db"
            )
        return StoreError(f"{self.path}: cannot open the database ({exc})")

    # -- schema -----------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        """Apply the missing migrations, each all-or-nothing. The identity is checked
        again on this connection: the file may have been replaced since the probe."""
        for number in range(self._identify(self.db.conn), SCHEMA_VERSION):
            with self.db.atomic():
                MIGRATIONS[number](self.db)
                self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                self.db.execute(f"PRAGMA user_version = {number + 1}")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- feeds and runs ---------------------------------------------------------------

    def sync_feeds(self, feeds: Iterable[Feed]) -> None:
        """Record each configured feed's metadata, keeping its fetch state; a feed
        whose URL changed starts afresh: no validators or body hash of the old URL
        (they could make the new one look unchanged), no back-off from its failures."""
        with self.db.atomic():
            for feed in feeds:
                self.db.execute(
                    """INSERT INTO feeds (name, url, outlet, country, language, state_backed,
                           tags, enabled)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                       ON CONFLICT(name) DO UPDATE SET
                           etag=iif(url IS excluded.url, etag, NULL),
                           last_modified=iif(url IS excluded.url, last_modified, NULL),
                           body_hash=iif(url IS excluded.url, body_hash, NULL),
                           consecutive_failures=iif(url IS excluded.url,
                                                    consecutive_failures, 0),
                           next_attempt=iif(url IS excluded.url, next_attempt, NULL),
                           url=excluded.url,
                           outlet=excluded.outlet, country=excluded.country,
                           language=excluded.language, state_backed=excluded.state_backed,
                           tags=excluded.tags, enabled=excluded.enabled""",
                    [feed.name, feed.url, feed.outlet, feed.country, feed.language,
                     None if feed.state_backed is None else int(feed.state_backed),
                     json.dumps(list(feed.tags)), int(feed.enabled)],
                )

    def feed_state(self, name: str) -> dict[str, Any]:
        row = self.db.execute(
            "SELECT etag, last_modified, consecutive_failures, next_attempt, url, body_hash "
            "FROM feeds WHERE name = ?",
            [name],
        ).fetchone()
        keys = ("etag", "last_modified", "consecutive_failures", "next_attempt", "url",
                "body_hash")
        if row is None:
            return dict.fromkeys(keys) | {"consecutive_failures": 0}
        return dict(zip(keys, row, strict=True))

    def begin_run(self) -> int:
        """Start a run; runs left 'running' by a killed process are marked interrupted.

        Callers hold the ingest lock, so no other run can really be in progress.
        """
        with self.db.atomic():
            self.db.execute(
                "UPDATE runs SET status = 'interrupted' WHERE status = 'running'"
            )
            cur = self.db.execute("INSERT INTO runs (started) VALUES (?)", [now_iso()])
            return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, results: Sequence[FeedResult]) -> None:
        errors = [{"feed": r.feed, "error": r.error} for r in results if r.error]
        ok = sum(1 for r in results if r.ok and not r.skipped)
        failed = sum(1 for r in results if not r.ok)
        skipped = sum(1 for r in results if r.skipped)
        with self.db.atomic():
            self.db.execute(
                """UPDATE runs SET finished=?, status=?, feeds_ok=?, feeds_failed=?,
                       feeds_skipped=?, new=?, updated=?, unchanged=?, errors=?
                   WHERE id=?""",
                [now_iso(), "failed" if failed else "ok", ok, failed, skipped,
                 sum(r.new for r in results), sum(r.updated for r in results),
                 sum(r.unchanged for r in results), json.dumps(errors), run_id],
            )

    def record_not_modified(
        self, name: str, status: int, *, etag: str | None = None, last_modified: str | None = None
    ) -> None:
        """A 304, or a body identical to the last one: success, with nothing to parse."""
        at = now_iso()
        with self.db.atomic():
            self.db.execute(
                """UPDATE feeds SET last_attempt=?, last_success=?, last_status=?,
                       last_error=NULL, consecutive_failures=0, next_attempt=NULL,
                       etag=COALESCE(?, etag), last_modified=COALESCE(?, last_modified)
                   WHERE name=?""",
                [at, at, status, etag, last_modified, name],
            )

    def record_failure(
        self,
        name: str,
        *,
        run_id: int | None,
        error: str,
        status: int | None,
        next_attempt: str | None,
    ) -> None:
        at = now_iso()
        with self.db.atomic():
            self.db.execute(
                """UPDATE feeds SET last_attempt=?, last_status=?, last_error=?,
                       consecutive_failures=consecutive_failures + 1, next_attempt=?
                   WHERE name=?""",
                [at, status, error, next_attempt, name],
            )
            self.db.execute(
                "INSERT INTO feed_failures (feed, run_id, at, status, error) VALUES (?,?,?,?,?)",
                [name, run_id, at, status, error],
            )

    def save_feed(
        self,
        name: str,
        articles: Sequence[Article],
        *,
        status: int,
        etag: str | None,
        last_modified: str | None,
        body_hash: str | None = None,
    ) -> tuple[int, int, int]:
        """Store one feed's articles and its new fetch state in one transaction.

        Returns (new, updated, unchanged). An article already stored (same id)
        is updated only when its content hash changed.
        """
        at = now_iso()
        new = updated = unchanged = 0
        with self.db.atomic():
            for art in articles:
                row = self.db.execute(
                    "SELECT content_hash FROM articles WHERE id = ?", [art.id]
                ).fetchone()
                day, week, month = period_keys(art.published)
                if row is None:
                    self.db.execute(
                        """INSERT INTO articles (id, feed, url, canonical_url, guid, title, text,
                               author, language, published, published_source, day, week, month,
                               first_seen, updated_at, content_hash)
                           VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                        [art.id, art.feed, art.url, art.canonical_url, art.guid, art.title,
                         art.text, art.author, art.language, art.published,
                         art.published_source, day, week, month, at, at, art.content_hash],
                    )
                    self.db.execute(
                        "INSERT INTO article_facts (article_id, day, week, month, feed, language) "
                        "VALUES (?,?,?,?,?,?)",
                        [art.id, day, week, month, art.feed, art.language],
                    )
                    new += 1
                elif row[0] != art.content_hash:
                    # A changed story keeps its first publication time and feed.
                    self.db.execute(
                        """UPDATE articles SET title=?, text=?, author=?, url=?, guid=?,
                               updated_at=?, content_hash=? WHERE id=?""",
                        [art.title, art.text, art.author, art.url, art.guid, at,
                         art.content_hash, art.id],
                    )
                    updated += 1
                else:
                    unchanged += 1
                self.db.execute(
                    "INSERT OR IGNORE INTO article_feeds (article_id, feed, first_seen) "
                    "VALUES (?,?,?)",
                    [art.id, name, at],
                )
            self.db.execute(
                """UPDATE feeds SET etag=?, last_modified=?, body_hash=?, last_attempt=?,
                       last_success=?, last_status=?, last_error=NULL, consecutive_failures=0,
                       next_attempt=NULL, last_new=CASE WHEN ? > 0 THEN ? ELSE last_new END
                   WHERE name=?""",
                [etag, last_modified, body_hash, at, at, status, new, at, name],
            )
        return new, updated, unchanged

    # -- analysis ---------------------------------------------------------------------

    def articles_to_analyze(
        self, *, all_articles: bool = False, ids: Sequence[str] | None = None
    ) -> Iterator[tuple[str, str, str, str]]:
        """(id, title, text, content_hash) of articles whose analysis is missing or stale."""
        sql = "SELECT id, title, text, content_hash FROM articles"
        params: list[Any] = []
        if ids is not None:
            if not ids:
                return
            sql += f" WHERE id IN ({','.join('?' * len(ids))})"
            params = list(ids)
        elif not all_articles:
            sql += " WHERE analyzed_hash IS NULL OR analyzed_hash != content_hash"
        sql += " ORDER BY published, id"
        yield from self.db.execute(sql, params)

    def count_to_analyze(self, *, all_articles: bool = False) -> int:
        sql = "SELECT COUNT(*) FROM articles"
        if not all_articles:
            sql += " WHERE analyzed_hash IS NULL OR analyzed_hash != content_hash"
        return int(self.db.execute(sql).fetchone()[0])

    def save_analyses(self, items: Iterable[tuple[Analysis, str]]) -> int:
        """Replace the derived rows of each article, in one transaction per call."""
        count = 0
        with self.db.atomic():
            for analysis, chash in items:
                self._save_analysis(analysis, chash)
                count += 1
        return count

    def _save_analysis(self, a: Analysis, chash: str) -> None:
        aid = a.article_id
        prov = a.provenance
        for table in ("entities", "article_actors", "article_countries", "article_themes"):
            self.db.execute(f"DELETE FROM {table} WHERE article_id = ?", [aid])
        self.db.conn.executemany(
            "INSERT INTO entities (article_id, text, label, count, actor, actor_kind, sentences) "
            "VALUES (?,?,?,?,?,?,?)",
            # The sentences themselves, not indexes: the article's sentence list is not kept.
            [(aid, e.text, e.label, e.count, e.actor, e.actor_kind,
              json.dumps([a.sentences[i] for i in e.sentences[:ENTITY_SENTENCES]
                          if i < len(a.sentences)], ensure_ascii=False))
             for e in a.entities],
        )
        tones = {t.actor: t for t in a.tones}
        rows = []
        for m in a.actors:
            t = tones.get(m.actor)
            rows.append((
                aid, m.actor, m.mentions, json.dumps([list(x) for x in m.entities]),
                json.dumps([a.sentences[i] for i in m.sentences if i < len(a.sentences)]),
                t.tone if t else None, t.tone_label if t else None, t.frame if t else None,
                t.frame_score if t else None, json.dumps(list(t.evidence)) if t else None,
                prov.get("actor_registry"), prov.get("tone_method") if t else None,
            ))
        self.db.conn.executemany(
            "INSERT INTO article_actors (article_id, actor, mentions, entities, sentences, tone, "
            "tone_label, frame, frame_score, evidence, registry_version, tone_method) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )

        self.db.conn.executemany(
            "INSERT INTO article_themes (article_id, theme, score, assigned, model_version) "
            "VALUES (?,?,?,?,?)",
            [(aid, t.theme, t.score, int(t.assigned), prov.get("theme_model", ""))
             for t in a.themes],
        )
        self.db.execute(
            "UPDATE articles SET analyzed_hash=?, analysis_provenance=? WHERE id=?",
            [chash, json.dumps(prov, sort_keys=True), aid],
        )
        present = {m.actor for m in a.actors}
        us, cn = tones.get("US"), tones.get("China")
        self.db.conn.executemany(
            "INSERT INTO article_countries (article_id, code, name, mentions, weight, focus, "
            "gazetteer_version, us, china, us_tone, china_tone) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [(aid, c.code, c.name, c.mentions, c.weight, int(c.focus), prov.get("gazetteer"),
              int("US" in present), int("China" in present), us.tone if us else None,
              cn.tone if cn else None)
             for c in a.countries],
        )
        bits = self.theme_bits([t.theme for t in a.themes])
        mask = sum(1 << bits[t.theme] for t in a.themes if t.assigned)
        focus = "".join(f",{c.code}" for c in a.countries if c.focus)
        self.db.execute(
            """UPDATE article_facts SET analyzed=1, us=?, china=?, us_tone=?, china_tone=?,
                   us_frame=?, china_frame=?, themes=?, countries=? WHERE article_id=?""",
            [int("US" in present), int("China" in present), us.tone if us else None,
             cn.tone if cn else None, us.frame if us else None, cn.frame if cn else None,
             mask, focus + "," if focus else "", aid],
        )

    def theme_bits(self, names: Iterable[str] = ()) -> dict[str, int]:
        """The bit of each theme in article_facts.themes; new names get the next bit.

        Kept in the database, so editing themes.yaml never reinterprets stored bits.
        """
        row = self.db.execute("SELECT value FROM meta WHERE key = 'theme_bits'").fetchone()
        bits: dict[str, int] = json.loads(row[0]) if row else {}
        missing = [n for n in names if n not in bits]
        if missing:
            for n in missing:
                bits[n] = len(bits)
            if len(bits) > 62:
                raise StoreError("more than 62 themes cannot be stored in article_facts")
            self.db.execute(
                "INSERT INTO meta (key, value) VALUES ('theme_bits', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [json.dumps(bits)],
            )
        return bits

    # -- analysts' labels -------------------------------------------------------------

    def theme_scores(self) -> dict[str, dict[str, float]]:
        """Stored theme scores per article: {article_id: {theme: score}}."""
        out: dict[str, dict[str, float]] = {}
        for aid, theme, score in self.db.execute(
                "SELECT article_id, theme, score FROM article_themes"):
            out.setdefault(aid, {})[theme] = score
        return out

    def articles_by_id(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start:start + 500])
            sql = ("SELECT id, published, feed, title, text, canonical_url AS url FROM articles "
                   f"WHERE id IN ({','.join('?' * len(chunk))})")
            out.update({r["id"]: r for r in self.db.query(sql, chunk)})
        return out

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        ids = list(ids)
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            found.update(r[0] for r in self.db.execute(
                f"SELECT id FROM articles WHERE id IN ({','.join('?' * len(chunk))})", chunk))
        return found

    def save_labels(self, labels: Sequence[tuple[str, Sequence[str]]], *, source: str) -> int:
        """Store analysts' theme labels, all or nothing; a later label replaces an earlier one."""
        at = now_iso()
        with self.db.atomic():
            for aid, themes in labels:
                self.db.execute(
                    "INSERT INTO labels (article_id, themes, source, imported_at) VALUES (?,?,?,?) "
                    "ON CONFLICT(article_id) DO UPDATE SET themes=excluded.themes, "
                    "source=excluded.source, imported_at=excluded.imported_at",
                    [aid, json.dumps(sorted(themes)), source, at],
                )
        return len(labels)

    def labeled_texts(self) -> list[dict[str, Any]]:
        """Analysts' labels with the article text, for training."""
        return [
            {"id": r["article_id"], "text": f"{r['title']}\n{r['text']}",
             "themes": json.loads(r["themes"])}
            for r in self.db.query(
                "SELECT l.article_id, l.themes, a.title, a.text FROM labels l "
                "JOIN articles a ON a.id = l.article_id ORDER BY l.article_id")
        ]

    # -- reading ----------------------------------------------------------------------

    def known_actors(self) -> list[str]:
        """US and China first, then every other actor stored."""
        rows = [r[0] for r in self.db.execute(
            "SELECT DISTINCT actor FROM article_actors ORDER BY actor")]
        return ["US", "China"] + [a for a in rows if a not in ("US", "China")]

    def known_countries(self) -> set[str]:
        """Codes of the countries some stored article focuses on (what --country matches)."""
        return {r[0] for r in self.db.execute(
            "SELECT DISTINCT code FROM article_countries WHERE focus = 1")}

    def known_languages(self) -> set[str]:
        return {r[0] for r in self.db.execute(
            "SELECT DISTINCT language FROM article_facts WHERE language IS NOT NULL")}

    def feed_names_and_outlets(self) -> list[tuple[str, str | None]]:
        return [(r[0], r[1]) for r in self.db.execute("SELECT name, outlet FROM feeds")]

    def feed_metadata(self) -> dict[str, dict[str, Any]]:
        return {r["name"]: r for r in self.db.query(
            "SELECT name, outlet, country, state_backed FROM feeds")}

    def select_feeds(self, *, sources: Sequence[str] = (),
                     state_backed: bool | None = None) -> list[str]:
        """Feed names matching any of `sources` (feed name or outlet) and state backing."""
        out = []
        wanted = {s.lower() for s in sources}
        rows = self.db.execute("SELECT name, outlet, state_backed FROM feeds")
        for name, outlet, backed in rows:
            if wanted and name.lower() not in wanted and (outlet or "").lower() not in wanted:
                continue
            if state_backed is not None and (backed is None or bool(backed) != state_backed):
                continue
            out.append(name)
        return out

    def failing_feeds(self, *, since: date | None, until: date | None,
                      feeds: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Feeds that failed at least once in the date range: the report's coverage gaps.
        `feeds` limits them to the feeds a report reads (None: every feed)."""
        where: list[str] = []
        params: list[Any] = []
        if feeds is not None:
            where.append(f"feed IN ({','.join('?' * len(feeds))})" if feeds else "0")
            params.extend(feeds)
        if since:
            where.append("at >= ?")
            params.append(since.isoformat())
        if until:
            where.append("at < ?")
            params.append((until + timedelta(days=1)).isoformat())
        sql = ("SELECT feed, COUNT(*) AS failures, MAX(at) AS last_failure FROM feed_failures"
               + (" WHERE " + " AND ".join(where) if where else "")
               + " GROUP BY feed ORDER BY feed")
        return list(self.db.query(sql, params))

    def counts(self) -> dict[str, int]:
        return {
            t: self.db[t].count
            for t in ("feeds", "articles", "entities", "article_actors", "article_themes", "runs")
        }

    def summary(self) -> dict[str, Any]:
        """Totals for `narratives summary`: per feed, per actor, per theme."""
        first, last, n = self.db.execute(
            "SELECT MIN(day), MAX(day), COUNT(*) FROM articles"
        ).fetchone()
        by_feed = list(self.db.query(
            """SELECT f.name AS feed, f.outlet, f.country, COUNT(a.id) AS articles,
                      MIN(a.day) AS first, MAX(a.day) AS last
               FROM feeds f LEFT JOIN articles a ON a.feed = f.name
               GROUP BY f.name ORDER BY articles DESC, f.name"""
        ))
        actors = list(self.db.query(
            """SELECT actor, COUNT(*) AS articles, SUM(mentions) AS mentions,
                      ROUND(AVG(tone), 3) AS mean_tone
               FROM article_actors GROUP BY actor ORDER BY articles DESC LIMIT 8"""
        ))
        themes = list(self.db.query(
            """SELECT theme, COUNT(*) AS articles FROM article_themes WHERE assigned = 1
               GROUP BY theme ORDER BY articles DESC"""
        ))
        not_analyzed, changed = self.db.execute(
            "SELECT COUNT(*) FILTER (WHERE analyzed_hash IS NULL), "
            "COUNT(*) FILTER (WHERE analyzed_hash != content_hash) FROM articles"
        ).fetchone()
        return {"articles": n, "first": first, "last": last, "feeds": len(by_feed),
                "not_analyzed": not_analyzed, "changed_since_analysis": changed,
                "by_feed": by_feed, "actors": actors, "themes": themes}

    def feeds_status(self, *, days: int = 7) -> list[dict[str, Any]]:
        """Every feed's health, with its articles per day over the last `days` days."""
        since = (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        sql = """
            SELECT f.name, f.outlet, f.enabled, f.last_attempt, f.last_success, f.last_status,
                   f.consecutive_failures, f.last_error, f.next_attempt, f.last_new,
                   (SELECT COUNT(*) FROM article_feeds af WHERE af.feed = f.name) AS articles,
                   (SELECT COUNT(*) FROM article_feeds af
                     WHERE af.feed = f.name AND af.first_seen >= :since) AS recent
            FROM feeds f ORDER BY f.name
        """
        out = []
        for row in self.db.query(sql, {"since": since}):
            row["per_day"] = round(row.pop("recent") / days, 2)
            out.append(row)
        return out

    def fts_query(self, query: str) -> str:
        """The FTS5 query to run for `query`: itself when FTS5 accepts it, else its words
        as plain terms (each whitespace-separated chunk quoted, so "China-Bolivia" and
        "U.S." are searched as written). A StoreError when neither can be searched."""
        if not query.strip():
            raise StoreError("cannot search for an empty query; give words to look for, "
                             "e.g. lithium, or a phrase in double quotes, e.g. '\"debt trap\"'")
        candidates = [query]
        words = plain_words(query)
        if words != query:
            candidates.append(words)
        error: sqlite3.OperationalError | None = None
        for candidate in candidates:
            try:
                self.db.execute("SELECT 1 FROM articles_fts WHERE articles_fts MATCH ? LIMIT 1",
                                [candidate]).fetchall()
                return candidate
            except sqlite3.OperationalError as exc:
                error = error or exc
        raise StoreError(
            f"cannot search for {query!r} ({error}); write words (lithium Bolivia), phrases "
            "in double quotes ('\"debt trap\"'), or FTS5 syntax (lithium AND (CATL OR Ganfeng))"
        )

    def search(self, query: str, *, limit: int = 20) -> list[dict[str, Any]]:
        """Full-text search over title and text, best matches first. FTS5 syntax where
        the query is valid FTS5, else the query's words (see `fts_query`)."""
        return self.search_match(self.fts_query(query), limit=limit)

    def search_match(self, match: str, *, limit: int = 20) -> list[dict[str, Any]]:
        """The best matches of an FTS5 expression `fts_query` has accepted."""
        sql = """
            SELECT a.id, a.published, a.feed, a.title, a.canonical_url AS url,
                   snippet(articles_fts, 1, '[', ']', '...', 12) AS snippet
            FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid
            WHERE articles_fts MATCH ? ORDER BY rank LIMIT ?
        """
        return list(self.db.query(sql, [match, limit]))

    def iter_articles(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        feeds: Sequence[str] = (),
    ) -> Iterator[dict[str, Any]]:
        """Stored articles in publication order, for exports."""
        where, params = [], []
        if since:
            where.append("a.published >= ?")
            params.append(since)
        if until:
            where.append("a.published < ?")
            params.append(until)
        if feeds:
            where.append(f"a.feed IN ({','.join('?' * len(feeds))})")
            params.extend(feeds)
        sql = (
            "SELECT a.id, a.published, a.published_source, a.feed, f.outlet, a.title, "
            "a.canonical_url AS url, a.author, a.language, a.text FROM articles a "
            "JOIN feeds f ON f.name = a.feed"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY a.published, a.id"
        yield from self.db.query(sql, params)

