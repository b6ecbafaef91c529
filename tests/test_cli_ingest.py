from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from narratives.cli import main
from narratives.pipeline import ingest_lock
from narratives.store import Store

from .conftest import FeedServer, Route, make_items, rss, write_feeds_yaml


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _feeds(tmp_path: Path, server: FeedServer, good: int = 3, bad: bool = False) -> Path:
    server.routes["/good"] = Route(body=rss(make_items(good)))
    feeds = [{"name": "good", "url": server.url("/good"), "outlet": "Good News"}]
    if bad:
        server.routes["/bad"] = Route(status=500)
        feeds.append({"name": "bad", "url": server.url("/bad")})
    return write_feeds_yaml(tmp_path / "feeds.yaml", feeds, settings={"host_delay": 0.01})


def test_ingest_ok_exit_0_and_summary(tmp_path: Path, server: FeedServer,
                                      runner: CliRunner) -> None:
    feeds = _feeds(tmp_path, server)
    db = tmp_path / "n.db"
    r = runner.invoke(main, ["ingest", "--feeds", str(feeds), "--db", str(db), "--no-analyze"])
    assert r.exit_code == 0, r.output
    assert "1 feeds ok, 0 failed; articles 3 new, 0 updated, 0 unchanged" in r.output
    assert "Traceback" not in r.output


def test_ingest_some_failed_exit_1_keeps_the_rest(tmp_path: Path, server: FeedServer,
                                                  runner: CliRunner) -> None:
    feeds = _feeds(tmp_path, server, bad=True)
    db = tmp_path / "n.db"
    r = runner.invoke(main, ["ingest", "--feeds", str(feeds), "--db", str(db), "--no-analyze",
                             "--quiet"])
    assert r.exit_code == 1
    assert "Error: feed bad: HTTP 500" in r.output
    with Store(db) as s:
        assert s.db["articles"].count == 3


def test_bad_config_exit_2_and_nothing_ingested(tmp_path: Path, runner: CliRunner) -> None:
    feeds = write_feeds_yaml(tmp_path / "f.yaml", [{"name": "x", "url": "gopher://x/"}])
    db = tmp_path / "n.db"
    r = runner.invoke(main, ["ingest", "--feeds", str(feeds), "--db", str(db)])
    assert r.exit_code == 2
    assert r.output == (f"Error: {feeds}: feed 'x': field 'url' has scheme 'gopher'; "
                        "use http, https, file or a local path\n")
    assert not db.exists()


def test_duplicate_yaml_key_is_a_one_line_config_error(tmp_path: Path,
                                                       runner: CliRunner) -> None:
    feeds = tmp_path / "f.yaml"
    feeds.write_text("feeds:\n  - name: x\n    url: a.xml\n    url: b.xml\n", encoding="utf-8")
    db = tmp_path / "n.db"
    r = runner.invoke(main, ["ingest", "--feeds", str(feeds), "--db", str(db)])
    assert r.exit_code == 2
    assert r.output == (f"Error: {feeds}: line 4: feed 'x': duplicate key 'url' "
                        "(first given on line 3); keep only one\n")
    assert not db.exists()


def test_only_unknown_feed_is_a_usage_error(tmp_path: Path, server: FeedServer,
                                            runner: CliRunner) -> None:
    feeds = _feeds(tmp_path, server)
    r = runner.invoke(main, ["ingest", "--feeds", str(feeds), "--db", str(tmp_path / "n.db"),
                             "--only", "nope"])
    assert r.exit_code == 2 and "no feed named 'nope'; known feeds: good" in r.output


def test_overlapping_run_exits_at_once(tmp_path: Path, server: FeedServer,
                                       runner: CliRunner) -> None:
    feeds = _feeds(tmp_path, server)
    db = tmp_path / "n.db"
    lock = ingest_lock(db)
    try:
        r = runner.invoke(main, ["ingest", "--feeds", str(feeds), "--db", str(db)])
    finally:
        lock.release()
    assert r.exit_code == 1
    assert "another narratives run is using" in r.output and "--wait" in r.output


def test_db_from_environment(tmp_path: Path, server: FeedServer, runner: CliRunner) -> None:
    feeds = _feeds(tmp_path, server)
    db = tmp_path / "env.db"
    r = runner.invoke(main, ["ingest", "--feeds", str(feeds), "--no-analyze"],
                      env={"NARRATIVES_DB": str(db)})
    assert r.exit_code == 0 and db.exists()


