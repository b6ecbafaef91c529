"""Ingestion throughput, peak memory, and the cost of a re-run on unchanged feeds.

Serves a generated feed set over a real HTTP server on 127.0.0.1 and runs the
ingest (fetch, parse, store; analysis off: it has its own bench) in child
processes so each figure has its own peak memory. Prints figures; asserts
nothing.

    python bench/ingest_bench.py                 # 200 feeds x 100 items
    python bench/ingest_bench.py --feeds 50 --items 50 --sizes 25,50,100
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

WORDS = ("lithium gas loan Bolivia China United States port railway election vaccine "
         "scholarship satellite police tariff copper river forest bank embassy minister "
         "contract highway grid solar mine export import debt democracy").split()


def make_feed(feed: int, items: int) -> bytes:
    out = ["<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
           f"<title>Bench feed {feed}</title><link>https://bench{feed}.example/</link>"
           "<description>bench</description>"]
    for i in range(items):
        words = " ".join(WORDS[(feed * 7 + i * 3 + k) % len(WORDS)] for k in range(120))
        out.append(
            f"<item><title>Story {feed}-{i} about {WORDS[i % len(WORDS)]}</title>"
            f"<link>https://bench{feed}.example/news/{i}?utm_source=rss</link>"
            f"<pubDate>Tue, {1 + i % 28:02d} Sep 2026 10:00:00 GMT</pubDate>"
            f"<description><![CDATA[<p>{words}.</p><p>{words[:300]}</p>]]></description></item>"
        )
    out.append("</channel></rss>")
    return "".join(out).encode()


def serve(root: Path, honour_validators: dict) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            body = (root / self.path.lstrip("/")).read_bytes()
            etag = '"' + hashlib.md5(body).hexdigest() + '"'
            if honour_validators["on"] and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


CHILD = """
import json, resource, sys, time
from narratives.config import load_feeds
from narratives.pipeline import ingest
from narratives.store import Store
cfg = load_feeds(sys.argv[1])
t = time.perf_counter()
with Store(sys.argv[2]) as store:
    s = ingest(cfg, store)
print(json.dumps({"seconds": time.perf_counter() - t, "new": s.new, "unchanged": s.unchanged,
                  "not_modified": sum(r.not_modified for r in s.results),
                  "failed": s.feeds_failed,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(feeds_yaml: Path, db: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(feeds_yaml), str(db)],
                         capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"ingest child failed:\n{out.stderr}")
    return json.loads(out.stdout)


def feeds_file(tmp: Path, base: str, n: int) -> Path:
    # One host name per feed, as in real life; all resolve to this machine.
    feeds = [{"name": f"f{i}", "url": f"{base}/feed{i}.xml"} for i in range(n)]
    path = tmp / f"feeds-{n}.yaml"
    path.write_text(yaml.safe_dump({"feeds": feeds, "settings": {"host_delay": 0.0,
                                                                  "concurrency": 4}}))
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--items", type=int, default=100)
    ap.add_argument("--sizes", default="50,100,200,400", help="feed counts for the memory check")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for i in range(max([args.feeds, *sizes])):
            (tmp / f"feed{i}.xml").write_bytes(make_feed(i, args.items))
        validators = {"on": True}
        httpd = serve(tmp, validators)
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        cfg = feeds_file(tmp, base, args.feeds)
        total = args.feeds * args.items
        first = run(cfg, tmp / "a.db")
        conditional = run(cfg, tmp / "a.db")
        validators["on"] = False
        unconditional = run(cfg, tmp / "a.db")
        print(f"feed set: {args.feeds} feeds x {args.items} items = {total:,} articles "
              f"({sum(p.stat().st_size for p in tmp.glob('feed*.xml')) / 1e6:.1f} MB of XML)")
        print(f"first run:    {first['seconds']:.2f} s, {first['new']:,} new, "
              f"{first['new'] / first['seconds']:,.0f} articles/s (fetch+parse+store), "
              f"peak {first['peak_mb']:.0f} MB")
        print(f"re-run, 304s: {conditional['seconds']:.2f} s "
              f"({conditional['not_modified']} feeds not modified) = "
              f"{conditional['seconds'] / first['seconds']:.1%} of the first run (target < 5%)")
        print(f"re-run, server ignores validators: {unconditional['seconds']:.2f} s, "
              f"{unconditional['unchanged']:,} unchanged = "
              f"{unconditional['seconds'] / first['seconds']:.1%} of the first run")
        print("peak memory by number of feeds (same items per feed):")
        for n in sizes:
            r = run(feeds_file(tmp, base, n), tmp / f"m{n}.db")
            print(f"  {n:5d} feeds: {r['peak_mb']:6.0f} MB peak, {r['seconds']:.2f} s")
        httpd.shutdown()
    print(f"(parent peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
