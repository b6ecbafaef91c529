"""Fetching feed bytes over HTTP (or from local files), politely and safely.

One feed's failure is a `FetchError` for the caller to record on that feed;
nothing here raises for a foreseeable network problem otherwise.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from . import __version__
from .config import Settings
from .errors import FetchError

DEFAULT_USER_AGENT = (
    f"narratives/{__version__} (+https://github.com/narratives-project/narratives; "
    "news feed monitor for research)"
)


@dataclass(frozen=True)
class FetchResult:
    """What a fetch returned. `content` is None for a 304 Not Modified."""

    url: str
    status: int
    content: bytes | None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def parse_retry_after(value: str | None, now: datetime | None = None) -> datetime | None:
    """Retry-After is either seconds or an HTTP date; returns when to try again (UTC)."""
    if not value:
        return None
    now = now or datetime.now(UTC)
    value = value.strip()
    if value.isdigit():
        return now + timedelta(seconds=min(int(value), 7 * 86400))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when


class Fetcher:
    """An HTTP client configured once per run and shared by all feeds."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        s = self.settings
        self._client = httpx.Client(
            timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout),
            follow_redirects=True,
            max_redirects=s.max_redirects,
            headers={
                "User-Agent": s.user_agent or DEFAULT_USER_AGENT,
                "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, "
                "text/xml;q=0.9, */*;q=0.5",
                "Accept-Encoding": "gzip, deflate",
            },
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """Fetch one feed. Raises FetchError with a message fit for `feeds status`."""
        if urlsplit(url).scheme == "file":
            return self._fetch_file(url, last_modified)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        limit = self.settings.max_bytes
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return FetchResult(
                        url=str(response.url),
                        status=304,
                        content=None,
                        etag=response.headers.get("ETag") or etag,
                        last_modified=response.headers.get("Last-Modified") or last_modified,
                    )
                if response.status_code >= 400:
                    err = FetchError(
                        f"HTTP {response.status_code} {response.reason_phrase} from {url}",
                        status=response.status_code,
                    )
                    err.retry_after = parse_retry_after(  # type: ignore[attr-defined]
                        response.headers.get("Retry-After")
                    )
                    raise err
                declared = response.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > limit:
                    raise FetchError(
                        f"response of {int(declared):,} bytes is over the {limit:,}-byte limit "
                        "(raise settings.max_bytes in the feeds file)",
                        status=response.status_code,
                    )
                chunks: list[bytes] = []
                size = 0
                # iter_bytes decodes gzip; counting decoded bytes also stops gzip bombs.
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise FetchError(
                            f"response is over the {limit:,}-byte limit "
                            "(raise settings.max_bytes in the feeds file)",
                            status=response.status_code,
                        )
                    chunks.append(chunk)
                return FetchResult(
                    url=str(response.url),
                    status=response.status_code,
                    content=b"".join(chunks),
                    content_type=response.headers.get("Content-Type"),
                    etag=response.headers.get("ETag"),
                    last_modified=response.headers.get("Last-Modified"),
                )
        except httpx.TooManyRedirects:
            raise FetchError(
                f"too many redirects (more than {self.settings.max_redirects}) from {url}"
            ) from None
        except httpx.ConnectTimeout:
            raise FetchError(
                f"connection timed out after {self.settings.connect_timeout}s: {url}"
            ) from None
        except httpx.TimeoutException:
            raise FetchError(f"read timed out after {self.settings.read_timeout}s: {url}") from None
        except httpx.ConnectError as exc:
            raise FetchError(f"cannot connect to {urlsplit(url).netloc}: {exc}") from None
        except httpx.DecodingError as exc:
            raise FetchError(f"cannot decode response body from {url}: {exc}") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"HTTP error from {url}: {exc}") from None

    def _fetch_file(self, url: str, last_modified: str | None = None) -> FetchResult:
        """Local files get the same conditional-GET economy, keyed on mtime."""
        path = Path(unquote(urlsplit(url).path))
        try:
            mtime = email.utils.formatdate(path.stat().st_mtime, usegmt=True)
            if last_modified and mtime == last_modified:
                return FetchResult(url=url, status=304, content=None, last_modified=mtime)
            size = path.stat().st_size
            if size > self.settings.max_bytes:
                raise FetchError(
                    f"{path} is {size:,} bytes, over the {self.settings.max_bytes:,}-byte limit"
                )
            content = path.read_bytes()
        except FileNotFoundError:
            raise FetchError(f"file not found: {path}") from None
        except OSError as exc:
            raise FetchError(f"cannot read {path}: {exc.strerror}") from None
        return FetchResult(url=url, status=200, content=content, last_modified=mtime)


def host_of(url: str) -> str:
    """The politeness key: feeds on one host are fetched one after another."""
    parts = urlsplit(url)
    return parts.netloc.lower() if parts.scheme in ("http", "https") else f"file:{parts.path}"


def polite_sleep(last_request: float | None, delay: float) -> None:
    """Wait until `delay` seconds have passed since the last request to the same host."""
    if last_request is None:
        return
    wait = delay - (time.monotonic() - last_request)
    if wait > 0:
        time.sleep(wait)
