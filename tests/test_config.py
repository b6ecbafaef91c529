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
    ],
)
def test_invalid_entries_name_file_feed_and_field(
    tmp_path: Path, entry: dict, message: str
) -> None:
    path = write_feeds_yaml(tmp_path / "f.yaml", [GOOD, entry])
    with pytest.raises(ConfigError) as err:
        load_feeds(path)
    assert str(err.value).startswith(f"{path}: {message}")


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
    with pytest.raises(ConfigError, match="no feed named 'zzz'; known feeds: a"):
        cfg.select(["zzz"])


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
