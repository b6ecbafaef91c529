from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from narratives.config import Settings, load_feeds
from narratives.pipeline import backoff_until, ingest
from narratives.store import Store

from .conftest import FeedServer, Route, make_items, rss, write_feeds_yaml


def _config(tmp_path: Path, server: FeedServer, paths: list[str], **settings: object):
    feeds = [{"name": p.strip("/"), "url": server.url(p)} for p in paths]
    return load_feeds(write_feeds_yaml(tmp_path / "feeds.yaml", feeds,
                                       settings={"host_delay": 0.01, **settings}))


def test_one_bad_feed_does_not_stop_the_run(tmp_path: Path, server: FeedServer) -> None:
    server.routes["/good"] = Route(body=rss(make_items(4)))
    server.routes["/missing"] = Route(status=404)
    server.routes["/html"] = Route(body=b"<!doctype html><html><p>Home</p></html>",
                                   headers={"Content-Type": "text/html"})
    server.routes["/broken"] = Route(body=b"<rss><channel><title>x</ti")
    server.routes["/empty"] = Route(body=b"")
    server.routes["/slow"] = Route(body=rss(make_items(1)), delay=2)
    cfg = _config(tmp_path, server, ["/good", "/missing", "/html", "/broken", "/empty", "/slow"],
                  read_timeout=0.5)
    with Store(tmp_path / "n.db") as store:
        summary = ingest(cfg, store)
        assert summary.new == 4 and summary.feeds_ok == 1
        assert summary.feeds_failed == 5 and summary.exit_code == 1
        status = {r["name"]: r for r in store.feeds_status()}
        assert status["missing"]["last_status"] == 404
        assert "HTML page" in status["html"]["last_error"]
        assert "empty" in status["empty"]["last_error"]
        assert "timed out" in status["slow"]["last_error"]
        assert status["good"]["consecutive_failures"] == 0
        run = store.db.execute("SELECT status, feeds_failed, new FROM runs").fetchone()
        assert run == ("failed", 5, 4)


def test_rerun_is_conditional_and_idempotent(tmp_path: Path, server: FeedServer) -> None:
    server.routes["/f"] = Route(body=rss(make_items(5)), etag='"1"')
    cfg = _config(tmp_path, server, ["/f"])
    with Store(tmp_path / "n.db") as store:
        assert ingest(cfg, store).new == 5
        second = ingest(cfg, store)
        assert second.results[0].not_modified and second.new == 0
        assert server.hits("/f")[1]["headers"]["If-None-Match"] == '"1"'
        server.routes["/f"] = Route(body=rss(make_items(6)), etag='"2"')
        third = ingest(cfg, store)
        assert (third.new, third.unchanged) == (1, 5)
        assert store.db["articles"].count == 6


def test_failing_feed_backs_off_then_force_retries(tmp_path: Path, server: FeedServer) -> None:
    server.routes["/down"] = Route(status=500)
    cfg = _config(tmp_path, server, ["/down"])
    with Store(tmp_path / "n.db") as store:
        for _ in range(3):
            assert ingest(cfg, store).feeds_failed == 1
        assert len(server.hits("/down")) == 3
        skipped = ingest(cfg, store)
        # not fetched, so not a success: a scheduled run must not look fine (exit 1)
        assert skipped.feeds_skipped == 1 and skipped.exit_code == 1
        assert len(server.hits("/down")) == 3  # backing off: not fetched
        ingest(cfg, store, force=True)
        assert len(server.hits("/down")) == 4
        assert store.feed_state("down")["consecutive_failures"] == 4


def test_backoff_schedule() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert backoff_until(1, now, None) is None and backoff_until(2, now, None) is None
    assert backoff_until(3, now, None) == now + timedelta(hours=1)
    assert backoff_until(4, now, None) == now + timedelta(hours=2)
    assert backoff_until(40, now, None) == now + timedelta(days=7)
    assert backoff_until(1, now, now + timedelta(hours=5)) == now + timedelta(hours=5)


def test_same_host_is_polite_other_hosts_concurrent(tmp_path: Path, server: FeedServer) -> None:
    for i in range(4):
        server.routes[f"/s{i}"] = Route(body=rss(make_items(1, prefix=f"s{i}")), delay=0.2)
    cfg = _config(tmp_path, server, [f"/s{i}" for i in range(4)], concurrency=4)
    with Store(tmp_path / "n.db") as store:
        assert ingest(cfg, store).new == 4
    # All four feeds live on one host: never more than one request in flight.
    assert server.max_in_flight == 1


def _big_feeds(tmp_path: Path, feeds: int, items: int) -> Path:
    entries = []
    for f in range(feeds):
        path = tmp_path / f"feed{f}.xml"
        path.write_bytes(rss(make_items(items, prefix=f"f{f}", day=1 + f % 28)))
        entries.append({"name": f"feed{f}", "url": str(path)})
    return write_feeds_yaml(tmp_path / "feeds.yaml", entries, settings={"host_delay": 0.001})


def test_kill_9_mid_ingest_then_rerun_stores_everything_once(tmp_path: Path) -> None:
    feeds, items = 60, 150
    cfg = _big_feeds(tmp_path, feeds, items)
    db = tmp_path / "n.db"
    cmd = [sys.executable, "-m", "narratives", "ingest", "--feeds", str(cfg), "--db", str(db),
           "--no-analyze", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with sqlite3.connect(db, timeout=1) as conn:
                stored = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        except sqlite3.Error:
            stored = 0
        if stored >= items * 3:
            break
        time.sleep(0.02)
    killed_mid_run = proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert killed_mid_run, "ingest finished before it could be killed; raise the feed count"
    assert 0 < stored < feeds * items
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    with Store(db) as store:
        assert store.db["articles"].count == feeds * items
        dupes = store.db.execute(
            "SELECT COUNT(*) FROM (SELECT canonical_url FROM articles GROUP BY canonical_url "
            "HAVING COUNT(*) > 1)").fetchone()[0]
        assert dupes == 0
        statuses = [r[0] for r in store.db.execute("SELECT status FROM runs ORDER BY id")]
        assert statuses == ["interrupted", "ok"]
        fts = store.db.execute("SELECT COUNT(*) FROM articles_fts").fetchone()[0]
        assert fts == feeds * items


def test_settings_default_size_cap_is_well_under_50mb() -> None:
    assert Settings().max_bytes < 50 * 1024 * 1024


def test_a_storage_error_mid_run_ends_the_run(tmp_path: Path, server: FeedServer) -> None:
    """When storing fails (disk full, a damaged file, Ctrl-C), the fetch workers must not
    wait forever for room in the queue: the run ends with the error."""
    import threading

    paths = [f"/q{i}" for i in range(10)]  # one host, one worker: more than the queue holds
    for i, p in enumerate(paths):
        server.routes[p] = Route(body=rss(make_items(1, prefix=f"q{i}")))
    cfg = _config(tmp_path, server, paths, concurrency=2)
    raised: list[BaseException] = []

    def fail(_result: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    def run() -> None:
        with Store(tmp_path / "n.db") as store:
            try:
                ingest(cfg, store, on_result=fail)
            except BaseException as exc:
                raised.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout=30)
    assert not t.is_alive(), "ingest hung after a storage error"
    assert [type(e) for e in raised] == [sqlite3.OperationalError]
