"""`narratives report ...`: trends, themes, sources, entities, countries, html."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .. import charts, reports
from ..export import write_rows
from ..reports import Report
from ..store import Store
from . import STDOUT, db_option, main, output_options, writing


def filter_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The filters every report takes."""
    opts = [
        click.option("--since", help="From this date: YYYY-MM-DD or relative (90d, 12w, 6m)."),
        click.option("--until", help="Up to this date, inclusive."),
        click.option("--country", "countries", multiple=True,
                     help="ISO code of a country in focus (repeatable)."),
        click.option("--theme", "themes", multiple=True, help="Theme name (repeatable)."),
        click.option("--actor", "actors", multiple=True, help="US, China, ... (repeatable)."),
        click.option("--source", "sources", multiple=True, help="Feed name or outlet."),
        click.option("--state-backed/--not-state-backed", "state_backed", default=None,
                     help="Only state-backed (or only independent) outlets."),
        click.option("--lang", "languages", multiple=True, help="Article language (en, es)."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


FILTER_KEYS = ("since", "until", "countries", "themes", "actors", "sources", "state_backed",
               "languages")


def _render(report: Report, fmt: str, output: Path | None) -> None:
    """Rows in the chosen format, with what they cover always said."""
    if fmt == "json":
        doc = {"report": report.name, "articles": report.articles,
               "first_day": report.first_day, "last_day": report.last_day,
               "filters": report.filters, "coverage_gaps": report.coverage_gaps,
               "not_analyzed": report.not_analyzed, "rows": report.rows}
        text = json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n"
        if output:
            with writing(output) as fh:
                fh.write(text)
            click.echo(f"{report.header()}\nWrote {len(report.rows)} rows to {output}", err=True)
        else:
            click.echo(text, nl=False)
        return
    if output is not None:
        with writing(output, bom=fmt == "csv") as fh:
            if fmt == "markdown":
                fh.write(report.header().replace("\n", "  \n") + "\n\n")
            n = write_rows(report.rows, fmt, fh, columns=report.columns)
        click.echo(f"{report.header()}\nWrote {n} rows to {output}", err=True)
        return
    header_to_stdout = fmt in ("table", "markdown")
    click.echo(report.header() + ("\n" if header_to_stdout and report.rows else ""),
               err=not header_to_stdout)
    if report.rows or fmt == "csv":  # a CSV with no rows still has its header
        write_rows(report.rows, fmt, sys.stdout, columns=report.columns)


def _run(name: str, db_path: Path, fmt: str, output: Path | None, chart: Path | None,
         raw: dict[str, Any], **kwargs: Any) -> None:
    if chart is not None and chart.suffix.lower() not in charts.SUFFIXES:
        raise click.BadParameter(f"{chart.name!r} must end in .png or .svg", param_hint="--chart")
    with Store(db_path, readonly=True) as store:
        filters = reports.make_filters(store, **{k: raw[k] for k in FILTER_KEYS})
        report = reports.REPORTS[name](store, filters, **kwargs)
    _render(report, fmt, output)
    if chart is not None:
        if not report.rows:
            click.echo("No chart: the report is empty.", err=True)
            return
        if name == "trends":
            fig = charts.trends_figure(report.rows,
                                       title=f"US and China in the news, by {kwargs['by']}")
        else:
            fig = charts.themes_figure(report.rows, title="Themes by actor")
        click.echo(f"Chart written to {charts.save(fig, chart)}", err=True)


def _chart_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--chart", type=click.Path(dir_okay=False, path_type=Path),
                        help="Also draw a chart to FILE.png or FILE.svg.")(f)


@main.group()
def report() -> None:
    """Trend reports on US-versus-China coverage, themes, tone and sources."""


@report.command()
@click.option("--by", type=click.Choice(reports.PERIODS), default="week", show_default=True)
@filter_options
@_chart_option
@db_option
@output_options()
def trends(by: str, chart: Path | None, db_path: Path, fmt: str, output: Path | None,
           **raw: Any) -> None:
    """Coverage of the US and China per period: counts, shares, tone, top themes.

    Periods with no articles appear with zeros.

    \b
    Example:
      narratives report trends --by week --since 90d --country BO --chart trends.png
    """
    _run("trends", db_path, fmt, output, chart, raw, by=by)


@report.command()
@filter_options
@_chart_option
@db_option
@output_options()
def themes(chart: Path | None, db_path: Path, fmt: str, output: Path | None,
           **raw: Any) -> None:
    """One row per theme and actor: articles, share, tone and the mix of frames.

    \b
    Example:
      narratives report themes --since 2026-09-01 --chart themes.png
    """
    _run("themes", db_path, fmt, output, chart, raw)


@report.command()
@filter_options
@db_option
@output_options()
def sources(db_path: Path, fmt: str, output: Path | None, **raw: Any) -> None:
    """Per outlet: how often and in what tone it covers the US and China.

    \b
    Example:
      narratives report sources --state-backed --format csv -o sources.csv
    """
    _run("sources", db_path, fmt, output, None, raw)


@report.command()
@click.option("--top", type=click.IntRange(min=1, max=1_000_000), default=10, show_default=True,
              help="Entities per actor.")
@click.option("--per-theme", is_flag=True, help="Top entities per theme as well as per actor.")
@filter_options
@db_option
@output_options()
def entities(top: int, per_theme: bool, db_path: Path, fmt: str, output: Path | None,
             **raw: Any) -> None:
    """The most mentioned entities of each actor (and of each theme).

    \b
    Example:
      narratives report entities --actor China --theme mining --top 15
    """
    _run("entities", db_path, fmt, output, None, raw, top=top, per_theme=per_theme)


@report.command()
@filter_options
@db_option
@output_options()
def countries(db_path: Path, fmt: str, output: Path | None, **raw: Any) -> None:
    """Coverage per country in focus, with each power's share and tone.

    \b
    Example:
      narratives report countries --since 6m --format markdown
    """
    _run("countries", db_path, fmt, output, None, raw)


@report.command("html")
@click.option("--by", type=click.Choice(reports.PERIODS), default="week", show_default=True)
@filter_options
@db_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              default=Path("report.html"), show_default=True,
              help="File to write; - for standard output.")
def html_report(by: str, db_path: Path, output: Path, **raw: Any) -> None:
    """One self-contained HTML briefing: tables, charts, filters, coverage, model accuracy.

    \b
    Example:
      narratives report html --since 90d --country BO -o briefing.html
    """
    from ..briefing import render

    with Store(db_path, readonly=True) as store:
        filters = reports.make_filters(store, **{k: raw[k] for k in FILTER_KEYS})
        text = render(store, filters, by=by, db_label=str(db_path))
    with writing(output) as fh:  # `-o -`: standard output
        fh.write(text)
    if output != STDOUT:
        click.echo(f"Wrote {output} ({len(text) // 1024} KB)")
