"""The shipped Datasette metadata matches the schema: every table it describes exists
and every canned query runs against a real, empty narratives database."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from narratives.store import Store

from .conftest import ROOT


def test_metadata_tables_exist_and_queries_run(tmp_path: Path) -> None:
    meta = yaml.safe_load((ROOT / "narratives" / "data" / "datasette.yaml").read_text())
    db = meta["databases"]["narratives"]
    with Store(tmp_path / "narratives.db") as store:
        tables = set(store.db.table_names())
        assert set(db["tables"]) <= tables
        for name, q in db["queries"].items():
            params = {p: "2026-01-01" if p == "since" else "US"
                      for p in re.findall(r":(\w+)", q["sql"])}
            store.db.execute(q["sql"], params).fetchall()
            assert q["title"], name
