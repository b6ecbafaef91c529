from __future__ import annotations

import pytest

from narratives.errors import ParseError
from narratives.parse import canonical_url, html_to_text, parse_feed
from narratives.records import Feed

from .conftest import rss

FEED = Feed(name="t", url="https://example.org/rss", language="en")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://News.Example.ORG/a/b?utm_source=rss&utm_medium=x#top",
         "https://news.example.org/a/b"),
        ("https://example.org/story?id=42&fbclid=abc&gclid=1", "https://example.org/story?id=42"),
        ("http://example.org", "http://example.org/"),
        ("https://example.org/a?b=1&mc_cid=2&a=2", "https://example.org/a?b=1&a=2"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_of_nothing() -> None:
    assert canonical_url("") is None and canonical_url(None) is None


def test_html_to_text_drops_script_style_and_decodes_entities() -> None:
    html = ("<p>Lithium &amp; gas</p><script>alert('x')</script><style>p{color:red}</style>"
            "<p>La&nbsp;Paz &eacute;xito</p>")
    text = html_to_text(html)
    assert "alert" not in text and "color" not in text
    assert "Lithium & gas" in text and "éxito" in text


@pytest.mark.parametrize("text", ["Lithium\x00 deal signed", "<p>Lithium\x00 deal</p> signed",
                                  "Lithium\x07\x7f deal signed"])
def test_control_characters_are_dropped(text: str) -> None:
    # SQLite's text functions and full-text index stop at a NUL: the words after it
    # would be unsearchable and the text look cut short in exports
    assert html_to_text(text) == "Lithium deal signed"


def test_nul_in_a_feed_item_does_not_cut_its_text() -> None:
    body = rss([{"title": "Gas\x00 prices", "link": "https://e.org/1",
                 "description": "Before the NUL\x00 and after it", "author": "Ana\x00"}])
    [a] = parse_feed(body, FEED)
    assert a.title == "Gas prices" and a.text == "Before the NUL and after it"
    assert a.author == "Ana"


def test_entry_fields_dates_and_flags() -> None:
    body = rss([
        {"title": "With date", "link": "https://e.org/1?utm_campaign=z",
         "description": "<b>Bold</b> text", "pubDate": "Tue, 01 Sep 2026 12:00:00 -0400",
         "author": "ana@example.org (Ana)"},
        {"title": "No date", "link": "https://e.org/2", "description": "x"},
    ])
    a, b = parse_feed(body, FEED)
    assert a.canonical_url == "https://e.org/1"
    assert a.published == "2026-09-01T16:00:00Z" and a.published_source == "published"
    assert a.text == "Bold text" and a.author
    assert b.published_source == "fetched"


def test_identity_without_link_is_stable() -> None:
    body = rss([{"title": "Guid only", "guid": "urn:x:1", "description": "a"},
                {"title": "Nothing", "description": "only content"}])
    first = parse_feed(body, FEED)
    again = parse_feed(body, FEED)
    assert [x.id for x in first] == [x.id for x in again]
    assert len({x.id for x in first}) == 2


def test_tracking_variants_are_one_article() -> None:
    body = rss([{"title": "A", "link": "https://E.org/s?utm_source=a#c", "description": "x"},
                {"title": "A", "link": "https://e.org/s?utm_source=b", "description": "x"}])
    assert len(parse_feed(body, FEED)) == 1


def test_changed_content_changes_hash_not_id() -> None:
    one = parse_feed(rss([{"title": "A", "link": "https://e.org/s", "description": "x"}]), FEED)
    two = parse_feed(rss([{"title": "A", "link": "https://e.org/s", "description": "y"}]), FEED)
    assert one[0].id == two[0].id and one[0].content_hash != two[0].content_hash


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty response body"),
        (b"   \n", "empty response body"),
        (b"<!DOCTYPE html><html><body><h1>Welcome</h1></body></html>", "HTML page"),
        (b"this is not xml at all {", "not a feed"),
    ],
)
def test_unusable_bodies(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_feed(body, FEED)


def test_atom_updated_only_is_flagged() -> None:
    atom = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
    <entry><title>Upd</title><id>urn:1</id><updated>2026-10-02T10:00:00Z</updated>
    <link href="https://e.org/u"/><summary>s</summary></entry></feed>"""
    (a,) = parse_feed(atom, FEED)
    assert (a.published, a.published_source) == ("2026-10-02T10:00:00Z", "updated")


def test_mislabelled_encoding_is_decoded() -> None:
    text = "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
    text += "<item><title>Canción del café</title><link>https://e.org/c</link></item></channel></rss>"
    body = text.replace("utf-8", "iso-8859-1").encode("iso-8859-1")
    (a,) = parse_feed(body, FEED, content_type="application/rss+xml; charset=utf-8")
    assert a.title == "Canción del café"
