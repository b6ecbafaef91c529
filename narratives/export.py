"""Writing rows as CSV, JSON, JSON Lines, Markdown or an aligned table.

CSV is written to be safe in a spreadsheet: a cell that a spreadsheet would
read as a formula is prefixed with a single quote (the OWASP advice).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

from tabulate import tabulate

FORMATS = ("table", "csv", "json", "jsonl", "markdown")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Neutralise a value a spreadsheet would treat as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def write_rows(
    rows: Iterable[Mapping[str, Any]],
    fmt: str,
    out: TextIO,
    *,
    columns: Sequence[str] | None = None,
) -> int:
    """Write rows in `fmt`; returns how many were written. Streams csv and jsonl."""
    count = 0
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(dict(row), ensure_ascii=False, default=str) + "\n")
            count += 1
        return count
    if fmt == "csv":
        writer: csv.DictWriter[str] | None = None
        for row in rows:
            if writer is None:
                writer = csv.DictWriter(
                    out, fieldnames=list(columns or row.keys()), extrasaction="ignore",
                    lineterminator="\r\n",
                )
                writer.writeheader()
            writer.writerow({k: safe_cell(_plain(v)) for k, v in row.items()})
            count += 1
        if writer is None and columns:
            csv.writer(out, lineterminator="\r\n").writerow(columns)
        return count
    materialised = [dict(r) for r in rows]
    if fmt == "json":
        json.dump(materialised, out, ensure_ascii=False, indent=2, default=str)
        out.write("\n")
        return len(materialised)
    if fmt in ("table", "markdown"):
        if not materialised:
            return 0
        headers = list(columns or materialised[0].keys())
        body = [[_plain(r.get(h)) for h in headers] for r in materialised]
        out.write(
            tabulate(body, headers=headers, tablefmt="github" if fmt == "markdown" else "simple",
                     floatfmt=".3g", disable_numparse=False)
        )
        out.write("\n")
        return len(materialised)
    raise ValueError(f"unknown format {fmt!r}")
