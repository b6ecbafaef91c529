"""Reading and validating feeds.yaml.

Validation is strict and all-or-nothing: one bad entry stops the run before
anything is fetched, with an error naming the file, the feed and the field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from url_normalize import url_normalize

from .errors import ConfigError
from .records import Feed

FEED_KEYS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "url": str,
    "outlet": str,
    "country": str,
    "language": str,
    "state_backed": bool,
    "tags": list,
    "enabled": bool,
}
REQUIRED_KEYS = ("name", "url")
URL_SCHEMES = ("http", "https", "file")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
# A first path segment that reads as a host name (`www.example.com`, `example.org:8080`,
# `news.example.co.uk`, `192.0.2.1`, `localhost:8000`): a web address written without
# `https://`, which would otherwise be taken for a local path beside feeds.yaml.
_HOST = re.compile(
    r"(?:(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}|\d{1,3}(?:\.\d{1,3}){3}|localhost)"
    r"(?::\d{1,5})?",
    re.IGNORECASE,
)
# Endings that make a bare `name.ending` a file beside feeds.yaml, not a web site.
_FILE_ENDINGS = frozenset(
    {"xml", "rss", "atom", "rdf", "json", "jsonl", "txt", "htm", "html", "xhtml", "yaml", "yml",
     "feed", "php", "asp", "aspx", "cgi", "jsp", "csv", "gz", "bz2", "xz", "zip", "md", "bak",
     "old", "orig", "tmp"}
)
# Control characters and line/paragraph separators: a name must fit on one line of
# a report and be typable after `--only`.
_NAME_BAD_CATEGORIES = ("Cc", "Zl", "Zp")

SETTINGS_KEYS: dict[str, type | tuple[type, ...]] = {
    "max_bytes": int,
    "connect_timeout": (int, float),
    "read_timeout": (int, float),
    "max_redirects": int,
    "user_agent": str,
    "concurrency": int,
    "host_delay": (int, float),
    "spacy_model": str,
}


@dataclass(frozen=True)
class Settings:
    """Fetch and analysis settings; feeds.yaml's optional `settings:` overrides these."""

    max_bytes: int = 10 * 1024 * 1024
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_redirects: int = 5
    user_agent: str = ""
    concurrency: int = 4
    host_delay: float = 1.0
    spacy_model: str | None = None


@dataclass(frozen=True)
class FeedsConfig:
    """A validated feeds file."""

    path: Path
    feeds: tuple[Feed, ...]
    settings: Settings = field(default_factory=Settings)

    def select(self, names: tuple[str, ...] | list[str] = ()) -> tuple[Feed, ...]:
        """The enabled feeds, or the named ones (enabled or not). A name is a feed's
        name or, as the reports' --source reads it, an outlet (every feed of it); letter
        case is ignored."""
        if not names:
            return tuple(f for f in self.feeds if f.enabled)
        chosen: dict[str, Feed] = {}
        unknown = []
        for n in names:
            key = n.strip().lower()
            found = [f for f in self.feeds if key in (f.name.lower(), (f.outlet or "").lower())]
            if not found:
                unknown.append(n)
            chosen.update((f.name, f) for f in found)
        if unknown:
            raise ConfigError(
                f"{self.path}: no feed or outlet named {', '.join(map(repr, unknown))}; "
                f"known feeds: {', '.join(sorted(f.name for f in self.feeds))}"
            )
        return tuple(chosen.values())


