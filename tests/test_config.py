from __future__ import annotations

from pathlib import Path

import pytest

from narratives.config import load_feeds
from narratives.errors import ConfigError

from .conftest import ROOT, write_feeds_yaml

GOOD = {"name": "a", "url": "https://example.org/feed.xml", "outlet": "A", "country": "BO",
        "language": "es", "state_backed": False, "tags": ["bolivia"], "enabled": True}


def test_valid_file_loads_with_metadata(tmp_path: Path) -> None:
    cfg = load_feeds(write_feeds_yaml(tmp_path / "f.yaml", [GOOD, {"name": "b", "url": "b.xml"}]))
    a, b = cfg.feeds
    assert (a.outlet, a.country, a.language, a.state_backed, a.tags) == (
        "A", "BO", "es", False, ("bolivia",))
    # A local path is resolved relative to the feeds file, not the working directory.
    assert b.url == (tmp_path / "b.xml").as_uri()


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"url": "https://x.org/f"}, "feed #2: missing required field 'name'"),
        ({"name": "b"}, "feed 'b': missing required field 'url'"),
        ({"name": "b", "url": "https://x.org/f", "colour": "red"},
         "feed 'b': unknown field 'colour'"),
        ({"name": "a", "url": "https://x.org/f"}, "feed 'a': duplicate name 'a'"),
        ({"name": "b", "url": "ftp://x.org/f"}, "feed 'b': field 'url' has scheme 'ftp'"),
        ({"name": "b", "url": "http://[::1"}, "feed 'b': field 'url' is not a valid URL"),
        ({"name": "b", "url": "https://[zz]/x"}, "feed 'b': field 'url' is not a valid URL"),
        ({"name": "b", "url": "http://x.org:abc/f"}, "feed 'b': field 'url' is not a valid URL"),
        ({"name": "b", "url": "http://:80/f"}, "feed 'b': field 'url' has no host"),
        ({"name": "b", "url": "https://x.org/f", "state_backed": "yes"},
         "feed 'b': field 'state_backed' must be true/false"),
        ({"name": "b", "url": "https://x.org/f", "tags": "latam"},
         "feed 'b': field 'tags' must be a list"),
        ({"name": "b", "url": "https://x.org/f", "country": "Bolivia"},
         "feed 'b': field 'country' must be an ISO 3166-1 alpha-2 code"),
        ({"name": " b", "url": "https://x.org/f"},
         "feed #2: field 'name' ' b' starts or ends with whitespace; remove it"),
        ({"name": "b\t", "url": "https://x.org/f"},
         "feed #2: field 'name' 'b\\t' starts or ends with whitespace; remove it"),
        ({"name": "b\nc", "url": "https://x.org/f"},
         "feed #2: field 'name' 'b\\nc' contains a control character or line break; "
         "use one line of plain text"),
        ({"name": "b\x07c", "url": "https://x.org/f"},
         "feed #2: field 'name' 'b\\x07c' contains a control character or line break"),
        ({"name": "b\u2028c", "url": "https://x.org/f"},
         "feed #2: field 'name' 'b\\u2028c' contains a control character or line break"),
        ({"name": "b", "url": "https://example.org/feed.xml"},
         "feed 'b': same URL as feed 'a': 'https://example.org/feed.xml'; "
         "each feed needs its own URL, remove one of them"),
        ({"name": "b", "url": "HTTPS://Example.ORG/feed.xml"},
         "feed 'b': same URL as feed 'a': 'HTTPS://Example.ORG/feed.xml'"),
    ],
)
def test_invalid_entries_name_file_feed_and_field(
    tmp_path: Path, entry: dict, message: str
) -> None:
    path = write_feeds_yaml(tmp_path / "f.yaml", [GOOD, entry])
    with pytest.raises(ConfigError) as err:
        load_feeds(path)
    assert str(err.value).startswith(f"{path}: {message}")
    assert "\n" not in str(err.value)


