"""Wiring the stages together: fetch -> parse -> store, then analysis.

`ingest` yields one FeedResult per feed as it finishes, so a caller (the CLI,
a notebook) can show progress without knowing how the work is done.
"""

from __future__ import annotations

import hashlib
import queue
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from .config import FeedsConfig, Settings
from .errors import FetchError, LockedError, ParseError, StoreError
from .fetch import Fetcher, FetchResult, host_of, polite_sleep
from .parse import parse_feed
from .records import ActorTone, Analysis, Article, Feed, FeedResult, RunSummary
from .store import Store

# Back-off for feeds that keep failing: the first two failures are retried on
# the next run; after that the wait doubles from one hour, capped at a week.
BACKOFF_FREE_FAILURES = 2
BACKOFF_BASE = timedelta(hours=1)
BACKOFF_CAP = timedelta(days=7)


def backoff_until(failures: int, now: datetime, retry_after: datetime | None) -> datetime | None:
    """When a feed that has failed `failures` times in a row may be tried again."""
    until = None
    if failures > BACKOFF_FREE_FAILURES:
        doublings = min(failures - BACKOFF_FREE_FAILURES - 1, 16)
        delay = min(BACKOFF_BASE * 2**doublings, BACKOFF_CAP)
        until = now + delay
    if retry_after is not None and (until is None or retry_after > until):
        until = min(retry_after, now + BACKOFF_CAP)
    return until


@dataclass(frozen=True)
class _Fetched:
    feed: Feed
    result: FetchResult | None = None
    articles: tuple[Article, ...] = ()
    body_hash: str | None = None
    same_body: bool = False
    error: str | None = None
    status: int | None = None
    retry_after: datetime | None = None


def _fetch_one(fetcher: Fetcher, feed: Feed, state: dict[str, Any]) -> _Fetched:
    try:
        result = fetcher.fetch(feed.url, etag=state["etag"], last_modified=state["last_modified"])
        if result.not_modified:
            return _Fetched(feed, result)
        assert result.content is not None
        # Many servers ignore validators: identical bytes cost no parsing either.
        body_hash = hashlib.sha256(result.content).hexdigest()
        if body_hash == state["body_hash"]:
            return _Fetched(feed, result, body_hash=body_hash, same_body=True)
        articles = parse_feed(result.content, feed, content_type=result.content_type)
        return _Fetched(feed, result, tuple(articles), body_hash=body_hash)
    except FetchError as exc:
        return _Fetched(feed, error=str(exc), status=exc.status,
                        retry_after=getattr(exc, "retry_after", None))
    except ParseError as exc:
        return _Fetched(feed, error=f"cannot parse feed: {exc}")


def ingest_lock(db_path: str | Path, *, wait: bool = False) -> FileLock:
    """Acquire the per-database ingest lock; raise LockedError if another run holds it,
    and StoreError if the database's folder cannot be written (a lock file that cannot
    be created would otherwise look like a lock held by another run)."""
    folder = Path(db_path).resolve().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise StoreError(f"{db_path}: cannot write in {folder} ({exc.strerror}); choose a "
                         "--db in a folder you can write") from None
    lock = FileLock(f"{db_path}.lock")
    try:
        lock.acquire(timeout=-1 if wait else 0)
    except Timeout:
        raise LockedError(
            f"another narratives run is using {db_path} (lock file {db_path}.lock); "
            "try again later or pass --wait"
        ) from None
    return lock


def ingest(
    config: FeedsConfig,
    store: Store,
    *,
    only: Sequence[str] = (),
    force: bool = False,
    settings: Settings | None = None,
    on_result: Callable[[FeedResult], None] | None = None,
) -> RunSummary:
    """Fetch, parse and store every selected feed. One bad feed never stops the run."""
    feeds = config.select(only)
    settings = settings or config.settings
    store.sync_feeds(config.feeds)
    run_id = store.begin_run()
    now = datetime.now(UTC)
    results: list[FeedResult] = []

    def done(result: FeedResult) -> None:
        results.append(result)
        if on_result:
            on_result(result)

    todo: dict[str, list[tuple[Feed, dict]]] = defaultdict(list)
    for feed in feeds:
        state = store.feed_state(feed.name)  # a changed URL was reset by sync_feeds
        next_attempt = state["next_attempt"]
        if not force and next_attempt and next_attempt > now.strftime("%Y-%m-%dT%H:%M:%SZ"):
            done(FeedResult(feed=feed.name, ok=True, skipped=True,
                            error=None))
            continue
        todo[host_of(feed.url)].append((feed, state))

    # Bounded, so parsed feeds never pile up faster than they are stored:
    # memory stays flat however many feeds there are.
    out: queue.Queue[_Fetched] = queue.Queue(maxsize=max(2, settings.concurrency))
    # Set when the storing side stops early (a database error, Ctrl-C): workers then
    # stop instead of waiting forever for room in the queue, so the run can end.
    stopping = threading.Event()

    def hand_over(item: _Fetched) -> None:
        while not stopping.is_set():
            try:
                out.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def worker(items: list[tuple[Feed, dict]], fetcher: Fetcher) -> None:
        last: float | None = None
        for feed, state in items:
            if stopping.is_set():
                return
            polite_sleep(last, settings.host_delay)
            try:
                item = _fetch_one(fetcher, feed, state)
            except Exception as exc:  # a bug in one feed's parse must not hang the run
                item = _Fetched(feed, error=f"internal error: {exc!r}")
            hand_over(item)
            last = time.monotonic()

    pending = sum(len(v) for v in todo.values())
    with Fetcher(settings) as fetcher, ThreadPoolExecutor(
        max_workers=max(1, min(settings.concurrency, len(todo)))
    ) as pool:
        futures = [pool.submit(worker, items, fetcher) for items in todo.values()]
        try:
            for _ in range(pending):
                done(_store_one(store, run_id, out.get(), now))
        except BaseException:
            stopping.set()
            raise
        for f in futures:
            f.result()  # surface unexpected bugs in a worker

    store.finish_run(run_id, results)
    return RunSummary(
        run_id=run_id,
        feeds_ok=sum(1 for r in results if r.ok and not r.skipped),
        feeds_failed=sum(1 for r in results if not r.ok),
        feeds_skipped=sum(1 for r in results if r.skipped),
        new=sum(r.new for r in results),
        updated=sum(r.updated for r in results),
        unchanged=sum(r.unchanged for r in results),
        results=tuple(results),
    )


