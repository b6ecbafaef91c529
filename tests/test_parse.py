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


DECL = b"<?xml version='1.0' encoding='utf-8'?>\n"
HEAD = b"<rss version='2.0'><channel><title>T</title>\n"
ITEM = b"<item><title>%s</title><link>https://e.org/%s</link></item>\n"
TAIL = b"</channel></rss>\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # A mismatched tag on line 2 of a complete document: the publisher's mistake.
        (DECL + b"<rss version='2.0'><channel><title>T</titl>\n" + ITEM % (b"a", b"a") + TAIL,
         "feed is not well-formed XML at line 2, column 39 (mismatched tag); "
         "the publisher must fix the feed"),
        # Without an XML declaration (feedparser adds one, shifting its line numbers).
        (b"<rss version='2.0'><channel><title>T</titl>\n" + ITEM % (b"a", b"a") + TAIL,
         "feed is not well-formed XML at line 1, column 39 (mismatched tag); "
         "the publisher must fix the feed"),
        # A comment never closed swallows the rest: not a cut-off download, the end is there.
        (DECL + HEAD + b"<!-- note\n" + ITEM % (b"a", b"a") + TAIL,
         "feed is not well-formed XML at line 3, column 1 (unclosed token); "
         "the publisher must fix the feed"),
        # Broken and also missing its end tag: the first error is what the publisher fixes.
        (DECL + HEAD + b"<item><title>a</titel></item>\n</channel>\n",
         "feed is not well-formed XML at line 3, column 17 (mismatched tag); "
         "the publisher must fix the feed"),
        (DECL + HEAD + ITEM % (b"a", b"a") + TAIL + b"Generated in 0.2 s\n",
         "feed is not well-formed XML at line 5, column 1 (junk after document element); "
         "the publisher must fix the feed"),
    ],
)
def test_malformed_xml_is_not_called_a_cut_off_download(body: bytes, message: str) -> None:
    with pytest.raises(ParseError) as err:
        parse_feed(body, FEED)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (DECL + HEAD + ITEM % (b"a", b"a") + b"<item><title>b</ti",
         "feed is cut off at line 4 (unclosed token); the download was incomplete"),
        (DECL + HEAD + ITEM % (b"a", b"a") + b"</chan",
         "feed is cut off at line 4 (unclosed token); the download was incomplete"),
        (DECL + HEAD + ITEM % (b"a", b"a"),
         "feed is cut off at line 4 (no element found); the download was incomplete"),
        (DECL + HEAD + b"<item><description><![CDATA[one\ntwo\nthr",
         "feed is cut off at line 5 (unclosed CDATA section); the download was incomplete"),
    ],
)
def test_a_document_that_stops_early_is_cut_off(body: bytes, message: str) -> None:
    with pytest.raises(ParseError) as err:
        parse_feed(body, FEED)
    assert str(err.value) == message


def test_ill_formed_but_complete_feeds_still_yield_their_items() -> None:
    # feedparser's loose parser reads what it can; a raw '&' must not lose the feed.
    body = DECL + b"<rss version='2.0'><channel><title>T & U</title>\n"
    body += ITEM % (b"a", b"a") + ITEM % (b"b", b"b") + TAIL
    assert [a.title for a in parse_feed(body, FEED)] == ["a", "b"]


def test_a_document_that_is_not_xml_says_where() -> None:
    with pytest.raises(ParseError) as err:
        parse_feed(b"this is not xml at all {", FEED)
    assert str(err.value) == "not a feed: not well-formed XML at line 1, column 1 (syntax error)"