def test_feed_names_may_have_inner_spaces(tmp_path: Path) -> None:
    cfg = load_feeds(write_feeds_yaml(tmp_path / "f.yaml", [{**GOOD, "name": "El Deber"}]))
    assert [f.name for f in cfg.select(["El Deber"])] == ["El Deber"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://Example.org", "https://example.org/"),  # host case, empty path
        ("feed.xml", "./sub/../feed.xml"),  # local paths resolve to one file
        ("feed.xml", "FILE://{dir}/feed.xml"),
    ],
)
def test_same_url_written_differently_is_refused(
    tmp_path: Path, first: str, second: str
) -> None:
    path = write_feeds_yaml(tmp_path / "f.yaml", [
        {"name": "a", "url": first},
        {"name": "b", "url": second.format(dir=tmp_path.resolve())},
    ])
    with pytest.raises(ConfigError) as err:
        load_feeds(path)
    assert str(err.value).startswith(f"{path}: feed 'b': same URL as feed 'a': ")
    assert "\n" not in str(err.value)


def test_urls_differing_in_path_or_query_are_distinct_feeds(tmp_path: Path) -> None:
    urls = ["https://x.org/?feed=rss2", "https://x.org/?feed=atom", "https://x.org/Feed",
            "https://x.org/feed", "https://x.org/feed/", "http://x.org/feed"]
    feeds = [{"name": f"f{i}", "url": u} for i, u in enumerate(urls)]
    cfg = load_feeds(write_feeds_yaml(tmp_path / "f.yaml", feeds))
    assert [f.url for f in cfg.feeds] == urls


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("feeds:\n  - name: a\n    url: https://x.org/a\n    url: https://x.org/b\n",
         "line 4: feed 'a': duplicate key 'url' (first given on line 3); keep only one"),
        # The feed is named even when the repeated key comes before `name:`.
        ("feeds:\n  - url: https://x.org/a\n    url: https://x.org/b\n    name: a\n",
         "line 3: feed 'a': duplicate key 'url' (first given on line 2); keep only one"),
        ("settings:\n  concurrency: 2\nfeeds:\n  - {name: a, url: a.xml}\n"
         "settings:\n  concurrency: 8\n",
         "line 5: duplicate key 'settings' (first given on line 1); keep only one"),
        ("feeds:\n  - {name: a, url: a.xml}\nfeeds:\n  - {name: b, url: b.xml}\n",
         "line 3: duplicate key 'feeds' (first given on line 1); keep only one"),
        ("settings:\n  concurrency: 2\n  concurrency: 8\nfeeds:\n  - {name: a, url: a.xml}\n",
         "line 3: duplicate key 'concurrency' (first given on line 2); keep only one"),
    ],
)
def test_duplicate_yaml_key_names_its_line(tmp_path: Path, text: str, message: str) -> None:
    # PyYAML's safe_load keeps the last value silently; a repeated key is a mistake.
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_feeds(path)
    assert str(err.value) == f"{path}: {message}"


