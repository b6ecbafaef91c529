from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

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
        with pytest.raises(StoreError, match="cannot search"):
            s.search('"unbalanced')


def test_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE stuff (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a narratives database"):
        Store(path)


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
