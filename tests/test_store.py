from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from narratives import store as store_module
from narratives.errors import StoreError
from narratives.parse import parse_feed
from narratives.records import Feed
from narratives.store import SCHEMA_VERSION, Store

from .conftest import make_items, rss

FEED = Feed(name="t", url="https://example.org/rss")


def _store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "n.db")
    s.sync_feeds([FEED])
    return s


def test_schema_version_and_wal(tmp_path: Path) -> None:
    with _store(tmp_path) as s:
        assert s.schema_version == SCHEMA_VERSION
        assert s.db.journal_mode == "wal"
        assert {"feeds", "runs", "articles", "articles_fts", "entities", "article_actors",
                "article_countries", "article_themes", "labels"} <= set(s.db.table_names())


def test_reopening_keeps_data_and_version(tmp_path: Path) -> None:
    with _store(tmp_path) as s:
        s.save_feed("t", parse_feed(rss(make_items(3)), FEED), status=200, etag=None,
                    last_modified=None)
    with Store(tmp_path / "n.db") as s:
        assert s.db["articles"].count == 3 and s.schema_version == SCHEMA_VERSION


def test_new_updated_unchanged(tmp_path: Path) -> None:
    with _store(tmp_path) as s:
        arts = parse_feed(rss(make_items(3)), FEED)
        assert s.save_feed("t", arts, status=200, etag="e", last_modified=None) == (3, 0, 0)
        assert s.save_feed("t", arts, status=200, etag="e", last_modified=None) == (0, 0, 3)
        items = make_items(3)
        items[0]["description"] = "<p>Corrected text.</p>"
        changed = parse_feed(rss(items), FEED)
        assert s.save_feed("t", changed, status=200, etag="e", last_modified=None) == (0, 1, 2)
        assert s.db["articles"].count == 3
        row = s.db.execute("SELECT text FROM articles WHERE id = ?", [changed[0].id]).fetchone()
        assert row[0] == "Corrected text."


def test_same_story_from_two_feeds_is_stored_once(tmp_path: Path) -> None:
    other = Feed(name="o", url="https://other.example/rss")
    with _store(tmp_path) as s:
        s.sync_feeds([other])
        s.save_feed("t", parse_feed(rss(make_items(2)), FEED), status=200, etag=None,
                    last_modified=None)
        s.save_feed("o", parse_feed(rss(make_items(2)), other), status=200, etag=None,
                    last_modified=None)
        assert s.db["articles"].count == 2
        assert s.db["article_feeds"].count == 4


def test_search_uses_fts_and_follows_updates(tmp_path: Path) -> None:
    with _store(tmp_path) as s:
        items = make_items(2)
        s.save_feed("t", parse_feed(rss(items), FEED), status=200, etag=None, last_modified=None)
        assert len(s.search("Bolivia")) == 2
        items[1]["description"] = "Now about copper in Peru"
        s.save_feed("t", parse_feed(rss(items), FEED), status=200, etag=None, last_modified=None)
        assert [r["title"] for r in s.search("copper")] == ["story 1 on lithium and gas"]
        # not FTS5 syntax: searched as the words written, not refused
        assert len(s.search('"unbalanced')) == 0 and len(s.search('"Bolivia')) == 1
        with pytest.raises(StoreError, match="cannot search for an empty query"):
            s.search("  ")


def test_search_reads_analysts_queries_as_words_when_fts5_rejects_them(tmp_path: Path) -> None:
    """FTS5 reads "China-Bolivia" as column China minus Bolivia and "U.S." as a syntax
    error; an analyst means the words. Valid FTS5 keeps its meaning."""
    items = [{"title": "China-Bolivia lithium deal", "link": "https://x.example/1",
              "description": "The U.S. embassy in La Paz said nothing.",
              "pubDate": "Mon, 07 Sep 2026 10:00:00 GMT"},
             {"title": "Bolivia and Peru", "link": "https://x.example/2",
              "description": "China is mentioned far from Bolivia here, and the US too.",
              "pubDate": "Mon, 07 Sep 2026 11:00:00 GMT"}]
    with _store(tmp_path) as s:
        s.save_feed("t", parse_feed(rss(items), FEED), status=200, etag=None, last_modified=None)
        assert s.fts_query("China-Bolivia") == '"China-Bolivia"'
        assert [r["title"] for r in s.search("China-Bolivia")] == ["China-Bolivia lithium deal"]
        assert s.fts_query("U.S.") == '"U.S."'
        assert [r["title"] for r in s.search("U.S.")] == ["China-Bolivia lithium deal"]
        assert s.fts_query("U.S. embassy") == '"U.S." "embassy"'
        assert len(s.search("U.S. embassy")) == 1
        # valid FTS5 is run as written
        assert s.fts_query("China NOT lithium") == "China NOT lithium"
        assert [r["title"] for r in s.search("China NOT lithium")] == ["Bolivia and Peru"]
        assert len(s.search('"debt trap" OR Bolivia')) == 2