def test_yaml_merge_key_may_be_overridden(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(
        "feeds:\n"
        "  - &bo {name: a, url: a.xml, country: BO, language: es}\n"
        "  - <<: *bo\n"
        "    name: b\n"
        "    url: b.xml\n",
        encoding="utf-8",
    )
    a, b = load_feeds(path).feeds
    assert (b.name, b.country, b.language) == ("b", "BO", "es")
    assert b.url == (tmp_path / "b.xml").as_uri() != a.url


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("feeds:\n  - name: a\n    url: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"f\.yaml: line \d+"):
        load_feeds(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_feeds(tmp_path / "nope.yaml")


def test_unknown_setting_rejected(tmp_path: Path) -> None:
    path = write_feeds_yaml(tmp_path / "f.yaml", [GOOD], settings={"max_byte": 10})
    with pytest.raises(ConfigError, match="settings: unknown key 'max_byte'"):
        load_feeds(path)


def test_select_unknown_name_lists_known(tmp_path: Path) -> None:
    cfg = load_feeds(write_feeds_yaml(tmp_path / "f.yaml", [GOOD]))
    with pytest.raises(ConfigError, match="no feed or outlet named 'zzz'; known feeds: a"):
        cfg.select(["zzz"])


def test_select_by_name_or_outlet_ignoring_case(tmp_path: Path) -> None:
    feeds = [{"name": "el-deber", "url": "https://a.example/rss", "outlet": "El Deber"},
             {"name": "dialogue-en", "url": "https://b.example/en", "outlet": "Dialogue Earth"},
             {"name": "dialogue-es", "url": "https://b.example/es", "outlet": "Dialogue Earth",
              "enabled": False}]
    cfg = load_feeds(write_feeds_yaml(tmp_path / "f.yaml", feeds))
    assert [f.name for f in cfg.select(["El-Deber"])] == ["el-deber"]
    assert [f.name for f in cfg.select(["el deber"])] == ["el-deber"]  # the outlet
    assert [f.name for f in cfg.select(["dialogue earth", "dialogue-en"])] == [
        "dialogue-en", "dialogue-es"]


def test_shipped_feed_lists_are_valid() -> None:
    cfg = load_feeds(ROOT / "feeds.yaml")
    enabled = [f for f in cfg.feeds if f.enabled]
    assert len(enabled) >= 25
    assert all(f.outlet and f.country and f.language and f.state_backed is not None
               for f in cfg.feeds)
    assert {"es", "en"} <= {f.language for f in enabled}
    demo = load_feeds(ROOT / "narratives" / "data" / "samples" / "demo-feeds.yaml")
    assert len(demo.feeds) >= 4
    assert all(f.url.startswith("file://") for f in demo.feeds)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("feeds:\n\t- name: a\n\t  url: https://x.org/a\n",
         "line 2, column 1: the file uses a tab here; YAML needs spaces, "
         "replace the tab with spaces"),
        ("feeds:\n  - name: a\n    url:\thttps://x.org/a\n",
         "line 3, column 9: the file uses a tab here; YAML needs spaces, "
         "replace the tab with spaces"),
        ("feeds:\n  - name: a\n    url: https://x.org/a\n  - name: b\n   url: https://x.org/b\n",
         "line 5, column 4: check the indentation of line 5 against the lines above "
         "(YAML: expected block end, found 'block mapping start')"),
        ("feeds:\n  - name: a\n    url: https://x.org/a\n   - name: b\n",
         "line 4, column 4: check the indentation of line 4 against the lines above "
         "(YAML: expected block end, found 'block sequence start')"),
        ("feeds:\n  - name: a\n    url: https://x.org/a\n      outlet: x\n",
         "line 4, column 13: unexpected ':'; check the indentation of line 4 against the "
         "lines above, and put quotes around a value that contains ': '"),
        ("feeds:\n  - name: a\n    url https://x.org/a\n",
         "line 3: expected 'key: value' (a ':' is missing)"),
        ("feeds:\n  - name: \"a\n    url: https://x.org/a\n",
         "line 2: a quote opened on this line is never closed"),
        ("feeds:\n  - name: a\x07\n    url: https://x.org/a\n",
         "line 2: the invisible character U+0007 is not allowed; remove it"),
        ("feeds:\n  - name: a\n    tags: [x, y\n",
         "line 3: a '[' opened on this line is never closed with ']'"),
    ],
)
def test_yaml_mistakes_say_what_to_fix(tmp_path: Path, text: str, message: str) -> None:
    # PyYAML's own wording ("found character '\t' that cannot start any token",
    # "expected <block end>, but found '<block mapping start>'") tells an analyst nothing.
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_feeds(path)
    assert str(err.value) == f"{path}: {message}"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("feeds:\n  - name: a\n    url: https://x.org/a\n    outlet: Opinión\n"
         .encode("cp1252"),
         "line 4: the file is not UTF-8 (byte 0xf3; probably saved as Windows-1252 or "
         "Latin-1); save it as UTF-8"),
        ("feeds:\n  - name: a\n    url: https://x.org/a\n".encode("utf-16"),
         "line 1: the file is not UTF-8 (byte 0xff; probably saved as UTF-16); "
         "save it as UTF-8"),
    ],
)
def test_a_file_not_in_utf8_names_the_line_and_the_fix(
    tmp_path: Path, data: bytes, message: str
) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(data)
    with pytest.raises(ConfigError) as err:
        load_feeds(path)
    assert str(err.value) == f"{path}: {message}"


