"""Foreseeable mistakes get one line and lose nothing: outputs that would overwrite
the database or the feed list, damaged databases, far dates, odd encodings, bad
numbers, labels split with the wrong separator, blank feed fields, cut-off feeds."""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from narratives import MODELS
from narratives.cli import main
from narratives.config import load_feeds
from narratives.errors import ConfigError, ParseError, UsageError
from narratives.parse import parse_feed
from narratives.records import Feed
from narratives.reports import parse_when
from narratives.store import Store

from .conftest import FeedServer, Route, make_items, rss, write_feeds_yaml


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def stored(tmp_path: Path, server: FeedServer, runner: CliRunner) -> tuple[Path, Path]:
    """A database with 30 articles of one feed, and the feed list that made it."""
    server.routes["/good"] = Route(body=rss(make_items(30)))
    feeds = write_feeds_yaml(tmp_path / "feeds.yaml",
                             [{"name": "good", "url": server.url("/good")}],
                             settings={"host_delay": 0.01})
    db = tmp_path / "n.db"
    r = runner.invoke(main, ["ingest", "--feeds", str(feeds), "--db", str(db), "--no-analyze"])
    assert r.exit_code == 0, r.output
    return db, feeds


def _one_line_error(r: object, code: int) -> str:
    out = r.output  # type: ignore[attr-defined]
    assert r.exit_code == code, out  # type: ignore[attr-defined]
    assert "Traceback" not in out and out.startswith("Error: ") and out.count("\n") == 1, out
    return str(out)


@pytest.mark.parametrize("args", [
    ["export", "articles", "-o", "{db}"],
    ["report", "html", "-o", "{db}"],
    ["report", "trends", "--format", "csv", "-o", "{db}"],
    ["report", "trends", "--chart", "{db}-wal"],
    ["search", "story", "-o", "{db}"],
])
def test_an_output_that_is_the_database_is_refused(stored: tuple[Path, Path], runner: CliRunner,
                                                  args: list[str]) -> None:
    db, _ = stored
    before = db.read_bytes()
    r = runner.invoke(main, [a.format(db=db) for a in args] + ["--db", str(db)])
    assert "is the database" in _one_line_error(r, 2) or "file of the database" in r.output
    assert db.read_bytes() == before
    with Store(db, create=False) as s:
        assert s.db["articles"].count == 30


def test_an_output_that_is_another_database_is_refused(stored: tuple[Path, Path],
                                                        runner: CliRunner, tmp_path: Path) -> None:
    db, _ = stored
    other = tmp_path / "other.db"
    shutil.copy(db, other)
    before = other.read_bytes()
    r = runner.invoke(main, ["export", "articles", "--db", str(db), "-o", str(other)])
    assert "is an SQLite database" in _one_line_error(r, 2)
    assert other.read_bytes() == before


def test_an_output_that_is_the_feed_list_is_refused(stored: tuple[Path, Path],
                                                    runner: CliRunner) -> None:
    _, feeds = stored
    before = feeds.read_text()
    r = runner.invoke(main, ["feeds", "list", "--feeds", str(feeds), "-o", str(feeds)])
    assert "is the feed list" in _one_line_error(r, 2)
    assert feeds.read_text() == before


def test_an_output_that_is_a_model_file_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    """evaluate reads a model; -o must not write over it or any shipped model file."""
    model = sorted(MODELS.glob("themes-*.skops"))[-1]
    before = model.read_bytes()
    for args in (["evaluate", "-o", str(model)], ["evaluate", "--model", str(model), "-o",
                                                   str(model)]):
        r = runner.invoke(main, args)
        assert "models folder" in _one_line_error(r, 2) or "is the model" in r.output
    assert model.read_bytes() == before


def test_an_output_that_is_a_device_or_a_link_stays_one(stored: tuple[Path, Path],
                                                       runner: CliRunner, tmp_path: Path) -> None:
    """Files are written whole by renaming a temporary file over them; a named pipe or a
    device (/dev/stdout) must be written to, not replaced, and a symbolic link keeps
    pointing at its (new) target."""
    db, _ = stored
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    r = runner.invoke(main, ["export", "articles", "--db", str(db), "-o", str(fifo)])
    assert r.exit_code == 0, r.output
    assert fifo.is_fifo()
    reader.join(timeout=10)
    assert got and got[0].count(b"\n") > 30
    target = tmp_path / "real.csv"
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    r = runner.invoke(main, ["export", "articles", "--db", str(db), "-o", str(link)])
    assert r.exit_code == 0, r.output
    assert link.is_symlink() and target.read_text(encoding="utf-8").count("\n") > 30