def test_search_command_says_when_it_read_the_query_as_words(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from narratives.cli import main

    items = [{"title": "China-Bolivia lithium deal", "link": "https://x.example/1",
              "description": "The U.S. embassy said nothing.",
              "pubDate": "Mon, 07 Sep 2026 10:00:00 GMT"}]
    with _store(tmp_path) as s:
        s.save_feed("t", parse_feed(rss(items), FEED), status=200, etag=None, last_modified=None)
    db = str(tmp_path / "n.db")
    runner = CliRunner()
    for query in ("China-Bolivia", "U.S."):
        r = runner.invoke(main, ["search", query, "--db", db, "--format", "jsonl"])
        assert r.exit_code == 0, r.output
        assert [json.loads(line)["title"] for line in r.stdout.splitlines()] == [
            "China-Bolivia lithium deal"]
        assert r.stderr == (f"Note: {query!r} is not FTS5 query syntax, so it was searched as "
                            f"the words \"{query}\"\n")
    r = runner.invoke(main, ["search", "lithium AND deal", "--db", db, "--format", "jsonl"])
    assert r.exit_code == 0 and r.stderr == "" and len(r.stdout.splitlines()) == 1
    r = runner.invoke(main, ["search", "", "--db", db])
    assert r.exit_code == 1 and r.output.startswith("Error: cannot search for an empty query")
    assert len(r.output.strip().splitlines()) == 1


def test_summary_counts_articles_waiting_for_analysis(tmp_path: Path) -> None:
    with _store(tmp_path) as s:
        arts = parse_feed(rss(make_items(3)), FEED)
        s.save_feed("t", arts, status=200, etag=None, last_modified=None)
        assert (s.summary()["not_analyzed"], s.summary()["changed_since_analysis"]) == (3, 0)
        s.db.execute("UPDATE articles SET analyzed_hash = content_hash WHERE id = ?",
                     [arts[0].id])
        s.db.execute("UPDATE articles SET analyzed_hash = 'old' WHERE id = ?", [arts[1].id])
        assert (s.summary()["not_analyzed"], s.summary()["changed_since_analysis"]) == (1, 1)


def test_schema_1_database_is_migrated_with_its_articles(tmp_path: Path) -> None:
    """Migration 2 rebuilds the report indexes led by `analyzed`; data is kept."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    with conn:
        store_module._run_ddl(_Db(conn), store_module._SCHEMA_1)  # type: ignore[arg-type]
        conn.execute(f"PRAGMA application_id = {store_module.APPLICATION_ID}")
        conn.execute("PRAGMA user_version = 1")
        conn.execute("INSERT INTO feeds (name, url) VALUES ('t', 'https://example.org/rss')")
        conn.execute("INSERT INTO article_facts (article_id, day, week, month, feed) "
                     "VALUES ('a', '2026-09-07', '2026-09-07', '2026-09', 't')")
    conn.close()
    with Store(path) as s:
        assert s.schema_version == SCHEMA_VERSION
        assert s.db.execute("SELECT COUNT(*) FROM article_facts").fetchone()[0] == 1
        cols = [r[2] for r in s.db.execute("PRAGMA index_info(article_facts_day)")]
        assert cols[:2] == ["analyzed", "day"]


class _Db:
    """Just enough of sqlite_utils.Database for _run_ddl on a plain connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str) -> sqlite3.Cursor:
        return self.conn.execute(sql)


