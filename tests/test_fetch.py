from __future__ import annotations

from datetime import UTC, datetime

import pytest

from narratives.config import Settings
from narratives.errors import FetchError
from narratives.fetch import Fetcher, parse_retry_after

from .conftest import FeedServer, Route, make_items, rss


def test_ok_sends_user_agent_and_keeps_validators(server: FeedServer) -> None:
    body = rss(make_items(2))
    lm = "Tue, 01 Sep 2026 00:00:00 GMT"
    server.routes["/f"] = Route(body=body, etag='"v1"', last_modified=lm)
    with Fetcher() as f:
        r = f.fetch(server.url("/f"))
    assert r.status == 200 and r.content == body
    assert (r.etag, r.last_modified) == ('"v1"', "Tue, 01 Sep 2026 00:00:00 GMT")
    assert server.hits("/f")[0]["headers"]["User-Agent"].startswith("narratives/")


def test_conditional_get_returns_304_without_body(server: FeedServer) -> None:
    server.routes["/f"] = Route(body=rss(make_items(1)), etag='"abc"')
    with Fetcher() as f:
        r = f.fetch(server.url("/f"), etag='"abc"')
    assert r.not_modified and r.content is None
    assert server.hits("/f")[0]["headers"]["If-None-Match"] == '"abc"'


def test_gzip_body_is_decoded(server: FeedServer) -> None:
    body = rss(make_items(3))
    server.routes["/g"] = Route(body=body, gzip=True)
    with Fetcher() as f:
        assert f.fetch(server.url("/g")).content == body


def test_redirect_followed_and_loop_stopped(server: FeedServer) -> None:
    server.routes["/old"] = Route(redirect="/new", status=301)
    server.routes["/new"] = Route(body=b"<rss/>")
    server.routes["/loop1"] = Route(redirect="/loop2")
    server.routes["/loop2"] = Route(redirect="/loop1")
    with Fetcher(Settings(max_redirects=3)) as f:
        assert f.fetch(server.url("/old")).url.endswith("/new")
        with pytest.raises(FetchError, match="too many redirects"):
            f.fetch(server.url("/loop1"))


@pytest.mark.parametrize("status", [404, 500])
def test_http_errors_carry_status(server: FeedServer, status: int) -> None:
    server.routes["/e"] = Route(status=status, body=b"oops")
    with Fetcher() as f, pytest.raises(FetchError) as err:
        f.fetch(server.url("/e"))
    assert err.value.status == status
    assert f"HTTP {status}" in str(err.value)


def test_retry_after_is_kept_on_503(server: FeedServer) -> None:
    server.routes["/busy"] = Route(status=503, headers={"Retry-After": "7200"})
    with Fetcher() as f, pytest.raises(FetchError) as err:
        f.fetch(server.url("/busy"))
    wait = err.value.retry_after - datetime.now(UTC)  # type: ignore[attr-defined]
    assert 7000 < wait.total_seconds() <= 7200


def test_retry_after_http_date() -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_retry_after("Sun, 01 Nov 2026 02:00:00 GMT", now) == datetime(
        2026, 11, 1, 2, tzinfo=UTC)
    assert parse_retry_after("soon", now) is None


def test_slow_answer_times_out(server: FeedServer) -> None:
    server.routes["/slow"] = Route(body=b"<rss/>", delay=2.0)
    with Fetcher(Settings(read_timeout=0.3)) as f, pytest.raises(FetchError, match="timed out"):
        f.fetch(server.url("/slow"))


@pytest.mark.parametrize("chunked", [False, True])
def test_oversized_body_is_refused(server: FeedServer, chunked: bool) -> None:
    server.routes["/big"] = Route(body=b"x" * 300_000, chunked=chunked)
    with Fetcher(Settings(max_bytes=100_000)) as f, pytest.raises(FetchError, match="limit"):
        f.fetch(server.url("/big"))


def test_gzip_bomb_counts_decoded_bytes(server: FeedServer) -> None:
    server.routes["/bomb"] = Route(body=b"\0" * 5_000_000, gzip=True)
    with Fetcher(Settings(max_bytes=1_000_000)) as f, pytest.raises(FetchError, match="limit"):
        f.fetch(server.url("/bomb"))


def test_connection_refused_is_a_fetch_error() -> None:
    with Fetcher(Settings(connect_timeout=1)) as f, \
            pytest.raises(FetchError, match="cannot connect"):
        f.fetch("http://127.0.0.1:9/feed")


def test_local_file_and_missing_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "f.xml"
    p.write_bytes(b"<rss/>")
    with Fetcher() as f:
        first = f.fetch(p.as_uri())
        assert first.content == b"<rss/>"
        assert f.fetch(p.as_uri(), last_modified=first.last_modified).not_modified
        with pytest.raises(FetchError, match="file not found"):
            f.fetch((tmp_path / "none.xml").as_uri())
