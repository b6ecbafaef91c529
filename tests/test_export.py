from __future__ import annotations

import csv
import io
import json

import pytest

from narratives.export import safe_cell, write_rows


@pytest.mark.parametrize("value", ["=1+1", "+33", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starts_are_neutralised(value: str) -> None:
    assert safe_cell(value) == "'" + value


def test_plain_values_untouched() -> None:
    assert safe_cell("La Paz") == "La Paz" and safe_cell(-3) == -3


def test_csv_quotes_commas_quotes_newlines_and_keeps_utf8() -> None:
    rows = [{"title": 'Gas, "lithium"\nand más', "n": 1}, {"title": "=HYPERLINK()", "n": 2}]
    out = io.StringIO()
    assert write_rows(rows, "csv", out) == 2
    back = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert back[0]["title"] == 'Gas, "lithium"\nand más'
    assert back[1]["title"] == "'=HYPERLINK()"


def test_json_and_jsonl() -> None:
    rows = [{"a": 1}, {"a": 2}]
    out = io.StringIO()
    write_rows(rows, "json", out)
    assert json.loads(out.getvalue()) == rows
    out = io.StringIO()
    write_rows(iter(rows), "jsonl", out)
    assert [json.loads(line) for line in out.getvalue().splitlines()] == rows


def test_markdown_table() -> None:
    out = io.StringIO()
    write_rows([{"actor": "US", "share": 0.5}], "markdown", out)
    assert out.getvalue().splitlines()[0].startswith("| actor")


def test_csv_without_rows_keeps_its_header() -> None:
    out = io.StringIO()
    assert write_rows([], "csv", out, columns=["id", "título"]) == 0
    assert out.getvalue() == "id,título\r\n"