#: The three ways commands open a database: ingest, other writers, readers.
OPENINGS = [{}, {"create": False}, {"readonly": True}]
OPENING_IDS = ["ingest", "writer", "reader"]


def _journal_mode(path: Path) -> str:
    """The file's journal mode, asked through a connection that cannot change it."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        conn.close()


def _assert_untouched(path: Path, before: bytes, *, journal: str = "delete") -> None:
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no -wal, -shm
    if before:
        assert _journal_mode(path) == journal


def _article_db(path: Path, *, journal: str = "wal") -> Path:
    """A narratives database holding 3 articles, left in the given journal mode."""
    path.parent.mkdir(exist_ok=True)
    with Store(path) as s:
        s.sync_feeds([FEED])
        s.save_feed("t", parse_feed(rss(make_items(3)), FEED), status=200, etag=None,
                    last_modified=None)
    if journal != "wal":
        conn = sqlite3.connect(path)
        conn.execute(f"PRAGMA journal_mode = {journal}")
        conn.close()
    return path


@pytest.mark.parametrize("user_version", [0, 3])
@pytest.mark.parametrize("opening", OPENINGS, ids=OPENING_IDS)
def test_foreign_sqlite_file_is_refused_untouched(tmp_path: Path, opening: dict,
                                                  user_version: int) -> None:
    """Identity is checked before anything is written: no WAL switch, no tables."""
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE foo (x)")
    conn.execute(f"PRAGMA user_version = {user_version}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a narratives database"):
        Store(path, **opening)
    _assert_untouched(path, before)
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["foo"]
    conn.close()


@pytest.mark.parametrize("opening", OPENINGS[1:], ids=OPENING_IDS[1:])
def test_an_empty_file_is_refused_untouched_by_commands_that_need_a_database(
        tmp_path: Path, opening: dict) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(StoreError, match=r"empty file, not a narratives database yet \(run "
                       r"`narratives ingest --db"):
        Store(path, **opening)
    _assert_untouched(path, b"")


def test_ingest_makes_an_empty_file_a_database(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with Store(path) as s:
        assert s.schema_version == SCHEMA_VERSION and s.db.journal_mode == "wal"


@pytest.mark.parametrize("opening", OPENINGS, ids=OPENING_IDS)
def test_a_database_from_a_newer_narratives_is_refused_untouched(tmp_path: Path,
                                                                 opening: dict) -> None:
    path = _article_db(tmp_path / "n.db", journal="delete")
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError) as err:
        Store(path, **opening)
    assert str(err.value) == (f"{path}: database schema {SCHEMA_VERSION + 1} is newer than "
                              f"this narratives (knows {SCHEMA_VERSION}); upgrade narratives")
    _assert_untouched(path, before)


def test_a_reader_never_writes(tmp_path: Path) -> None:
    """A reader keeps the journal mode it finds and refuses writes, even on a file it could
    write; a writer switches the same file to WAL."""
    path = _article_db(tmp_path / "n.db", journal="delete")
    before = path.read_bytes()
    with Store(path, readonly=True) as s:
        assert s.counts()["articles"] == 3 and s.db.journal_mode == "delete"
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            s.sync_feeds([Feed(name="o", url="https://other.example/rss")])
    _assert_untouched(path, before)
    with Store(path, create=False) as s:
        assert s.db.journal_mode == "wal"


@pytest.fixture(params=["chmod", "sqlite-mode-ro"])
def cannot_write(request: pytest.FixtureRequest,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], None]]:
    """Makes a database file, and its folder, unwritable for this process: chmod 0o444
    and 0o555 for an ordinary user; for root, which writes whatever the modes say,
    SQLite's own read-only open mode (a file: URI with mode=ro) stands in."""
    changed: list[Path] = []
    if request.param == "chmod":
        if os.geteuid() == 0:
            pytest.skip("root writes a 0o444 file in a 0o555 folder; the sqlite-mode-ro "
                        "case emulates a read-only file instead")

        def make(path: Path) -> None:
            path.chmod(0o444)
            path.parent.chmod(0o555)
            changed.extend([path.parent, path])
    else:
        connect = store_module._connect

        def make(path: Path) -> None:
            monkeypatch.setattr(store_module, "_connect",
                                lambda path, *, readonly: connect(path, readonly=True))
    yield make
    for p in changed:
        p.chmod(0o755 if p.is_dir() else 0o644)