class _DuplicateKey(Exception):
    """A key given twice in one YAML mapping (safe_load would keep the last silently)."""

    def __init__(self, key: Any, line: int, first_line: int, feed: str | None) -> None:
        super().__init__(key, line, first_line, feed)
        self.key, self.line, self.first_line, self.feed = key, line, first_line, feed


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in the same mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # `<<` merge keys may repeat and their keys may be overridden; only literal
        # scalar keys count (a non-scalar key is refused later as an unknown field).
        keys = [(k, v) for k, v in node.value
                if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge"]
        # The feed's name, if this mapping is a feed, so the message can name it.
        feed = next((v.value for k, v in keys
                     if k.value == "name" and isinstance(v, yaml.ScalarNode)), None)
        first_lines: dict[Any, int] = {}
        for key_node, _ in keys:
            key = self.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if key in first_lines:
                raise _DuplicateKey(key, line, first_lines[key], feed)
            first_lines[key] = line
        return super().construct_mapping(node, deep=deep)


def _type_name(t: type | tuple[type, ...]) -> str:
    names = {str: "text", bool: "true/false", list: "a list", int: "a whole number",
             float: "a number"}
    if isinstance(t, tuple):
        return " or ".join(names.get(x, x.__name__) for x in t)
    return names.get(t, t.__name__)


def _check_type(value: Any, expected: type | tuple[type, ...]) -> bool:
    # bool is a subclass of int: `max_bytes: true` must not pass as a number.
    if isinstance(value, bool) and expected is not bool:
        return False
    return isinstance(value, expected)


def resolve_url(url: str, base_dir: Path) -> str:
    """Turn a local path (relative to the feeds file) into a file:// URL."""
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("http", "https", "file"):
        return url
    if scheme and len(scheme) > 1:
        return url  # validated (and rejected) by the caller
    path = Path(url)
    if not path.is_absolute():
        path = (base_dir / path).resolve()
    return path.as_uri()


def _same_url_key(url: str) -> str:
    """A resolved feed URL with what never changes the address folded (letter case of
    scheme and host, default port, empty path), by url_normalize. Not
    parse.canonical_url: that also drops query parameters such as `feed` and `rss`,
    which can select a different feed at the same address."""
    try:
        return url_normalize(url) or url
    except Exception:  # noqa: BLE001 - a URL the library cannot read is compared as written
        return url


def _name_problem(name: str) -> str | None:
    if name != name.strip():
        return "starts or ends with whitespace; remove it"
    if any(unicodedata.category(c) in _NAME_BAD_CATEGORIES for c in name):
        return "contains a control character or line break; use one line of plain text"
    return None


def _web_address_without_scheme(url: str) -> bool:
    """Whether `url`, written without `scheme://`, reads as a web address (`www.x.com/feed`,
    `example.org/rss`, `news.example.co.uk`, `//example.com/feed`) rather than a local path
    (`samples/feed.xml`, `./feed.xml`, `feed.xml`)."""
    if url.startswith("//"):
        return True
    if "://" in url or url.startswith((".", "/", "\\", "~")):
        return False
    first, slash, _ = url.partition("/")
    if not _HOST.fullmatch(first):
        return False
    host = first.partition(":")[0].lower()
    if slash or ":" in first or host.startswith("www.") or host == "localhost":
        return True
    return host.rpartition(".")[2] not in _FILE_ENDINGS


def _local_file_exists(url: str, base_dir: Path) -> bool:
    try:
        return (base_dir / url).exists()
    except (OSError, ValueError):  # a name too long for the file system, a NUL
        return False


def _yaml_error_message(exc: yaml.YAMLError, text: str) -> str:
    """One line for a YAML syntax error: line, column and what to fix, in place of
    PyYAML's wording for the mistakes people make by hand (tabs, indentation, quotes)."""
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        return f"line {line}: the invisible character U+{char:04X} is not allowed; remove it"
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or "invalid YAML"
    if mark is None:
        return problem
    line, column = mark.line + 1, mark.column + 1
    where = f"line {line}, column {column}"
    context_mark = getattr(exc, "context_mark", None)
    context_line = context_mark.line + 1 if context_mark is not None else line
    if "'\\t'" in problem:
        return f"{where}: the file uses a tab here; YAML needs spaces, replace the tab with spaces"
    if problem.startswith("expected <block end>"):
        short = problem.replace("<", "").replace(">", "").replace(", but found", ", found")
        return (f"{where}: check the indentation of line {line} against the lines above "
                f"(YAML: {short})")
    if problem == "mapping values are not allowed here":
        return (f"{where}: unexpected ':'; check the indentation of line {line} against the "
                "lines above, and put quotes around a value that contains ': '")
    if problem == "could not find expected ':'":
        return f"line {context_line}: expected 'key: value' (a ':' is missing)"
    context = getattr(exc, "context", None) or ""
    if "quoted scalar" in context:
        return f"line {context_line}: a quote opened on this line is never closed"
    if context.startswith("while parsing a flow") and "<stream end>" in problem:
        opened, closer = ("[", "]") if "sequence" in context else ("{", "}")
        return (f"line {context_line}: a '{opened}' opened on this line is never closed "
                f"with '{closer}'")
    return f"{where}: {problem}"


def _undecodable(data: bytes, exc: UnicodeDecodeError) -> str:
    """One line for a feeds file that is not UTF-8: where, and how to fix it."""
    line = data.count(b"\n", 0, exc.start) + 1
    byte = data[exc.start]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        saved = "probably saved as UTF-16"
    else:
        saved = "probably saved as Windows-1252 or Latin-1"
    return (f"line {line}: the file is not UTF-8 (byte 0x{byte:02x}; {saved}); "
            "save it as UTF-8")


def load_feeds(path: str | Path) -> FeedsConfig:
    """Read and validate a feeds file. Raises ConfigError on the first problem."""
    path = Path(path)
    text = ""
    try:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: {_undecodable(data, exc)}") from None
        raw = yaml.load(text, Loader=_StrictLoader)
    except _DuplicateKey as dup:
        feed = f" feed {dup.feed!r}:" if dup.feed is not None else ""
        raise ConfigError(
            f"{path}: line {dup.line}:{feed} duplicate key {dup.key!r} "
            f"(first given on line {dup.first_line}); keep only one"
        ) from None
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found (pass --feeds FILE)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: {_yaml_error_message(exc, text)}") from None
    if not isinstance(raw, dict) or "feeds" not in raw:
        raise ConfigError(f"{path}: expected a top-level 'feeds:' list")
    unknown_top = set(raw) - {"feeds", "settings"}
    if unknown_top:
        raise ConfigError(
            f"{path}: unknown top-level key {sorted(unknown_top)[0]!r} "
            "(allowed: feeds, settings)"
        )
    settings = _load_settings(path, raw.get("settings") or {})
    entries = raw["feeds"]
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: 'feeds' must be a non-empty list")
    feeds: list[Feed] = []
    names: dict[str, str] = {}  # lower-cased name -> the name as first written
    urls: dict[str, str] = {}  # _same_url_key -> name of the first feed with it
    for i, entry in enumerate(entries, start=1):
        feeds.append(_load_feed(path, i, entry, names, urls))
    return FeedsConfig(path=path, feeds=tuple(feeds), settings=settings)


def _load_settings(path: Path, raw: Any) -> Settings:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: 'settings' must be a mapping")
    for key, value in raw.items():
        if key not in SETTINGS_KEYS:
            raise ConfigError(
                f"{path}: settings: unknown key {key!r} (allowed: {', '.join(SETTINGS_KEYS)})"
            )
        if not _check_type(value, SETTINGS_KEYS[key]):
            raise ConfigError(
                f"{path}: settings: {key!r} must be {_type_name(SETTINGS_KEYS[key])}"
            )
        if isinstance(value, int | float) and (value < 0 or (value == 0 and key != "host_delay")):
            raise ConfigError(f"{path}: settings: {key!r} must be greater than 0")
    return Settings(**raw)


def _load_feed(
    path: Path, index: int, entry: Any, names: dict[str, str], urls: dict[str, str]
) -> Feed:
    where = f"{path}: feed #{index}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping with at least 'name' and 'url'")
    name = entry.get("name")
    if isinstance(name, str) and name.strip() and _name_problem(name) is None:
        where = f"{path}: feed {name!r}"
    for key in entry:
        if key not in FEED_KEYS:
            raise ConfigError(
                f"{where}: unknown field {key!r} (allowed: {', '.join(FEED_KEYS)})"
            )
    for key in REQUIRED_KEYS:
        value = entry.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ConfigError(f"{where}: missing required field {key!r}")
    for key, value in entry.items():
        if value is not None and not _check_type(value, FEED_KEYS[key]):
            raise ConfigError(f"{where}: field {key!r} must be {_type_name(FEED_KEYS[key])}")
    name = entry["name"]
    problem = _name_problem(name)
    if problem:
        raise ConfigError(f"{where}: field 'name' {name!r} {problem}")
    first_name = names.get(name.lower())
    if first_name is not None:
        if first_name == name:
            raise ConfigError(f"{where}: duplicate name {name!r}; feed names must be unique")
        # Reports' --source matches a name whatever its letter case: both would be one.
        raise ConfigError(
            f"{where}: name {name!r} differs from feed {first_name!r} only in letter case; "
            "feed names must differ in more than case, rename one"
        )
    names[name.lower()] = name
    url = entry["url"].strip()
    if not re.match(r"[a-z][a-z0-9+.-]*://", url, re.IGNORECASE) and \
            _web_address_without_scheme(url) and not _local_file_exists(url, path.parent):
        raise ConfigError(
            f"{where}: field 'url' {url!r} has no http:// or https:// and no such local "
            f"file exists; if it is a web address write 'https://{url.lstrip('/')}'"
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ConfigError(f"{where}: field 'url' is not a valid URL ({exc}): {url!r}") from None
    scheme = parts.scheme.lower()
    if len(scheme) > 1 and scheme not in URL_SCHEMES:
        raise ConfigError(
            f"{where}: field 'url' has scheme {scheme!r}; use http, https, file or a local path"
        )
    if scheme in ("http", "https") and not parts.hostname:
        raise ConfigError(f"{where}: field 'url' has no host: {url!r}")
    url = resolve_url(url, path.parent)
    first = urls.setdefault(_same_url_key(url), name)
    if first != name:
        raise ConfigError(
            f"{where}: same URL as feed {first!r}: {url!r}; each feed needs its own URL, "
            "remove one of them"
        )
    country = entry.get("country")
    if country is not None and not _COUNTRY.match(country):
        raise ConfigError(
            f"{where}: field 'country' must be an ISO 3166-1 alpha-2 code "
            f"such as BO, got {country!r}"
        )
    language = entry.get("language")
    if language is not None and not _LANGUAGE.match(language):
        raise ConfigError(
            f"{where}: field 'language' must be an ISO 639-1 code such as es, got {language!r}"
        )
    tags = entry.get("tags") or []
    if not all(isinstance(t, str) for t in tags):
        raise ConfigError(f"{where}: field 'tags' must be a list of text")
    return Feed(
        name=name,
        url=url,
        outlet=entry.get("outlet"),
        country=country,
        language=language,
        state_backed=entry.get("state_backed"),
        tags=tuple(tags),
        enabled=entry.get("enabled", True) is not False,
    )
