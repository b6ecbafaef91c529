"""Build a synthetic narratives database of N analysed articles, without the NLP.

Rows follow the real schema (created by narratives.store), with skewed, seeded
distributions of actors, themes, tone, frames, outlets and countries, so the
reports can be timed at scale.

    python bench/synthetic_db.py --articles 1000000 --db /tmp/big.db
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from narratives.reports import theme_names
from narratives.store import Store, period_keys

OUTLETS = [("xinhua-es", "Xinhua", "CN", 1, "es"), ("cgtn-en", "CGTN", "CN", 1, "en"),
           ("voa-es", "VOA Noticias", "US", 1, "es"),
           ("state-dept", "US State Dept", "US", 1, "en"),
           ("los-tiempos", "Los Tiempos", "BO", 0, "es"), ("el-deber", "El Deber", "BO", 0, "es"),
           ("mercopress", "MercoPress", "UY", 0, "en"), ("infobae", "Infobae", "AR", 0, "es"),
           ("bbc-mundo", "BBC Mundo", "GB", 1, "es"), ("aq", "Americas Quarterly", "US", 0, "en")]
COUNTRIES = [("BO", "Bolivia"), ("PE", "Peru"), ("CL", "Chile"), ("AR", "Argentina"),
             ("BR", "Brazil"), ("EC", "Ecuador"), ("CN", "China"), ("US", "United States")]
ENTITIES = {"US": ["State Department", "USAID", "Washington", "SOUTHCOM", "DEA", "Biden"],
            "China": ["Beijing", "CATL", "Xi Jinping", "Huawei", "China Development Bank",
                      "Sinohydro"]}
FRAMES = ["partner", "rival", "threat", "none"]
CHUNK = 20_000


def build(n: int, db_path: Path, seed: int = 7) -> None:
    rng = random.Random(seed)
    themes = theme_names()
    if db_path.exists():
        sys.exit(f"{db_path} exists; remove it first")
    store = Store(db_path)
    db = store.db
    with db.atomic():
        for name, outlet, country, backed, lang in OUTLETS:
            db.execute("INSERT INTO feeds (name, url, outlet, country, language, state_backed) "
                       "VALUES (?,?,?,?,?,?)",
                       [name, f"https://{name}.example/rss", outlet, country, lang, backed])
        bits = store.theme_bits(themes)
    start = date(2024, 1, 1)
    span = 730
    for lo in range(0, n, CHUNK):
        arts, facts, actors, trows, ents, ctry = [], [], [], [], [], []
        for i in range(lo, min(n, lo + CHUNK)):
            aid = hashlib.sha1(str(i).encode()).hexdigest()[:24]
            feed, _, _, _, lang = OUTLETS[rng.randrange(len(OUTLETS))]
            d = start + timedelta(days=int(rng.triangular(0, span, span)))
            pub = d.isoformat() + "T12:00:00Z"
            day, week, month = period_keys(pub)
            arts.append((aid, feed, f"https://{feed}.example/{i}", f"https://{feed}.example/{i}",
                         f"Story {i}", "synthetic", pub, "published", day, week, month, pub,
                         pub, "h", "h"))
            us, cn = rng.random() < 0.45, rng.random() < 0.55
            mask = 0
            for t in rng.sample(themes, rng.choice([1, 1, 2, 2, 3])):
                mask |= 1 << bits[t]
                trows.append((aid, t, round(rng.uniform(0.5, 1), 3), 1, "synthetic"))
            tone = {}
            for actor, present in (("US", us), ("China", cn)):
                if not present:
                    continue
                tv = round(rng.uniform(-1, 1), 3)
                fr = rng.choice(FRAMES)
                tone[actor] = (tv, fr)
                label = "positive" if tv > 0.2 else "negative" if tv < -0.2 else "neutral"
                actors.append((aid, actor, rng.randint(1, 6), "[]", "[]", tv, label, fr, 0.7,
                               "[]", "synthetic", "synthetic"))
                for text in rng.sample(ENTITIES[actor], 2):
                    ents.append((aid, text, "ORG", rng.randint(1, 3), actor, "government", "[]"))
            code, cname = COUNTRIES[min(int(rng.expovariate(0.6)), len(COUNTRIES) - 1)]
            ctry.append((aid, code, cname, rng.randint(1, 5), 0.8, 1, "synthetic", int(us),
                         int(cn), tone.get("US", (None,))[0], tone.get("China", (None,))[0]))
            facts.append((aid, day, week, month, feed, lang, 1, int(us), int(cn),
                          tone.get("US", (None,))[0], tone.get("China", (None,))[0],
                          tone.get("US", (None, None))[1], tone.get("China", (None, None))[1],
                          mask, f",{code},"))
        with db.atomic():
            c = db.conn
            c.executemany("INSERT INTO articles (id, feed, url, canonical_url, title, text, "
                          "published, published_source, day, week, month, first_seen, "
                          "updated_at, content_hash, analyzed_hash) "
                          "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", arts)
            c.executemany("INSERT INTO article_facts (article_id, day, week, month, feed, "
                          "language, analyzed, us, china, us_tone, china_tone, us_frame, "
                          "china_frame, themes, countries) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                          facts)
            c.executemany("INSERT INTO article_actors VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", actors)
            c.executemany("INSERT INTO article_themes VALUES (?,?,?,?,?)", trows)
            c.executemany("INSERT INTO entities VALUES (?,?,?,?,?,?,?)", ents)
            c.executemany("INSERT INTO article_countries VALUES (?,?,?,?,?,?,?,?,?,?,?)", ctry)
    db.execute("ANALYZE")
    store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, required=True)
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    t = time.perf_counter()
    build(args.articles, args.db, args.seed)
    print(json.dumps({"articles": args.articles, "db": str(args.db),
                      "seconds": round(time.perf_counter() - t, 1),
                      "mb": round(args.db.stat().st_size / 1e6, 1)}))


if __name__ == "__main__":
    main()