def test_a_read_only_database_is_read_and_refused_for_writing(
        tmp_path: Path, cannot_write: Callable[[Path], None]) -> None:
    """Reports work on a file they cannot write (here in rollback mode, which needs no
    writable folder to read); ingest and other writers say in one line that it is
    read-only, before changing anything."""
    path = _article_db(tmp_path / "ro" / "n.db", journal="delete")
    before = path.read_bytes()
    cannot_write(path)
    with Store(path, readonly=True) as s:
        assert s.counts()["articles"] == 3
        assert [r["title"] for r in s.search("story 1")][0].startswith("story 1")
    for opening in OPENINGS[:2]:
        with pytest.raises(StoreError) as err:
            Store(path, **opening)
        assert str(err.value) == (
            f"{path}: the database is read-only (the file, or the file system it is on, "
            "cannot be written); nothing was changed: make it writable or choose another --db")
    _assert_untouched(path, before)


def test_a_read_only_wal_database_in_a_writable_folder_is_read(
        tmp_path: Path, cannot_write: Callable[[Path], None]) -> None:
    path = _article_db(tmp_path / "ro" / "n.db")
    cannot_write(path)
    path.parent.chmod(0o755)  # SQLite reads a WAL database by creating files beside it
    with Store(path, readonly=True) as s:
        assert s.counts()["articles"] == 3
    with pytest.raises(StoreError, match="the database is read-only"):
        Store(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can create n.db-wal in a 0o555 folder, and "
                    "no SQLite open mode emulates a folder that cannot be written")
def test_a_wal_database_in_a_folder_that_cannot_be_written_is_one_clear_line(
        tmp_path: Path) -> None:
    path = _article_db(tmp_path / "ro" / "n.db")
    before = path.read_bytes()
    path.chmod(0o444)
    path.parent.chmod(0o555)
    try:
        with pytest.raises(StoreError) as err:
            Store(path, readonly=True)
        assert str(err.value) == (
            f"{path}: cannot read it: the database is in WAL mode, so SQLite must create "
            f"n.db-wal and n.db-shm beside it, but its folder {path.parent} is not writable; "
            "make the folder writable or copy the database to a folder you can write")
        with pytest.raises(StoreError, match="cannot write it: .* folder .* is not writable"):
            Store(path, create=False)
        assert path.read_bytes() == before  # SQLite itself cannot read it here
        assert sorted(p.name for p in path.parent.iterdir()) == ["n.db"]
    finally:
        path.parent.chmod(0o755)
        path.chmod(0o644)


def test_garbage_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"definitely not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable SQLite database"):
        Store(path)


def test_missing_database_for_read_commands(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="run `narratives ingest"):
        Store(tmp_path / "none.db", create=False)


def test_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    with _store(tmp_path) as s:
        arts = parse_feed(rss(make_items(3)), FEED)
        broken = [arts[0], arts[1].__class__(**{**arts[1].__dict__, "published": "not a date"})]
        with pytest.raises(ValueError):
            s.save_feed("t", broken, status=200, etag=None, last_modified=None)
        assert s.db["articles"].count == 0


def test_a_feed_whose_url_changed_starts_afresh(tmp_path: Path) -> None:
    """Validators and back-off belong to a URL: the new one is fetched in full, at once."""
    with _store(tmp_path) as s:
        s.record_not_modified("t", 304, etag='"v1"', last_modified="Mon, 02 Nov 2026 10:00:00 GMT")
        s.record_failure("t", run_id=None, error="HTTP 500", status=500,
                         next_attempt="2999-01-01T00:00:00Z")
        s.sync_feeds([FEED])  # same URL: state kept
        kept = s.feed_state("t")
        assert (kept["etag"], kept["consecutive_failures"]) == ('"v1"', 1)
        assert kept["next_attempt"] == "2999-01-01T00:00:00Z"
        moved = Feed(name="t", url="https://example.org/new-rss")
        s.sync_feeds([moved])
        state = s.feed_state("t")
        assert state["url"] == moved.url
        assert state["etag"] is None and state["last_modified"] is None
        assert state["body_hash"] is None and state["next_attempt"] is None
        assert state["consecutive_failures"] == 0
