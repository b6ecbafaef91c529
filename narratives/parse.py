"""Turning fetched feed bytes into Article records.

Identity is derived, never invented: an article's id is a hash of its
canonical URL (else of its feed and guid, else of its content), and a
versioned content hash says whether a stored article changed.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
import time
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from xml.sax import SAXParseException

import feedparser
from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning
from url_normalize import url_normalize

from .errors import ParseError
from .records import Article, Feed

# Bump when the hashed fields or their normalisation change: every stored
# article then looks "changed" once and is re-analysed.
CONTENT_HASH_VERSION = "v1"

# Query parameters that track the reader rather than identify the page.
TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_", "__hs")
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "ocid",
     "cmpid", "ito", "_ga", "_gl", "mkt_tok", "spm", "ref_src", "smid", "at_medium",
     "at_campaign", "xtor", "ns_source", "ns_mchannel", "ns_campaign", "rss", "feed"}
)

_HARMLESS = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
_WS = re.compile(r"\s+")
# C0 controls that are not whitespace, and DEL: SQLite's text functions and FTS stop
# reading at a NUL, so an item's text would look cut short in search and exports.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*(<!doctype\s+html|<html)", re.I | re.S)
_BLOCK_TAGS = ("p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote")


def canonical_url(url: str | None) -> str | None:
    """Scheme and host lower-cased, fragment and tracking parameters removed."""
    if not url or not url.strip():
        return None
    url = url.strip()
    try:
        normal = url_normalize(url)
    except Exception:  # url_normalize raises assorted errors on junk; keep the raw URL
        normal = url
    if not normal:
        return None
    parts = urlsplit(normal)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", urlencode(query), "")
    )


def html_to_text(html: str | None) -> str:
    """Plain text from an HTML fragment: script and style dropped, entities decoded."""
    if not html:
        return ""
    html = _CONTROL.sub("", html)
    if "<" not in html and "&" not in html:
        return _WS.sub(" ", html).strip()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "noscript", "template", "iframe"]):
        tag.decompose()
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before(" ")
        tag.insert_after(" ")
    return _WS.sub(" ", soup.get_text(" ")).strip()


def _hash(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


def article_id(canonical: str | None, guid: str | None, feed: str, title: str, text: str) -> str:
    """Stable identity: canonical URL, else feed+guid, else content."""
    if canonical:
        return _hash("url", canonical)[:24]
    if guid:
        return _hash("guid", feed, guid)[:24]
    return _hash("content", feed, title, text)[:24]


def content_hash(title: str, text: str, author: str | None) -> str:
    return _hash(CONTENT_HASH_VERSION, title, text, author or "")[:32]


def _utc_iso(struct: time.struct_time | None) -> str | None:
    if not struct:
        return None
    try:
        ts = calendar.timegm(struct)
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):
        return None


#: Item dates before this are placeholders (the Unix epoch, 1900), not news dates.
EARLIEST = "1990-01-01T00:00:00Z"
#: Item dates more than this ahead of the fetch are clock or feed errors.
AHEAD = timedelta(days=2)


def _plausible(iso: str | None, fetched: str) -> str | None:
    """`iso` if it can be a news item's date, else None (the date is then taken from
    elsewhere), so one bogus date cannot stretch every trend report over decades."""
    if iso is None or iso < EARLIEST:
        return None
    latest = datetime.strptime(fetched, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) + AHEAD
    return None if iso > latest.strftime("%Y-%m-%dT%H:%M:%SZ") else iso


def _entry_text(entry: Any) -> str:
    """Content and summary joined, without repeating a summary the content contains."""
    content_parts = [
        html_to_text(c.get("value")) for c in entry.get("content", []) if c.get("value")
    ]
    content = " ".join(p for p in content_parts if p)
    summary = html_to_text(entry.get("summary"))
    if not content:
        return summary
    if not summary or summary[:200] in content:
        return content
    return f"{summary} {content}"


def _json_feed(content: bytes) -> dict[str, Any] | None:
    """A JSON Feed (jsonfeed.org) as the feedparser-shaped dict the rest expects.

    feedparser reads only XML feeds; JSON Feed is simple enough to map here.
    """
    head = content.lstrip()[:1]
    if head != b"{":
        return None
    try:
        doc = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(doc, dict) or "jsonfeed.org" not in str(doc.get("version", "")):
        return None
    entries = []
    for item in doc.get("items") or []:
        if not isinstance(item, dict):
            continue
        html = item.get("content_html") or ""
        plain = item.get("content_text") or ""
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        entry: dict[str, Any] = {
            "title": item.get("title") or "",
            "link": item.get("url") or item.get("external_url"),
            "id": str(item["id"]) if item.get("id") is not None else None,
            "summary": item.get("summary") or plain,
            "content": [{"value": html}] if html else [],
            "author": (authors[0].get("name") if authors and isinstance(authors[0], dict)
                       else None),
            "published_parsed": _iso_struct(item.get("date_published")),
            "updated_parsed": _iso_struct(item.get("date_modified")),
        }
        entries.append(entry)
    return {"version": "json1", "feed": {"language": doc.get("language")}, "entries": entries}


def _iso_struct(value: Any) -> time.struct_time | None:
    if not isinstance(value, str):
        return None
    try:
        d = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return d.astimezone(UTC).timetuple()


def looks_like_html(content: bytes) -> bool:
    return bool(_HTML_START.match(content[:2048]))


#: The end of a complete RSS, RDF or Atom document.
_CLOSED = re.compile(rb"</\s*(?:rss|feed|rdf:RDF|RDF)\s*>\s*$", re.IGNORECASE)
#: The start of an item or entry: the document has items even if none could be read.
_ITEM_TAG = re.compile(rb"<\s*(?:item|entry)[\s>/]", re.IGNORECASE)
#: expat's errors for input that ends too soon. expat raises them only once it has
#: reached the end of the bytes; any other error is somewhere inside the document.
_ENDS_TOO_SOON = frozenset({"no element found", "unclosed token", "unclosed CDATA section",
                           "partial character"})


def _xml_error(exc: SAXParseException, content: bytes) -> tuple[str, int, int]:
    """The XML parser's problem and its 1-based line and column in `content`.

    feedparser hands the parser a copy re-encoded as UTF-8 with an XML declaration put in
    front; when the feed had none at its very start, that adds a line, taken off here.
    Columns count characters from 1 (expat counts from 0)."""
    head = content[:64].replace(b"\x00", b"").lstrip(b"\xef\xbb\xbf\xff\xfe")
    line = exc.getLineNumber() - (0 if head.startswith(b"<?xml") else 1)
    message = exc.getMessage()
    if message.startswith("not well-formed ("):  # expat's "not well-formed (invalid token)"
        message = message[len("not well-formed ("):-1]
    return message, max(line, 1), max(exc.getColumnNumber(), 0) + 1


def _not_well_formed(exc: SAXParseException, content: bytes) -> str:
    message, line, column = _xml_error(exc, content)
    return f"not well-formed XML at line {line}, column {column} ({message})"


def parse_feed(
    content: bytes,
    feed: Feed,
    *,
    content_type: str | None = None,
    fetched_at: datetime | None = None,
) -> list[Article]:
    """Parse feed bytes. Raises ParseError when the bytes are not a usable feed."""
    if not content or not content.strip():
        raise ParseError("empty response body")
    headers = {"content-type": content_type} if content_type else None
    parsed: Any = _json_feed(content)
    if parsed is None:
        parsed = feedparser.parse(content, response_headers=headers, sanitize_html=True)
    entries = parsed.get("entries") or []
    version = parsed.get("version") or ""
    exc = parsed.get("bozo_exception")
    # A mislabelled encoding is not fatal: feedparser has decoded the bytes anyway.
    broken = bool(parsed.get("bozo")) and not isinstance(exc, _HARMLESS)
    salvaged = bool(parsed.get("feed", {}).get("title"))
    closed = bool(_CLOSED.search(content[-200:]))
    if broken and version and isinstance(exc, SAXParseException):
        message, line, _ = _xml_error(exc, content)
        if not closed and message in _ENDS_TOO_SOON:
            # The bytes stop inside the document: a partial download or a broken server.
            # Its last item would be cut off too, so nothing is stored from it.
            raise ParseError(f"feed is cut off at line {line} ({message}); "
                             "the download was incomplete")
        if not closed or (not entries and (not salvaged or _ITEM_TAG.search(content))):
            # feedparser's loose parser still reads most ill-formed feeds; refuse only a
            # document that does not end with its root's end tag (its last item may be
            # lost) or one whose items could not be read at all.
            raise ParseError(f"feed is {_not_well_formed(exc, content)}; the publisher "
                             "must fix the feed")
    elif broken and version and not closed:
        # No position to tell a cut-off download from a broken document.
        raise ParseError(f"feed does not end with its closing tag ({exc}); the download "
                         "was incomplete or the publisher must fix the feed")
    if not entries and (not version or (broken and not salvaged)):
        # Nothing usable: say why. A well-formed feed with no items is not an error.
        if looks_like_html(content) or "html" in (content_type or "").lower():
            raise ParseError("got an HTML page, not a feed (check the feed URL)")
        if isinstance(exc, SAXParseException):
            raise ParseError(f"not a feed: {_not_well_formed(exc, content)}")
        raise ParseError(f"not a feed: {exc or 'no RSS/Atom structure found'}")
    return list(iter_articles(parsed, feed, fetched_at=fetched_at))


def iter_articles(
    parsed: Any, feed: Feed, *, fetched_at: datetime | None = None
) -> Iterator[Article]:
    fetched = (fetched_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    feed_lang = (parsed.get("feed", {}).get("language") or feed.language or "") or None
    seen: set[str] = set()
    for entry in parsed.get("entries", []):
        title = html_to_text(entry.get("title"))
        text = _entry_text(entry)
        if not title and not text:
            continue
        link = entry.get("link")
        canonical = canonical_url(link)
        guid = entry.get("id") or None
        published = _plausible(_utc_iso(entry.get("published_parsed")), fetched)
        source = "published"
        if published is None:
            with warnings.catch_warnings():  # feedparser's updated->published alias notice
                warnings.simplefilter("ignore", DeprecationWarning)
                published = _plausible(_utc_iso(entry.get("updated_parsed")), fetched)
                source = "updated"
        if published is None:
            published, source = fetched, "fetched"
        author = _WS.sub(" ", _CONTROL.sub("", entry.get("author") or "")).strip() or None
        language = (entry.get("language") or feed_lang or None)
        if language:
            language = language.split("-")[0].lower()[:3]
        aid = article_id(canonical, guid, feed.name, title, text)
        if aid in seen:  # a feed listing the same story twice
            continue
        seen.add(aid)
        yield Article(
            id=aid,
            feed=feed.name,
            url=link or None,
            canonical_url=canonical,
            guid=guid,
            title=title,
            text=text,
            published=published,
            published_source=source,  # type: ignore[arg-type]
            author=author,
            language=language,
            content_hash=content_hash(title, text, author),
        )
