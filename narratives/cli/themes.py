"""`narratives train` and `narratives evaluate`: the theme classifier."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from . import db_option, emit_rows, main, output_options, writable_folder

METRIC_COLUMNS = ["theme", "threshold", "precision", "recall", "f1", "support"]


def metric_rows(metrics: dict[str, Any], thresholds: dict[str, float]) -> list[dict[str, Any]]:
    """One row per theme, then the micro and macro averages."""
    rows: list[dict[str, Any]] = [
        {"theme": t, "threshold": round(thresholds.get(t, float("nan")), 2), **m}
        for t, m in metrics["per_theme"].items()
    ]
    for avg in ("micro", "macro"):
        rows.append({"theme": avg, "threshold": None, **metrics[avg],
                     "support": metrics["passages"]})
    return rows


@main.command()
@click.option("--corpus", type=click.Path(file_okay=False, exists=True, path_type=Path),
              default=None, help="Folder of labeled JSON Lines passages "
              "[default: models/corpus/themes].")
@db_option
@click.option("--no-labels", is_flag=True, help="Ignore the analysts' labels in the database.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the model and its card [default: models/].")
@click.option("--resplit", is_flag=True,
              help="Draw a new held-out test split (scores become incomparable with older "
                   "models).")
@click.option("--seed", type=int, default=0, show_default=True, help="Random state.")
def train(corpus: Path | None, db_path: Path, no_labels: bool, out_dir: Path | None,
          resplit: bool, seed: int) -> None:
    """Retrain the theme classifier from the corpus plus analysts' labels.

    Analysts' labels (from `narratives label import`) are read from the database
    when it exists, and always used for training, never for testing. Writes
    models/themes-<version>.skops with its card (.json and .md): thresholds and
    per-theme precision, recall and F1 on the fixed test split. Run
    `narratives reprocess` afterwards to re-tag stored articles.

    \b
    Example:
      narratives train --db narratives.db
    """
    from .. import themes

    out_dir = writable_folder(out_dir or themes.MODELS, "--out")
    labels: list[dict[str, Any]] = []
    if not no_labels and db_path.exists():
        from ..store import Store

        with Store(db_path, readonly=True) as store:
            labels = store.labeled_texts()
    model = themes.train(corpus or themes.CORPUS_DIR, labels=labels,
                         out_dir=out_dir, random_state=seed, resplit=resplit)
    card = model.card
    td = card["training_data"]
    click.echo(f"trained {model.version} on {td['train']} passages and {td['analyst_labels']} "
               f"analysts' labels; tested on {td['test']} held-out passages")
    emit_rows(metric_rows(card["test"], model.thresholds), "table", None,
              columns=METRIC_COLUMNS)
    click.echo(f"wrote {card['model_file']['name']} ({card['model_file']['bytes']:,} bytes) "
               "and its card; run `narratives reprocess` to re-tag stored articles")


@main.command()
@click.option("--input", "input_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Labeled JSON Lines (text, themes) [default: the corpus's "
              "held-out test split].")
@click.option("--model", "model_path", type=click.Path(path_type=Path), default=None,
              help="A .skops model file or a folder of them [default: newest in models/].")
@output_options()
def evaluate(input_file: Path | None, model_path: Path | None, fmt: str,
             output: Path | None) -> None:
    """Per-theme precision, recall and F1, with micro and macro averages.

    \b
    Example:
      narratives evaluate
      narratives evaluate --input my-labeled.jsonl --format csv -o scores.csv
    """
    from .. import themes

    model = themes.ThemeModel.load(model_path)
    if input_file is None:
        rows = themes.held_out_rows()
        what = "the held-out test split"
    else:
        rows = themes.read_labeled(input_file, themes=model.themes)
        what = str(input_file)
    metrics = themes.evaluate(model, rows)
    click.echo(f"{model.version} on {what} ({metrics['passages']} passages)", err=True)
    emit_rows(metric_rows(metrics, model.thresholds), fmt, output, columns=METRIC_COLUMNS)
