from __future__ import annotations

import csv
import shlex
import subprocess
import sys
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


def _stored(tmp_path: Path, server: FeedServer, runner: CliRunner, n: int, *,
            first_title: str) -> Path:
    """A database ingested (not analysed) from one feed of `n` items, the first titled
    `first_title`."""
    items = make_items(n)
    items[0]["title"] = first_title
    server.routes["/good"] = Route(body=rss(items))
    feeds = write_feeds_yaml(tmp_path / "f.yaml", [{"name": "good", "url": server.url("/good")}])
    db = tmp_path / "n.db"
    assert runner.invoke(main, ["ingest", "--feeds", str(feeds), "--db", str(db),
                                "--no-analyze"]).exit_code == 0
    return db


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
    assert r.exit_code == 2 and "no feed or outlet named 'nope'; known feeds: good" in r.output


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
    db = _stored(tmp_path, server, runner, 3, first_title="=cmd|' /C calc'!A0")
    status = runner.invoke(main, ["feeds", "status", "--db", str(db), "--format", "csv"])
    row = next(csv.DictReader(status.output.splitlines()))
    assert row["name"] == "good" and row["consecutive_failures"] == "0"
    found = runner.invoke(main, ["search", "Bolivia", "--db", str(db), "--format", "jsonl"])
    assert found.exit_code == 0 and len(found.output.splitlines()) == 3
    out = tmp_path / "a.csv"
    r = runner.invoke(main, ["export", "articles", "--db", str(db), "-o", str(out),
                             "--since", "2026-08-01"])
    assert r.exit_code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig", newline="")))
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


def test_a_feed_backing_off_is_not_a_success(tmp_path: Path, server: FeedServer,
                                             runner: CliRunner) -> None:
    """README: exit 0 means every feed succeeded. A feed skipped because it keeps failing
    was not fetched, so a cron job must see exit 1 and a line naming the feed."""
    server.routes["/bad"] = Route(status=500)
    feeds = write_feeds_yaml(tmp_path / "f.yaml", [{"name": "bad", "url": server.url("/bad")}],
                             settings={"host_delay": 0.01})
    db = tmp_path / "n.db"
    args = ["ingest", "--feeds", str(feeds), "--db", str(db), "--no-analyze", "--quiet"]
    for _ in range(3):
        assert runner.invoke(main, args).exit_code == 1
    r = runner.invoke(main, args)
    assert len(server.hits("/bad")) == 3  # backing off: not fetched
    assert r.exit_code == 1, r.output
    assert "ingest: 0 feeds ok, 0 failed, 1 backing off after repeated failures;" in r.stdout
    assert r.stderr.startswith("Warning: feed bad: backing off after 3 failures in a row, "
                               "next try after 20")
    assert "(use --force to retry now)" in r.stderr


def test_feeds_status_shows_disabled_feeds_without_a_warning(tmp_path: Path, server: FeedServer,
                                                             runner: CliRunner) -> None:
    server.routes["/good"] = Route(body=rss(make_items(1)))
    feeds = write_feeds_yaml(tmp_path / "f.yaml", [
        {"name": "good", "url": server.url("/good")},
        {"name": "paused", "url": server.url("/paused"), "enabled": False}])
    db = tmp_path / "n.db"
    assert runner.invoke(main, ["ingest", "--feeds", str(feeds), "--db", str(db),
                                "--no-analyze"]).exit_code == 0
    r = runner.invoke(main, ["feeds", "status", "--db", str(db), "--format", "csv"])
    rows = {x["name"]: x for x in csv.DictReader(r.stdout.splitlines())}
    assert rows["paused"]["enabled"] == "False" and rows["paused"]["warning"] == ""
    assert rows["good"]["enabled"] == "True"
    r = runner.invoke(main, ["feeds", "status", "--db", str(db)])
    header, _, *lines = r.stdout.splitlines()
    assert header.split()[:2] == ["name", "enabled"]
    assert "never fetched" not in r.stdout
    assert [line.split()[:2] for line in lines] == [["good", "True"], ["paused", "False"]]