def test_an_output_in_a_missing_folder_is_one_line_before_any_work(
        stored: tuple[Path, Path], runner: CliRunner, tmp_path: Path) -> None:
    db, _ = stored
    for fmt in ("csv", "json", "markdown"):
        out = tmp_path / "nowhere" / f"r.{fmt}"
        r = runner.invoke(main, ["report", "trends", "--db", str(db), "--format", fmt,
                                 "-o", str(out)])
        assert "does not exist" in _one_line_error(r, 2)


def _damage(db: Path, dest: Path) -> Path:
    """A copy of `db` whose later pages are overwritten with noise (header intact)."""
    shutil.copy(db, dest)
    data = bytearray(dest.read_bytes())
    pages = len(data) // 4096
    noise = random.Random(0)
    for p in range(max(2, pages // 3), pages):
        data[p * 4096 + 100:p * 4096 + 4000] = bytes(noise.randrange(256) for _ in range(3900))
    dest.write_bytes(data)
    return dest


@pytest.mark.parametrize("args", [["summary"], ["report", "trends"], ["feeds", "status"],
                                  ["export", "articles", "-o", "{out}"], ["search", "story"]])
def test_a_damaged_database_is_one_line_and_leaves_no_partial_output(
        stored: tuple[Path, Path], runner: CliRunner, tmp_path: Path, args: list[str]) -> None:
    db, _ = stored
    bad = _damage(db, tmp_path / "bad.db")
    out = tmp_path / "out.csv"
    r = runner.invoke(main, [a.format(out=out) for a in args] + ["--db", str(bad)])
    if r.exit_code == 0:  # this command's pages were spared: it must have run normally
        assert "Error" not in r.output
        return
    assert "malformed" in _one_line_error(r, 1)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_damage_is_reported_by_at_least_the_full_reads(stored: tuple[Path, Path],
                                                       runner: CliRunner,
                                                       tmp_path: Path) -> None:
    """Guards the test above: the damage does reach the commands that read everything."""
    db, _ = stored
    bad = _damage(db, tmp_path / "bad.db")
    r = runner.invoke(main, ["export", "articles", "-o", str(tmp_path / "o.csv"),
                             "--db", str(bad)])
    assert "database disk image is malformed" in _one_line_error(r, 1)


def test_far_dates_are_clear() -> None:
    today = date(2026, 11, 28)
    with pytest.raises(UsageError, match="before year 1"):
        parse_when("800000d", "--since", today=today)
    with pytest.raises(UsageError, match="before year 1"):
        parse_when("1000000000000d", "--since", today=today)
    assert parse_when("9999-12-31", "--until", today=today) == date(2027, 11, 29)


def test_an_end_far_ahead_adds_no_empty_periods(stored: tuple[Path, Path],
                                                runner: CliRunner) -> None:
    db, _ = stored
    today = datetime.now(UTC).date().isoformat()
    plain = runner.invoke(main, ["report", "trends", "--db", str(db), "--format", "csv",
                                 "--until", today])
    far = runner.invoke(main, ["report", "trends", "--db", str(db), "--format", "csv",
                               "--until", "9999-12-31"])
    assert plain.exit_code == far.exit_code == 0, far.output
    assert len(far.stdout.splitlines()) == len(plain.stdout.splitlines())


def test_analyze_input_not_utf8_is_one_line_and_a_bom_is_fine(runner: CliRunner,
                                                               tmp_path: Path) -> None:
    utf16 = tmp_path / "u16.jsonl"
    utf16.write_text('{"id": "1", "text": "China and Bolivia"}\n', encoding="utf-16")
    r = runner.invoke(main, ["analyze", "--input", str(utf16)])
    assert "not UTF-8" in _one_line_error(r, 1)
    bom = tmp_path / "bom.jsonl"
    bom.write_text('{"id": "7", "text": "China signed."}\n', encoding="utf-8-sig")
    r = runner.invoke(main, ["analyze", "--input", str(bom)])
    assert r.exit_code == 0, r.output
    assert '"id": "7"' in r.output


def test_train_checks_its_output_folder_before_training(runner: CliRunner,
                                                        tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    r = runner.invoke(main, ["train", "--no-labels", "--out", str(blocker / "models")])
    assert "cannot write in" in _one_line_error(r, 2)


@pytest.mark.parametrize("args", [["feeds", "status", "--days", "0"],
                                  ["report", "entities", "--top", "0"],
                                  ["search", "x", "--limit", "-1"]])
def test_counts_below_one_are_usage_errors(stored: tuple[Path, Path], runner: CliRunner,
                                           args: list[str]) -> None:
    db, _ = stored
    r = runner.invoke(main, [*args, "--db", str(db)])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "is not in the range 1<=x" in r.output


def test_labels_split_with_commas_import_nothing(
        stored: tuple[Path, Path], runner: CliRunner, tmp_path: Path) -> None:
    db, _ = stored
    with Store(db, create=False) as s:
        aid = next(iter(s.db["articles"].rows))["id"]
    commas = tmp_path / "commas.csv"
    commas.write_text(f"article_id,themes\n{aid},mining,trade\n")
    r = runner.invoke(main, ["label", "import", str(commas), "--db", str(db)])
    assert "separate themes with ';'" in _one_line_error(r, 1)
    with Store(db, create=False) as s:
        assert s.labeled_texts() == []


def test_labels_saved_with_semicolon_columns_are_read(
        stored: tuple[Path, Path], runner: CliRunner, tmp_path: Path) -> None:
    """A spreadsheet set to Spanish saves CSV with ';' between columns, quoting a cell
    that holds ';' itself."""
    db, _ = stored
    with Store(db, create=False) as s:
        first, second = [r["id"] for r in s.db["articles"].rows][:2]
    semis = tmp_path / "semis.csv"
    semis.write_text(f'\ufeffarticle_id;themes;title\n{first};mining;x\n'
                     f'{second};"Trade; energy";"a; b"\n', encoding="utf-8")
    r = runner.invoke(main, ["label", "import", str(semis), "--db", str(db)])
    assert r.exit_code == 0, r.output
    with Store(db, create=False) as s:
        labels = {x["id"]: x["themes"] for x in s.labeled_texts()}
    assert labels == {first: ["mining"], second: ["energy", "trade"]}


@pytest.mark.parametrize("entry", [{"name": "  ", "url": "x.xml"}, {"name": "a", "url": " "}])
def test_blank_required_feed_fields_are_missing(tmp_path: Path, entry: dict) -> None:
    path = write_feeds_yaml(tmp_path / "f.yaml", [entry])
    with pytest.raises(ConfigError, match="missing required field"):
        load_feeds(path)


def test_a_cut_off_feed_is_a_failure_not_an_empty_success() -> None:
    feed = Feed(name="t", url="http://example.org/feed")
    whole = rss(make_items(3))
    with pytest.raises(ParseError, match="cut off"):
        parse_feed(whole[: len(whole) * 2 // 3], feed)
    assert len(parse_feed(whole, feed)) == 3


def test_export_of_an_unknown_feed_is_refused(stored: tuple[Path, Path], runner: CliRunner,
                                              tmp_path: Path) -> None:
    db, _ = stored
    out = tmp_path / "e.csv"
    r = runner.invoke(main, ["export", "articles", "--feed", "nope", "-o", str(out),
                             "--db", str(db)])
    assert "no feed or outlet named 'nope'" in _one_line_error(r, 2)
    assert not out.exists()


def test_export_takes_a_feed_name_or_its_outlet(tmp_path: Path, server: FeedServer,
                                                runner: CliRunner) -> None:
    server.routes["/a"] = Route(body=rss(make_items(2)))
    server.routes["/b"] = Route(body=rss(make_items(3, prefix="other")))
    feeds = write_feeds_yaml(tmp_path / "feeds.yaml", [
        {"name": "wire-en", "url": server.url("/a"), "outlet": "Meridian Wire"},
        {"name": "other", "url": server.url("/b"), "outlet": "Other"}],
        settings={"host_delay": 0.01})
    db = tmp_path / "n.db"
    assert runner.invoke(main, ["ingest", "--feeds", str(feeds), "--db", str(db),
                                "--no-analyze"]).exit_code == 0
    for value, n in (("meridian wire", 2), ("WIRE-EN", 2), ("other", 3)):
        out = tmp_path / "e.csv"
        r = runner.invoke(main, ["export", "articles", "--feed", value, "--format", "jsonl",
                                 "-o", str(out), "--db", str(db)])
        assert r.exit_code == 0, r.output
        assert len(out.read_text(encoding="utf-8").splitlines()) == n


def test_a_database_error_mid_command_is_one_line(stored: tuple[Path, Path], runner: CliRunner,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    """Damage the open-time checks miss surfaces as sqlite3.DatabaseError during a
    query: one line naming the database, and no half-written output."""
    db, _ = stored

    def broken(*args: object, **kwargs: object) -> object:
        yield {"id": "first row"}
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(Store, "iter_articles", broken)
    out = tmp_path / "e.csv"
    r = runner.invoke(main, ["export", "articles", "-o", str(out), "--db", str(db)])
    line = _one_line_error(r, 1)
    assert f"{db}: the database is damaged" in line and "restore it from a backup" in line
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]


def test_a_database_folder_that_cannot_be_written_is_not_called_a_lock(
        tmp_path: Path, runner: CliRunner) -> None:
    feeds = write_feeds_yaml(tmp_path / "f.yaml", [{"name": "a", "url": "x.xml"}])
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    r = runner.invoke(main, ["ingest", "--feeds", str(feeds), "--db", str(blocker / "n.db"),
                             "--wait"])
    line = _one_line_error(r, 1)
    assert "cannot write in" in line and "another narratives run" not in line


def test_placeholder_and_future_item_dates_fall_back() -> None:
    feed = Feed(name="t", url="http://example.org/feed")
    items = [{"title": "epoch", "link": "http://x/1", "pubDate": "Thu, 01 Jan 1970 00:00:00 GMT"},
             {"title": "ahead", "link": "http://x/2", "pubDate": "Mon, 01 Jan 2099 00:00:00 GMT"},
             {"title": "fine", "link": "http://x/3", "pubDate": "Mon, 02 Nov 2026 10:00:00 GMT"}]
    fetched = datetime(2026, 11, 28, 12, tzinfo=UTC)
    got = {a.title: (a.published, a.published_source)
           for a in parse_feed(rss(items), feed, fetched_at=fetched)}
    assert got["epoch"] == ("2026-11-28T12:00:00Z", "fetched")
    assert got["ahead"] == ("2026-11-28T12:00:00Z", "fetched")
    assert got["fine"] == ("2026-11-02T10:00:00Z", "published")


def test_cron_checks_the_feed_list_it_schedules(tmp_path: Path, runner: CliRunner) -> None:
    r = runner.invoke(main, ["cron", "--feeds", str(tmp_path / "missing.yaml")])
    assert r.exit_code == 2 and "missing.yaml" in r.output and "Traceback" not in r.output
    assert "* * *" not in r.output


def test_ingest_with_every_feed_disabled_says_so(tmp_path: Path, runner: CliRunner) -> None:
    feeds = write_feeds_yaml(tmp_path / "f.yaml",
                             [{"name": "a", "url": "x.xml", "enabled": False}])
    r = runner.invoke(main, ["ingest", "--feeds", str(feeds), "--db", str(tmp_path / "n.db")])
    assert "every feed is disabled" in _one_line_error(r, 2)
    assert not (tmp_path / "n.db").exists()


def test_an_empty_narratives_db_variable_means_the_default(
        stored: tuple[Path, Path], runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    db, _ = stored
    monkeypatch.chdir(db.parent)
    db.rename(db.parent / "narratives.db")
    r = runner.invoke(main, ["summary"], env={"NARRATIVES_DB": "  "})
    assert r.exit_code == 0, r.output
    assert "30 articles" in r.output


def test_train_tone_on_an_empty_corpus_says_so_and_writes_nothing(tmp_path: Path) -> None:
    from narratives import tone

    corpus = tmp_path / "empty.jsonl"
    corpus.write_text("\n")
    with pytest.raises(ConfigError, match="no labelled examples"):
        tone.train(corpus=corpus, out_dir=tmp_path / "models")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.jsonl"]


def test_theme_filter_ignores_case(stored: tuple[Path, Path], runner: CliRunner) -> None:
    db, _ = stored
    lower = runner.invoke(main, ["report", "trends", "--db", str(db), "--theme", "mining",
                                 "--format", "json"])
    upper = runner.invoke(main, ["report", "trends", "--db", str(db), "--theme", "Mining",
                                 "--format", "json"])
    assert lower.exit_code == upper.exit_code == 0, upper.output
    assert upper.stdout == lower.stdout
    assert '"themes": [\n      "mining"' in upper.stdout


@pytest.mark.parametrize("args, message", [
    (["report", "trends", "--by", "year"], "Error: Invalid value for '--by'"),
    (["report", "bogus"], "Error: No such command 'bogus'"),
    (["--bogus"], "Error: No such option '--bogus'"),
    (["search", "lithium", "--limit", "0"], "Error: Invalid value for '--limit'"),
])
def test_usage_errors_are_one_line_naming_the_help(runner: CliRunner, args: list[str],
                                                   message: str) -> None:
    r = runner.invoke(main, args)
    lines = r.stderr.strip().splitlines()
    assert r.exit_code == 2 and len(lines) == 1, r.stderr
    assert lines[0].startswith(message) and "-h')" in lines[0]


@pytest.mark.parametrize("args", [[], ["report"], ["export"]])
def test_a_group_without_a_command_shows_its_help(runner: CliRunner, args: list[str]) -> None:
    r = runner.invoke(main, args, prog_name="narratives")
    assert r.output.startswith("Usage: narratives") and "Error" not in r.output
    assert "Commands:" in r.output


def test_an_unstored_language_is_refused_with_the_stored_ones(
        tmp_path: Path, server: FeedServer, runner: CliRunner) -> None:
    server.routes["/es"] = Route(body=rss(make_items(3)))
    feeds = write_feeds_yaml(tmp_path / "feeds.yaml",
                             [{"name": "es", "url": server.url("/es"), "language": "es"}],
                             settings={"host_delay": 0.01})
    db = tmp_path / "n.db"
    r = runner.invoke(main, ["ingest", "--feeds", str(feeds), "--db", str(db), "--no-analyze"])
    assert r.exit_code == 0, r.output
    ok = runner.invoke(main, ["report", "trends", "--db", str(db), "--lang", "ES"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(main, ["report", "trends", "--db", str(db), "--lang", "english"])
    assert bad.exit_code == 2
    assert bad.stderr.strip() == ("Error: --lang: no stored article is in language 'english'; "
                                  "stored languages: es")


@pytest.mark.parametrize("args", [
    ["search", "story", "--limit", "99999999999999999999"],
    ["feeds", "status", "--days", "1000000"],
    ["report", "entities", "--top", "99999999999"],
    ["analyze", "--n-process", "99999999999"],
    ["analyze", "--batch-size", "9999999999"],
])
def test_huge_numbers_are_a_range_error(stored: tuple[Path, Path], runner: CliRunner,
                                        args: list[str]) -> None:
    db, _ = stored
    extra = [] if args[0] == "analyze" else ["--db", str(db)]
    r = runner.invoke(main, args + extra, input="")
    assert "is not in the range" in _one_line_error(r, 2)


def test_cron_refuses_a_log_in_a_missing_folder(stored: tuple[Path, Path], runner: CliRunner,
                                                tmp_path: Path) -> None:
    db, feeds = stored
    r = runner.invoke(main, ["cron", "--feeds", str(feeds), "--db", str(db), "--log",
                             str(tmp_path / "nope" / "x.log")])
    assert "--log: folder" in _one_line_error(r, 2)
    r = runner.invoke(main, ["cron", "--feeds", str(feeds), "--db", str(db), "--log",
                             str(tmp_path / "x.log")])
    assert r.exit_code == 0 and str(tmp_path / "x.log") in r.output


def test_warnings_are_one_line_for_users() -> None:
    from narratives.cli import _one_line_warning

    text = _one_line_warning(UserWarning("themes-1.skops was made with scikit-learn 0.24"),
                             UserWarning, "/x/narratives/pipeline.py", 226, "self.themes = ...")
    assert text == "Warning: themes-1.skops was made with scikit-learn 0.24\n"


@pytest.mark.parametrize("args", [["report", "trends"], ["summary"], ["search", "story"],
                                  ["feeds", "status"], ["export", "articles", "-o", "{out}"]])
def test_a_foreign_sqlite_file_is_refused_in_one_line_and_left_as_it_was(
        runner: CliRunner, tmp_path: Path, args: list[str]) -> None:
    """Exit 1, as for any database that cannot be used (README, exit codes); the file
    keeps its journal mode and gains no companion files."""
    foreign = tmp_path / "foreign.sqlite"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE foo (x)")
    conn.commit()
    conn.close()
    before = foreign.read_bytes()
    r = runner.invoke(main, [a.format(out=tmp_path / "o.csv") for a in args]
                      + ["--db", str(foreign)])
    assert _one_line_error(r, 1) == (
        f"Error: {foreign}: this SQLite file is not a narratives database\n")
    assert foreign.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foreign.sqlite"]
    conn = sqlite3.connect(f"{foreign.as_uri()}?mode=ro", uri=True)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_dash_means_standard_output(stored: tuple[Path, Path], runner: CliRunner,
                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`-o -` writes to standard output, as in most tools; never a file named `-`."""
    db, _ = stored
    monkeypatch.chdir(tmp_path)
    for args, start in ((["report", "trends", "--format", "json"], "{"),
                        (["report", "sources", "--format", "markdown"], "sources"),
                        (["search", "story", "--format", "jsonl"], "{"),
                        (["export", "articles", "--format", "json"], "[")):
        r = runner.invoke(main, [*args, "--db", str(db), "-o", "-"])
        assert r.exit_code == 0, r.output
        assert r.stdout.startswith(start), (args, r.stdout[:80])
        assert not (tmp_path / "-").exists(), args


def test_writing_a_csv_bom_only_to_regular_files(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from narratives.cli import writing

    with writing(tmp_path / "a.csv", bom=True) as fh:
        fh.write("título\r\n")
    assert (tmp_path / "a.csv").read_bytes() == "\ufefftítulo\r\n".encode()
    with writing(tmp_path / "b.json") as fh:
        fh.write("{}")
    assert (tmp_path / "b.json").read_bytes() == b"{}"
    fifo = tmp_path / "pipe"  # read by a program, not a spreadsheet
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    with writing(fifo, bom=True) as fh:
        fh.write("x\r\n")
    reader.join(timeout=10)
    assert got == [b"x\r\n"]
    with writing(Path("-"), bom=True) as fh:
        fh.write("to stdout\n")
    assert capsys.readouterr().out == "to stdout\n"
    assert not Path("-").exists()


def test_report_csv_files_have_a_bom_and_html_can_go_to_stdout(
        stored: tuple[Path, Path], runner: CliRunner, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    db, _ = stored
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "trends.csv"
    r = runner.invoke(main, ["report", "trends", "--db", str(db), "--format", "csv",
                             "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbfperiod,")
    r = runner.invoke(main, ["report", "trends", "--db", str(db), "--format", "csv"])
    assert r.exit_code == 0 and r.stdout.startswith("period,")  # no rows: still a header
    r = runner.invoke(main, ["report", "html", "--db", str(db), "-o", "-"])
    assert r.exit_code == 0, r.output
    assert r.stdout.lstrip().lower().startswith("<!doctype html")
    assert r.stdout.rstrip().endswith("</html>") and "Wrote" not in r.output
    assert not (tmp_path / "-").exists()


def test_search_csv_with_no_match_still_has_its_header(stored: tuple[Path, Path],
                                                       runner: CliRunner) -> None:
    db, _ = stored
    r = runner.invoke(main, ["search", "zzzzzz", "--format", "csv", "--db", str(db)])
    assert r.exit_code == 0
    assert r.stdout.splitlines() == ["id,published,feed,title,url,snippet"]


@pytest.mark.parametrize("option", ["--since", "--until"])
def test_export_refuses_an_empty_date(stored: tuple[Path, Path], runner: CliRunner,
                                      tmp_path: Path, option: str) -> None:
    db, _ = stored
    r = runner.invoke(main, ["export", "articles", "--db", str(db), option, "",
                             "-o", str(tmp_path / "a.csv")])
    assert _one_line_error(r, 2).startswith(f"Error: {option}: the date is empty")
    assert not (tmp_path / "a.csv").exists()