def test_a_utf8_file_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes("feeds:\n  - {name: a, url: https://x.org/a, outlet: Opinión}\n"
                     .encode("utf-8-sig"))
    assert load_feeds(path).feeds[0].outlet == "Opinión"


@pytest.mark.parametrize(
    ("url", "suggested"),
    [
        ("www.example.com/feed", "https://www.example.com/feed"),
        ("example.org/rss", "https://example.org/rss"),
        ("news.example.co.uk", "https://news.example.co.uk"),
        ("www.example.org", "https://www.example.org"),
        ("example.org", "https://example.org"),
        ("example.com:8080/feed", "https://example.com:8080/feed"),
        ("//example.com/feed", "https://example.com/feed"),
        ("192.0.2.1/feed", "https://192.0.2.1/feed"),
    ],
)
def test_a_web_address_without_scheme_is_refused(
    tmp_path: Path, url: str, suggested: str
) -> None:
    # It would pass as a local path beside feeds.yaml and fail later with "file not found".
    path = write_feeds_yaml(tmp_path / "f.yaml", [{"name": "b", "url": url}])
    with pytest.raises(ConfigError) as err:
        load_feeds(path)
    assert str(err.value) == (
        f"{path}: feed 'b': field 'url' {url!r} has no http:// or https:// and no such local "
        f"file exists; if it is a web address write {suggested!r}"
    )


@pytest.mark.parametrize(
    "url", ["samples/feed.xml", "./feed.xml", "../x/feed.xml", "feed.xml", "rss.xml",
            "feeds.atom", "my.feed.v2.xml", "data/www.example.com.xml"],
)
def test_relative_paths_stay_local_files(tmp_path: Path, url: str) -> None:
    (tmp_path / "cfg").mkdir()
    cfg = load_feeds(write_feeds_yaml(tmp_path / "cfg" / "f.yaml", [{"name": "a", "url": url}]))
    assert cfg.feeds[0].url == (tmp_path / "cfg" / url).resolve().as_uri()


def test_a_local_file_named_like_a_host_is_kept(tmp_path: Path) -> None:
    (tmp_path / "example.org").mkdir()
    (tmp_path / "example.org" / "rss").write_text("<rss/>")
    path = write_feeds_yaml(tmp_path / "f.yaml", [{"name": "a", "url": "example.org/rss"}])
    cfg = load_feeds(path)
    assert cfg.feeds[0].url == (tmp_path / "example.org" / "rss").as_uri()


def test_names_differing_only_in_letter_case_are_refused(tmp_path: Path) -> None:
    # `report --source a` matches feed names whatever their case: it would match both.
    path = write_feeds_yaml(tmp_path / "f.yaml", [GOOD, {"name": "A", "url": "https://x.org/f"}])
    with pytest.raises(ConfigError) as err:
        load_feeds(path)
    assert str(err.value) == (
        f"{path}: feed 'A': name 'A' differs from feed 'a' only in letter case; "
        "feed names must differ in more than case, rename one"
    )


def test_a_name_repeated_through_a_yaml_alias_is_a_duplicate(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("feeds:\n  - {name: &n a, url: a.xml}\n  - {name: *n, url: b.xml}\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="feed 'a': duplicate name 'a'; feed names must be"):
        load_feeds(path)
