"""Every feed in ../shared/fixtures/feeds goes through the parser without an unhandled
exception; the real-world feeds yield their items, also through a full ingest."""

from __future__ import annotations

from pathlib import Path

from narratives.config import load_feeds
from narratives.errors import ParseError
from narratives.parse import parse_feed
from narratives.pipeline import ingest
from narratives.records import Feed
from narratives.store import Store

from .conftest import require_shared, write_feeds_yaml

FEED = Feed(name="fixture", url="file:///fixture")


def test_every_fixture_parses_or_fails_cleanly() -> None:
    root = require_shared()
    files = [p for p in sorted(root.rglob("*")) if p.is_file() and p.suffix in (".xml", ".json")]
    assert len(files) > 2000
    parsed = rejected = 0
    for path in files:
        try:
            parse_feed(path.read_bytes(), FEED)
            parsed += 1
        except ParseError:
            rejected += 1
    # The corpus is mostly well-formed: the large majority must parse.
    assert parsed > 0.9 * len(files), (parsed, rejected)


def test_real_world_feeds_yield_items() -> None:
    root = require_shared() / "real-world"
    for path in sorted(root.iterdir()):
        if path.suffix not in (".xml", ".json"):
            continue
        articles = parse_feed(path.read_bytes(), FEED)
        assert articles, f"{path.name} yielded no items"
        assert all(a.title or a.text for a in articles)


def test_encodings_are_decoded_not_dropped() -> None:
    root = require_shared() / "real-world"
    arts = parse_feed((root / "oren-ru-news-windows1251.xml").read_bytes(), FEED)
    assert any(any("\u0400" <= ch <= "\u04ff" for ch in a.title) for a in arts)
    arts = parse_feed((root / "qq-news-china-gb2312.xml").read_bytes(), FEED)
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in a.title) for a in arts)


def test_full_ingest_of_real_world_folder(tmp_path: Path) -> None:
    root = require_shared() / "real-world"
    paths = sorted(p for p in root.iterdir() if p.suffix in (".xml", ".json"))
    cfg = load_feeds(write_feeds_yaml(
        tmp_path / "f.yaml", [{"name": p.stem, "url": str(p)} for p in paths],
        settings={"host_delay": 0.001}))
    with Store(tmp_path / "n.db") as store:
        first = ingest(cfg, store)
        assert first.feeds_failed == 0 and first.new > 500
        again = ingest(cfg, store)
        assert again.new == 0 and store.db["articles"].count == first.new


def test_real_world_labels_point_at_items_that_exist() -> None:
    """bench/real_world_eval.py reads its texts from ../shared by key: every labelled
    key must still parse to an item, or the figures it prints would silently shrink."""
    import json

    from narratives.themes import theme_names

    folder = require_shared() / "real-world"
    labels = Path(__file__).resolve().parent.parent / "models" / "corpus" / \
        "real-world-labels.jsonl"
    rows = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 500
    keys: set[str] = set()
    for name in sorted({r["key"].split("#", 1)[0] for r in rows}):
        feed = Feed(name=name.rsplit(".", 1)[0], url=f"file://{folder / name}")
        keys.update(f"{name}#{a.id}" for a in parse_feed((folder / name).read_bytes(), feed))
    assert [r["key"] for r in rows if r["key"] not in keys] == []
    valid = set(theme_names())
    assert all(set(r["themes"]) <= valid for r in rows)
    for r in rows:
        for actor, j in r.get("actors", {}).items():
            assert actor in ("US", "China")
            assert j["present"] in (True, False)
            if j["present"]:
                assert j["tone"] in ("negative", "neutral", "positive")
                assert j["frame"] in ("partner", "rival", "threat", "none")