def _store_one(store: Store, run_id: int, f: _Fetched, now: datetime) -> FeedResult:
    name = f.feed.name
    if f.error is not None:
        failures = store.feed_state(name)["consecutive_failures"] + 1
        until = backoff_until(failures, now, f.retry_after)
        store.record_failure(
            name, run_id=run_id, error=f.error, status=f.status,
            next_attempt=until.strftime("%Y-%m-%dT%H:%M:%SZ") if until else None,
        )
        return FeedResult(feed=name, ok=False, status=f.status, error=f.error)
    assert f.result is not None
    if f.result.not_modified or f.same_body:
        store.record_not_modified(name, f.result.status, etag=f.result.etag,
                                  last_modified=f.result.last_modified)
        return FeedResult(feed=name, ok=True, status=f.result.status, not_modified=True)
    new, updated, unchanged = store.save_feed(
        name, f.articles, status=f.result.status, etag=f.result.etag,
        last_modified=f.result.last_modified, body_hash=f.body_hash,
    )
    return FeedResult(feed=name, ok=True, status=f.result.status, new=new, updated=updated,
                      unchanged=unchanged)




class Engine:
    """Every analysis stage, loaded once per run: entities and actors, themes, tone."""

    def __init__(self, *, model: str | None = None, batch_size: int = 64,
                 n_process: int = 1) -> None:
        from .analyze import Analyzer
        from .themes import ThemeModel

        self.analyzer = Analyzer(model=model, batch_size=batch_size, n_process=n_process)
        self.themes = ThemeModel.load()
        self.tone = _load_tone()

    def run(self, items: Iterable[tuple[str, str, str]],
            chunk: int = 1000) -> Iterator[Analysis]:
        """(id, title, text) in, complete Analysis records out, in the same order.

        Works through the input in chunks, so memory stays bounded on big inputs."""
        it = iter(items)
        while batch := list(islice(it, chunk)):
            yield from self._run(batch)

    def _run(self, items: list[tuple[str, str, str]]) -> Iterator[Analysis]:
        from .analyze import analysed_text

        items = [(i, title, analysed_text(text or "")) for i, title, text in items]
        texts = [f"{title}\n{text}" if title else text for _, title, text in items]
        theme_scores = self.themes.predict(texts)
        analyses = list(self.analyzer.analyze(items))
        tones: list[tuple[ActorTone, ...]] = (
            self.tone.score_many(analyses) if self.tone is not None else [()] * len(analyses))
        for analysis, scores, tone in zip(analyses, theme_scores, tones, strict=True):
            provenance = dict(analysis.provenance, theme_model=self.themes.version)
            if self.tone is not None:
                provenance["tone_method"] = self.tone.version
            yield replace(analysis, themes=tuple(scores), tones=tone, provenance=provenance)


def _load_tone() -> Any:
    try:
        from .tone import ToneModel
    except ImportError:  # tone arrives with its own capability
        return None
    return ToneModel.load()


ANALYSIS_CHUNK = 256


def analyze_stored(
    store: Store,
    *,
    model: str | None = None,
    all_articles: bool = False,
    engine: Engine | None = None,
    on_progress: Callable[[int], Any] | None = None,
) -> int:
    """Analyse stored articles that are new or changed (or all), committing in chunks.

    Each chunk is one transaction, so an interrupted run loses at most one chunk
    of work and the next run picks up exactly where this one stopped.
    """
    engine = engine or Engine(model=model)
    ids = [row[0] for row in store.articles_to_analyze(all_articles=all_articles)]
    done = 0
    for start in range(0, len(ids), ANALYSIS_CHUNK):
        rows = list(store.articles_to_analyze(ids=ids[start:start + ANALYSIS_CHUNK]))
        hashes = {r[0]: r[3] for r in rows}
        analyses = engine.run((r[0], r[1], r[2]) for r in rows)
        done += store.save_analyses((a, hashes[a.article_id]) for a in analyses)
        if on_progress:
            on_progress(len(rows))
    return done