def test_an_empty_csv_still_has_its_header(tmp_path: Path, server: FeedServer,
                                           runner: CliRunner) -> None:
    empty = tmp_path / "empty.db"
    Store(empty).close()
    r = runner.invoke(main, ["feeds", "status", "--db", str(empty), "--format", "csv"])
    assert r.exit_code == 0, r.output
    empty_header = r.stdout
    assert empty_header.startswith("name,outlet,enabled,") and empty_header.count("\n") == 1
    feeds = _feeds(tmp_path, server)
    db = tmp_path / "n.db"
    assert runner.invoke(main, ["ingest", "--feeds", str(feeds), "--db", str(db),
                                "--no-analyze"]).exit_code == 0
    r = runner.invoke(main, ["feeds", "status", "--db", str(db), "--format", "csv"])
    assert r.stdout.splitlines()[0] == empty_header.rstrip("\r\n")  # the same columns
    out = tmp_path / "none.csv"
    r = runner.invoke(main, ["export", "articles", "--db", str(empty), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbfid,published,")


def test_csv_files_have_a_bom_for_spreadsheets_and_stdout_has_none(
        tmp_path: Path, server: FeedServer, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Excel on Windows reads a CSV as UTF-8 only after a byte order mark; programs
    reading standard output (and `-o -`, which means standard output) want none."""
    db = _stored(tmp_path, server, runner, 2, first_title="Crónica de Bolivia")
    out = tmp_path / "a.csv"
    r = runner.invoke(main, ["export", "articles", "--db", str(db), "-o", str(out)])
    assert r.exit_code == 0, r.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfid,published,") and "Crónica".encode() in data
    status = tmp_path / "status.csv"
    r = runner.invoke(main, ["feeds", "status", "--db", str(db), "--format", "csv",
                             "-o", str(status)])
    assert r.exit_code == 0 and status.read_bytes().startswith(b"\xef\xbb\xbfname,")
    jsonl = tmp_path / "a.jsonl"
    r = runner.invoke(main, ["export", "articles", "--db", str(db), "--format", "jsonl",
                             "-o", str(jsonl)])
    assert r.exit_code == 0 and jsonl.read_bytes().startswith(b"{")  # CSV only
    monkeypatch.chdir(tmp_path)
    for args in (["export", "articles", "-o", "-"],
                 ["feeds", "status", "--format", "csv", "-o", "-"],
                 ["search", "Crónica", "--format", "csv", "-o", "-"]):
        r = runner.invoke(main, [*args, "--db", str(db)])
        assert r.exit_code == 0, r.output
        assert r.stdout.startswith(("id,", "name,")) and "\ufeff" not in r.stdout, args
        assert "Wrote" not in r.output
        assert not (tmp_path / "-").exists()
    assert "Crónica de Bolivia" in r.stdout


def test_reprocess_of_a_missing_database_creates_nothing(tmp_path: Path,
                                                        runner: CliRunner) -> None:
    db = tmp_path / "typo" / "narr.db"
    r = runner.invoke(main, ["reprocess", "--db", str(db)])
    assert r.exit_code == 1
    assert r.output == (f"Error: {db}: no such database (run `narratives ingest --db {db}` "
                        "first)\n")
    assert list(tmp_path.iterdir()) == []
    r = runner.invoke(main, ["reprocess", "--db", str(tmp_path / "narr.db")])
    assert r.exit_code == 1 and list(tmp_path.iterdir()) == []  # no narr.db.lock either


def test_cron_names_the_db_when_its_folder_is_missing(tmp_path: Path, runner: CliRunner) -> None:
    feeds = write_feeds_yaml(tmp_path / "f.yaml", [{"name": "a", "url": "a.xml"}])
    r = runner.invoke(main, ["cron", "--feeds", str(feeds), "--db", str(tmp_path / "nof" / "x.db")])
    assert r.exit_code == 2
    assert r.output == (f"Error: --db: folder {tmp_path / 'nof'} does not exist; create it or "
                        "choose another file\n")


def test_cron_line_runs_without_the_users_path(tmp_path: Path) -> None:
    """`python -m narratives cron` must print a command cron can run: cron's PATH is
    /usr/bin:/bin, where `narratives` is not."""
    feeds = write_feeds_yaml(tmp_path / "f.yaml", [{"name": "a", "url": "a.xml"}])
    db = tmp_path / "n.db"
    r = subprocess.run([sys.executable, "-m", "narratives", "cron", "--feeds", str(feeds),
                        "--db", str(db)], capture_output=True, text=True, check=True,
                       cwd=tmp_path)
    line = next(x for x in r.stdout.splitlines() if x.startswith("15 6 * * * "))
    command = shlex.split(line.removeprefix("15 6 * * * ").split(" ingest ")[0])
    assert Path(command[0]).is_absolute()
    cron_env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    ran = subprocess.run([*command, "--version"], capture_output=True, text=True,
                         env=cron_env, cwd="/")
    assert ran.returncode == 0 and ran.stdout.startswith("narratives, version"), ran.stderr


def test_cron_without_a_script_uses_python_m(tmp_path: Path, runner: CliRunner,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    python = tmp_path / "bin" / "python3"  # a Python with no `narratives` script beside it
    monkeypatch.setattr(sys, "executable", str(python))
    monkeypatch.setattr(sys, "argv", [str(tmp_path / "narratives" / "__main__.py")])
    feeds = write_feeds_yaml(tmp_path / "f.yaml", [{"name": "a", "url": "a.xml"}])
    r = runner.invoke(main, ["cron", "--feeds", str(feeds), "--db", str(tmp_path / "n.db")])
    assert r.exit_code == 0, r.output
    assert f"* * * {python} -m narratives ingest --feeds" in r.output
    assert f"ExecStart={python} -m narratives ingest" in r.output
