"""`narratives label export|import`: analysts correct the theme model in a spreadsheet."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import InputError
from ..store import Store
from . import dash_is_stdout, db_option, emit_rows, main

TEXT_CHARS = 1500
#: The columns of `label export`: a file with no rows still has its header.
LABEL_COLUMNS = ["article_id", "themes", "least_sure_theme", "score", "threshold", "published",
                 "feed", "title", "url", "text"]


@main.group()
def label() -> None:
    """Export the articles the theme model is least sure of; import corrected labels."""


@label.command("export")
@db_option
@click.option("--uncertain", "n", type=click.IntRange(min=1, max=1_000_000), default=100,
              show_default=True,
              help="How many articles, least sure first.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              required=True, callback=dash_is_stdout,
              help="CSV file to write (opens in any spreadsheet: it starts with a UTF-8 byte "
                   "order mark); - for standard output.")
def label_export(db_path: Path, n: int, output: Path) -> None:
    """Write the stored articles the model is least sure of, with its current guesses.

    Correct the `themes` column (theme names separated by `;`, empty for none of
    them), then run `narratives label import FILE` and `narratives train`.

    \b
    Example:
      narratives label export --uncertain 200 -o to-label.csv
    """
    from ..analyze import analysed_text
    from ..labels import SEPARATOR, rank_uncertain
    from ..themes import ThemeModel, embedded

    model = ThemeModel.load()
    with Store(db_path, readonly=True) as store:
        scores = store.theme_scores()
        # the articles the model cuts at its TF-IDF thresholds (Spanish ones), judged
        # from their text as at analysis time (pipeline.Engine)
        ids, text_only = list(scores), set()
        for start in range(0, len(ids), 500):
            chunk = store.articles_by_id(ids[start:start + 500])
            texts = [f"{a['title']}\n{analysed_text(a['text'] or '')}" if a["title"]
                     else analysed_text(a["text"] or "") for a in chunk.values()]
            text_only.update(aid for aid, reads in zip(chunk, embedded(texts), strict=True)
                             if not reads)
        ranked = rank_uncertain(scores, model.thresholds, n,
                                text_thresholds=model.text_thresholds, text_only=text_only)
        articles = store.articles_by_id([u.article_id for u in ranked])
    rows = []
    for u in ranked:
        art = articles[u.article_id]
        cut = model.text_thresholds if u.article_id in text_only else model.thresholds
        guesses = [t for t, s in sorted(scores[u.article_id].items()) if s >= cut.get(t, 1.0)]
        rows.append({
            "article_id": u.article_id, "themes": SEPARATOR.join(guesses),
            "least_sure_theme": u.theme, "score": round(u.score, 3),
            "threshold": round(u.threshold, 3), "published": art["published"],
            "feed": art["feed"], "title": art["title"], "url": art["url"],
            "text": art["text"][:TEXT_CHARS],
        })
    emit_rows(rows, "csv", output, columns=LABEL_COLUMNS)
    if not rows:
        click.echo("No analysed articles with theme scores yet: run `narratives ingest`.",
                   err=True)


@label.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@db_option
def label_import(csv_file: Path, db_path: Path) -> None:
    """Store corrected theme labels from a CSV (all rows or none).

    The file needs the columns `article_id` and `themes`; other columns are
    ignored. Every row is imported as the analyst's judgement, including rows left
    as the model guessed them: delete the rows you did not check. The next
    `narratives train` learns from these labels.

    \b
    Example:
      narratives label import to-label.csv
    """
    from ..labels import read_labels_csv
    from ..themes import theme_names

    labels = read_labels_csv(csv_file, theme_names())
    if not labels:
        raise InputError(f"{csv_file}: no labeled rows")
    with Store(db_path, create=False) as store:
        known = store.existing_ids(aid for aid, _ in labels)
        unknown = [aid for aid, _ in labels if aid not in known]
        if unknown:
            raise InputError(
                f"{csv_file}: {len(unknown)} article_id(s) not in {db_path}, e.g. "
                f"{', '.join(unknown[:3])}; nothing was imported"
            )
        n = store.save_labels(labels, source=str(csv_file))
    click.echo(f"imported {n} labels; run `narratives train` to learn from them")
