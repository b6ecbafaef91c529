"""The command line: the only package that imports click.

Each command parses options, makes one call into the library, renders the
result, and turns the library's typed errors into `Error: ...` and an exit
code. Command modules in this package register themselves on `main`.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pkgutil
import sqlite3
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from .. import MODELS, __version__
from ..errors import NarrativesError, UsageError
from ..export import FORMATS, write_rows

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_DB = "narratives.db"


#: Options naming a file a command writes, and options naming files it must not overwrite.
OUTPUT_PARAMS = ("output", "chart")
INPUT_PARAMS = {"db_path": "the database", "feeds_path": "the feed list",
                "input_file": "the input file", "model_path": "the model",
                "csv_file": "the file"}
#: Files that belong to a database besides the database itself.
DB_COMPANIONS = ("-wal", "-shm", "-journal", ".lock")


def check_outputs(params: Mapping[str, Any]) -> None:
    """Refuse an output file that is a file the command reads (the database or one of
    its companion files, the feed list, the input, the model) or an existing file of
    the models folder: writing it would destroy what is stored."""
    protected: dict[Path, str] = {}
    for name, what in INPUT_PARAMS.items():
        path = params.get(name)
        if isinstance(path, Path):
            protected[path.resolve()] = what
            if name == "db_path":
                for suffix in DB_COMPANIONS:
                    protected[Path(f"{path.resolve()}{suffix}")] = "a file of the database"
    for name in OUTPUT_PARAMS:
        path = params.get(name)
        if not isinstance(path, Path):
            continue
        flag = "-o" if name == "output" else f"--{name}"
        target = path.resolve()
        if not target.parent.is_dir():
            raise UsageError(f"{flag}: cannot write {path}: folder {path.parent} does not "
                             "exist; create it or choose another file")
        if target in protected:
            raise UsageError(f"{flag} {path} is {protected[target]} this command reads; "
                             "writing it would destroy it, so choose another file")
        if target.is_file() and _is_sqlite(target):
            raise UsageError(f"{flag} {path} is an SQLite database; writing it would destroy "
                             "it, so choose another file")
        if target.is_file() and target.is_relative_to(MODELS):
            raise UsageError(f"{flag} {path} is a file of the models folder ({MODELS}); "
                             "writing it would destroy it, so choose another file")


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


class OneLineUsageError(click.UsageError):
    """A usage error shown as one line that says what to fix and where the help is
    (click's own shows the usage line, a hint and the error on four lines)."""

    def show(self, file: IO[Any] | None = None) -> None:
        where = f" (see '{self.ctx.command_path} -h')" if self.ctx is not None else ""
        click.echo(f"Error: {self.format_message()}{where}", err=True)


#: Raised when a group is run without a command: click shows the group's help.
_HELP_INSTEAD: tuple[type[click.UsageError], ...] = tuple(
    getattr(click.exceptions, name) for name in ("NoArgsIsHelpError",)
    if hasattr(click.exceptions, name))


def _one_line(exc: click.UsageError) -> click.UsageError:
    if isinstance(exc, (OneLineUsageError, *_HELP_INSTEAD)):
        return exc
    return OneLineUsageError(exc.format_message(), exc.ctx)


class NarrativesCommand(click.Command):
    """A command whose output files are checked before it runs."""

    def invoke(self, ctx: click.Context) -> Any:
        check_outputs(ctx.params)
        if isinstance(ctx.params.get("db_path"), Path):
            ctx.meta["narratives.db"] = ctx.params["db_path"]
        return super().invoke(ctx)


class NarrativesGroup(click.Group):
    """Turns foreseeable errors into one line on stderr and the error's exit code."""

    command_class = NarrativesCommand
    group_class = type  # subgroups are NarrativesGroups too

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            raise _one_line(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:  # a subcommand's options, or an unknown command
            raise _one_line(exc) from None
        except NarrativesError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except sqlite3.DatabaseError as exc:  # raised mid-command by a damaged file
            if ctx.parent is not None:  # the outermost group reports it
                raise
            db = ctx.meta.get("narratives.db", "the database")
            if isinstance(exc, sqlite3.OperationalError):
                click.echo(f"Error: {db}: database error ({exc}); check the disk and that "
                           "no other program is writing the file", err=True)
            else:
                click.echo(f"Error: {db}: the database is damaged ({exc}); restore it from "
                           "a backup", err=True)
            ctx.exit(1)
        except BrokenPipeError:  # `narratives ... | head`
            sys.stderr.close()
            ctx.exit(0)
        except KeyboardInterrupt:
            click.echo("Interrupted; what was stored so far is kept.", err=True)
            ctx.exit(130)


#: What `-o -` means: standard output, as for most command-line tools.
STDOUT = Path("-")


def dash_is_stdout(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """A click callback for -o: `-o -` is standard output (None), not a file named `-`."""
    return None if value == STDOUT else value


@contextlib.contextmanager
def writing(path: Path, *, bom: bool = False) -> Iterator[IO[str]]:
    """A text file written in full or not at all: a temporary file beside `path`,
    renamed over it when the block ends without error, removed otherwise. A symbolic
    link is followed (its target is replaced, not the link), and a path that is not a
    regular file (/dev/stdout, /dev/null, a named pipe) is written directly: renaming
    over it would replace the device with a file.

    `bom` starts a regular file with a UTF-8 byte order mark, which spreadsheets (Excel
    on Windows) need to read a CSV as UTF-8; a device or pipe is read by programs, so
    it gets none, as standard output gets none."""
    if path == STDOUT:  # `-o -`: standard output, left open for the caller
        yield sys.stdout
        return
    try:
        special = path.exists() and not path.is_file()  # both follow symbolic links
        if not special and path.is_symlink():
            path = path.resolve()
    except OSError:
        special = False
    if special:
        try:
            with open(path, "w", encoding="utf-8", newline="") as fh:
                yield fh
        except OSError as exc:
            raise click.ClickException(f"cannot write {path}: {exc.strerror}") from None
        return
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                   dir=path.parent if str(path.parent) else ".")
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
            yield fh
        os.chmod(tmp, 0o666 & ~_umask())  # as an ordinary new file, not mkstemp's 0600
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
    warnings.formatwarning = _one_line_warning


def _one_line_warning(message: Warning | str, category: type[Warning], filename: str,
                      lineno: int, line: str | None = None) -> str:
    """A warning as users read it: one line, without the file and source line."""
    return f"Warning: {message}\n"


def db_option(f: F) -> F:
    """--db, defaulting to $NARRATIVES_DB, then narratives.db."""
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=lambda: os.environ.get("NARRATIVES_DB", "").strip() or DEFAULT_DB,
        show_default="$NARRATIVES_DB or narratives.db",
        help="SQLite database file.",
    )(f)


def output_options(formats: Sequence[str] = FORMATS, default: str = "table") -> Callable[[F], F]:
    """--format and -o/--output, shared by every command that prints rows."""

    def decorator(f: F) -> F:
        f = click.option(
            "-o", "--output", type=click.Path(dir_okay=False, writable=True, allow_dash=True,
                                              path_type=Path),
            callback=dash_is_stdout,
            help="Write to this file instead of standard output (- is standard output). "
                 "A CSV file starts with a UTF-8 byte order mark, for spreadsheets.",
        )(f)
        f = click.option(
            "--format", "fmt", type=click.Choice(list(formats)), default=default,
            show_default=True, help="Output format.",
        )(f)
        return f

    return decorator


def writable_folder(folder: Path, option: str) -> Path:
    """`folder`, created if need be, after checking a file can be written in it: so a
    long job (training) fails at once, with one line, rather than at its end."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise UsageError(f"{option}: cannot write in {folder} ({exc.strerror}); choose a "
                         "folder you can write") from None
    return folder


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def emit_rows(
    rows: Iterable[Mapping[str, Any]],
    fmt: str,
    output: Path | None,
    *,
    columns: Sequence[str] | None = None,
    empty_message: str = "No rows.",
) -> int:
    """Render rows to a file or stdout; say so plainly when there are none.

    Pass `columns` whenever they are known: a CSV with no rows then still has its
    header. A CSV file gets a UTF-8 byte order mark (see `writing`); stdout does not
    (`-o -` reaches here as None, see `dash_is_stdout`)."""
    if output is not None:
        with writing(output, bom=fmt == "csv") as fh:
            n = write_rows(rows, fmt, fh, columns=columns)
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
