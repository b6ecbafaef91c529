"""`narratives train-tone`: retrain and compare the tone and frame methods."""

from __future__ import annotations

from pathlib import Path

import click

from . import main, writable_folder


@main.command("train-tone")
@click.option("--corpus", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=None, help="Labeled actor-in-passage examples (JSON Lines).")
@click.option("--model", default=None, help="spaCy pipeline used to find actor sentences.")
def train_tone(corpus: Path | None, model: str | None) -> None:
    """Compare the lexicon baseline and the trained tone model; ship the better one.

    Writes models/tone-<version>.skops and its card (models/tone-<version>.json)
    with accuracy and macro-F1 for tone and frame on the fixed test split.
    Run `narratives reprocess` afterwards to re-score stored articles.

    \b
    Example:
      narratives train-tone
    """
    from .. import tone
    from ..analyze import Analyzer

    writable_folder(tone.MODELS, "models")
    card = tone.train(corpus=corpus or tone.CORPUS, analyzer=Analyzer(model=model))
    for method, m in card["comparison"].items():
        click.echo(f"{method:8s} tone: accuracy {m['tone']['accuracy']:.3f}, macro-F1 "
                   f"{m['tone']['macro_f1']:.3f}; frame: accuracy {m['frame']['accuracy']:.3f}, "
                   f"macro-F1 {m['frame']['macro_f1']:.3f}")
    click.echo(f"shipped: {card['shipped']} as {card['version']} "
               f"({card['measured_on']})")