def test_feeds_status_search_and_export(tmp_path: Path, server: FeedServer,
                                        runner: CliRunner) -> None:
    items = make_items(3)
    items[0]["title"] = "=cmd|' /C calc'!A0"
    server.routes["/good"] = Route(body=rss(items))
    feeds = write_feeds_yaml(tmp_path / "f.yaml", [{"name": "good", "url": server.url("/good")}])
    db = tmp_path / "n.db"
    assert runner.invoke(main, ["ingest", "--feeds", str(feeds), "--db", str(db),
                                "--no-analyze"]).exit_code == 0
    status = runner.invoke(main, ["feeds", "status", "--db", str(db), "--format", "csv"])
    row = next(csv.DictReader(status.output.splitlines()))
    assert row["name"] == "good" and row["consecutive_failures"] == "0"
    found = runner.invoke(main, ["search", "Bolivia", "--db", str(db), "--format", "jsonl"])
    assert found.exit_code == 0 and len(found.output.splitlines()) == 3
    out = tmp_path / "a.csv"
    r = runner.invoke(main, ["export", "articles", "--db", str(db), "-o", str(out),
                             "--since", "2026-08-01"])
    assert r.exit_code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert len(rows) == 3
    assert any(x["title"].startswith("'=cmd") for x in rows)
    bad = runner.invoke(main, ["export", "articles", "--db", str(db), "-o", str(out),
                               "--since", "last tuesday"])
    assert bad.exit_code == 2
    assert "--since: 'last tuesday' is not a date; use YYYY-MM-DD" in bad.output
    # the same dates as the reports: --until includes its day, ages count back from today
    last_day = max(x["published"] for x in rows)[:10]
    before = (date.fromisoformat(last_day) - timedelta(days=1)).isoformat()
    on_last_day = sum(x["published"].startswith(last_day) for x in rows)
    for args, n in ((["--until", last_day], 3), (["--since", "36500d"], 3),
                    (["--since", last_day, "--until", last_day], on_last_day),
                    (["--until", before], 3 - on_last_day)):
        r = runner.invoke(main, ["export", "articles", "--db", str(db), "-o", str(out),
                                 "--format", "jsonl", *args])
        assert r.exit_code == 0, r.output
        assert len(out.read_text(encoding="utf-8").splitlines()) == n, args
    r = runner.invoke(main, ["export", "articles", "--db", str(db), "-o", str(out),
                             "--since", "2026-09-02", "--until", "2026-09-01"])
    assert r.exit_code == 2 and "is after --until" in r.output


def test_read_commands_on_missing_db(tmp_path: Path, runner: CliRunner) -> None:
    r = runner.invoke(main, ["feeds", "status", "--db", str(tmp_path / "none.db")])
    assert r.exit_code == 1
    assert "no such database (run `narratives ingest" in r.output


def test_cron_prints_crontab_and_systemd(tmp_path: Path, runner: CliRunner) -> None:
    r = runner.invoke(main, ["cron", "--time", "05:30", "--db", str(tmp_path / "n.db")])
    assert r.exit_code == 0
    line = next(x for x in r.output.splitlines() if x.startswith("30 5 * * *"))
    assert "ingest --feeds" in line and "--quiet" in line and ">>" in line
    assert "OnCalendar=*-*-* 05:30:00" in r.output
    bad = runner.invoke(main, ["cron", "--time", "25:00"])
    assert bad.exit_code == 2 and "not a time of day" in bad.output


def test_every_command_has_help_with_an_example(runner: CliRunner) -> None:
    def walk(group, prefix):  # type: ignore[no-untyped-def]
        for name, cmd in group.commands.items():
            if hasattr(cmd, "commands"):
                yield from walk(cmd, prefix + [name])
            else:
                yield prefix + [name], cmd

    for path, cmd in walk(main, []):
        assert cmd.help and "Example" in cmd.help, f"`narratives {' '.join(path)}` lacks an example"


@pytest.mark.parametrize("where", ["option", "settings"])
def test_unknown_spacy_model_is_refused_before_fetching(tmp_path: Path, server: FeedServer,
                                                        runner: CliRunner, where: str) -> None:
    server.routes["/good"] = Route(body=rss(make_items(2)))
    settings: dict = {"host_delay": 0.01}
    args = []
    if where == "option":
        args = ["--model", "en_core_web_nope"]
    else:
        settings["spacy_model"] = "en_core_web_nope"
    feeds = write_feeds_yaml(tmp_path / "feeds.yaml",
                             [{"name": "good", "url": server.url("/good")}], settings=settings)
    db = tmp_path / "n.db"
    r = runner.invoke(main, ["ingest", "--feeds", str(feeds), "--db", str(db), *args])
    assert r.exit_code == 2, r.output
    assert r.output.startswith("Error: spaCy model 'en_core_web_nope' is not installed")
    assert r.output.count("\n") == 1
    assert server.requests == [] and not db.exists()
    # --no-analyze does not need the model
    r = runner.invoke(main, ["ingest", "--feeds", str(feeds), "--db", str(db), "--no-analyze",
                             *args])
    assert r.exit_code == 0, r.output
