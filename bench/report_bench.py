"""Report speed at scale: each report beside the bare SQL aggregate it needs.

Builds (or reuses) synthetic databases with bench/synthetic_db.py, then for each
size times every report (best of --repeat) and, side by side in the same run,
the bare aggregate query answering the same question straight through sqlite3.
Prints the ratio (target: under 2x) and the growth from the smallest to the
largest size (linear growth is the size ratio). Asserts nothing.

    python bench/report_bench.py --sizes 100000,1000000 --dir /tmp/narratives-bench
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from synthetic_db import build  # noqa: E402

from narratives import reports  # noqa: E402
from narratives.store import Store  # noqa: E402


def bare_sql(bits: dict[str, int]) -> dict[str, str]:
    """The plain aggregate each report needs, written directly against the schema."""
    per_theme = "".join(f", SUM(us * ((themes >> {b}) & 1)), SUM(china * ((themes >> {b}) & 1))"
                        for b in bits.values())
    return {
        "trends": "SELECT week, COUNT(*), SUM(us), SUM(china), SUM(us * china), AVG(us_tone), "
                  f"AVG(china_tone) {per_theme} FROM article_facts GROUP BY week",
        "themes": "SELECT themes, us, china, us_frame, china_frame, COUNT(*), SUM(us_tone), "
                  "COUNT(us_tone), SUM(china_tone), COUNT(china_tone) FROM article_facts "
                  "GROUP BY 1, 2, 3, 4, 5",
        "sources": "SELECT fd.outlet, fd.country, fd.state_backed, COUNT(*), SUM(f.us), "
                   "SUM(f.china), AVG(f.us_tone), AVG(f.china_tone) FROM article_facts f "
                   "JOIN feeds fd ON fd.name = f.feed GROUP BY 1, 2, 3",
        "entities": "SELECT actor, text, COUNT(*), SUM(count) FROM entities "
                    "WHERE actor IN ('US', 'China') GROUP BY actor, text",
        "countries": "SELECT code, COUNT(*), SUM(us), SUM(china), AVG(us_tone), "
                     "AVG(china_tone) FROM article_countries WHERE focus = 1 GROUP BY code",
    }


def best(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/narratives-bench"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    sizes = [int(x) for x in args.sizes.split(",")]
    results: dict[int, dict[str, tuple[float, float]]] = {}
    for n in sizes:
        path = args.dir / f"synthetic-{n}.db"
        if not path.exists():
            t = time.perf_counter()
            build(n, path)
            print(f"built {path} ({n:,} articles) in {time.perf_counter() - t:.0f} s")
        with Store(path) as store:
            filters = reports.make_filters(store)
            conn = sqlite3.connect(path)
            sqls = bare_sql(store.theme_bits())
            results[n] = {}
            for name, fn in reports.REPORTS.items():
                report_t = best(lambda fn=fn, f=filters: fn(store, f), args.repeat)
                bare_t = best(lambda s=sqls[name], c=conn: c.execute(s).fetchall(), args.repeat)
                results[n][name] = (report_t, bare_t)
            conn.close()
    print(f"{'articles':>10} {'report':<10} {'report s':>9} {'bare SQL s':>11} {'ratio':>6}")
    for n in sizes:
        for name, (r, b) in results[n].items():
            print(f"{n:>10,} {name:<10} {r:9.3f} {b:11.3f} {r / b:6.2f}")
    if len(sizes) > 1:
        lo, hi = sizes[0], sizes[-1]
        print(f"growth from {lo:,} to {hi:,} articles (linear = {hi / lo:.1f}x):")
        for name in reports.REPORTS:
            print(f"  {name:<10} {results[hi][name][0] / results[lo][name][0]:5.1f}x")


if __name__ == "__main__":
    main()
