"""The command line: the only package that imports click.

Each command parses options, makes one call into the library, renders the
result, and turns the library's typed errors into `Error: ...` and an exit
code. Command modules in this package register themselves on `main`.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from .. import __version__
from ..errors import NarrativesError
from ..export import FORMATS, write_rows

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_DB = "narratives.db"


class NarrativesGroup(click.Group):
    """Turns foreseeable errors into one line on stderr and the error's exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NarrativesError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:  # `narratives ... | head`
            sys.stderr.close()
            ctx.exit(0)
        except KeyboardInterrupt:
            click.echo("Interrupted; what was stored so far is kept.", err=True)
            ctx.exit(130)


@click.group(cls=NarrativesGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="narratives")
def main() -> None:
    """Track how news feeds portray the US and China in Latin America.

    \b
    Quick start:
      narratives ingest --feeds feeds.yaml --db narratives.db
      narratives feeds status
      narratives report trends --by week --since 90d
    """


def db_option(f: F) -> F:
    """--db, defaulting to $NARRATIVES_DB, then narratives.db."""
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=lambda: os.environ.get("NARRATIVES_DB", DEFAULT_DB),
        show_default="$NARRATIVES_DB or narratives.db",
        help="SQLite database file.",
    )(f)


def output_options(formats: Sequence[str] = FORMATS, default: str = "table") -> Callable[[F], F]:
    """--format and -o/--output, shared by every command that prints rows."""

    def decorator(f: F) -> F:
        f = click.option(
            "-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
            help="Write to this file instead of standard output.",
        )(f)
        f = click.option(
            "--format", "fmt", type=click.Choice(list(formats)), default=default,
            show_default=True, help="Output format.",
        )(f)
        return f

    return decorator


def emit_rows(
    rows: Iterable[Mapping[str, Any]],
    fmt: str,
    output: Path | None,
    *,
    columns: Sequence[str] | None = None,
    empty_message: str = "No rows.",
) -> int:
    """Render rows to a file or stdout; say so plainly when there are none."""
    if output is not None:
        try:
            with output.open("w", encoding="utf-8", newline="") as fh:
                n = write_rows(rows, fmt, fh, columns=columns)
        except OSError as exc:
            raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None
        click.echo(f"Wrote {n} rows to {output}", err=True)
        return n
    out = sys.stdout
    n = write_rows(rows, fmt, out, columns=columns)
    if n == 0 and fmt in ("table", "markdown"):
        click.echo(empty_message, err=True)
    return n


def _load_commands() -> None:
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


_load_commands()
