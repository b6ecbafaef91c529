"""Shared fixtures: a real HTTP server on 127.0.0.1, temporary databases, ../shared."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURE_FEEDS = SHARED / "fixtures" / "feeds"


def require_shared() -> Path:
    """Skip (with the reason shown by -ra) when ../shared is not beside the repository."""
    if not FIXTURE_FEEDS.is_dir():
        pytest.skip(f"needs the shared feed fixtures at {FIXTURE_FEEDS} (absent here)")
    return FIXTURE_FEEDS


@dataclass
class Route:
    """What the test server answers on one path."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    gzip: bool = False
    etag: str | None = None
    last_modified: str | None = None
    redirect: str | None = None
    chunked: bool = False


class FeedServer:
    """A real threaded HTTP server serving `routes`; records every request."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[dict] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                    server.requests.append({"path": self.path, "headers": dict(self.headers),
                                            "at": time.monotonic()})
                try:
                    self._answer()
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _answer(self) -> None:
                route = server.routes.get(self.path.split("?")[0])
                if route is None:
                    self._send(404, b"not found", {"Content-Type": "text/plain"})
                    return
                if route.delay:
                    time.sleep(route.delay)
                if route.redirect:
                    self._send(route.status if route.status in (301, 302, 307) else 302, b"",
                               {"Location": route.redirect})
                    return
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    self._send(304, b"", {"ETag": route.etag})
                    return
                if (route.last_modified
                        and self.headers.get("If-Modified-Since") == route.last_modified):
                    self._send(304, b"", {"Last-Modified": route.last_modified})
                    return
                headers = {"Content-Type": "application/rss+xml; charset=utf-8", **route.headers}
                if route.etag:
                    headers["ETag"] = route.etag
                if route.last_modified:
                    headers["Last-Modified"] = route.last_modified
                body = route.body
                if route.gzip:
                    body = gzip.compress(body)
                    headers["Content-Encoding"] = "gzip"
                if route.chunked:
                    self.send_response(route.status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for i in range(0, len(body), 65536):
                        part = body[i:i + 65536]
                        try:
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                        except (BrokenPipeError, ConnectionResetError):
                            return
                    self.wfile.write(b"0\r\n\r\n")
                    return
                self._send(route.status, body, headers)

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if status != 304:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["path"].split("?")[0] == path]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    s = FeedServer()
    yield s
    s.close()


def rss(items: list[dict], *, title: str = "Test feed") -> bytes:
    """A small RSS 2.0 document; each item dict has title, link, description, guid, pubDate."""
    parts = [f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
             f"<title>{title}</title><link>http://example.org/</link>"
             "<description>test</description>"]
    for it in items:
        parts.append("<item>")
        for key in ("title", "link", "guid", "pubDate", "author"):
            if it.get(key) is not None:
                parts.append(f"<{key}>{it[key]}</{key}>")
        if it.get("description") is not None:
            parts.append(f"<description><![CDATA[{it['description']}]]></description>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


def make_items(n: int, *, prefix: str = "story", day: int = 1) -> list[dict]:
    return [
        {"title": f"{prefix} {i} on lithium and gas",
         "link": f"https://news.example.org/{prefix}/{i}?utm_source=rss",
         "description": f"<p>Paragraph about Bolivia number {i} &amp; China.</p>",
         "pubDate": f"Mon, {day:02d} Sep 2026 1{i % 10}:00:00 GMT"}
        for i in range(n)
    ]


def write_feeds_yaml(path: Path, feeds: list[dict], settings: dict | None = None) -> Path:
    import yaml

    doc: dict = {"feeds": feeds}
    if settings:
        doc["settings"] = settings
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path
