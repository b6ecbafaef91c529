"""Analysts' theme labels: the CSV they correct, and which articles to ask about.

`narratives label export --uncertain N` ranks stored articles with
`rank_uncertain` (the model is least sure where a score sits near its theme's
threshold) and writes them with the model's guesses; analysts fix the `themes`
column in a spreadsheet; `narratives label import` reads it back with
`read_labels_csv`, which accepts the whole file or nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

ID_COLUMN = "article_id"
THEMES_COLUMN = "themes"
SEPARATOR = ";"


@dataclass(frozen=True)
class Uncertain:
    """An article the model is unsure about, and the theme it is least sure of."""

    article_id: str
    margin: float  # 0 = a score exactly on its threshold, 1 = as sure as can be
    theme: str
    score: float
    threshold: float


def read_labels_csv(path: Path | str, themes: Sequence[str]) -> list[tuple[str, tuple[str, ...]]]:
    """(article_id, themes) per row of a labels CSV, all validated before any is returned.

    Columns: `article_id` and `themes` (names separated by `;`, case and spaces
    ignored; empty means the article is about none of the themes). Other columns,
    such as the model's guesses in an exported file, are ignored. An unknown theme,
    an empty or repeated id is an InputError naming the line.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # spreadsheets often add a BOM
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; save the spreadsheet as CSV UTF-8") from None
    return parse_labels(text, themes, source=str(path))


def parse_labels(text: str, themes: Sequence[str], *, source: str = "labels"
                 ) -> list[tuple[str, tuple[str, ...]]]:
    """The body of `read_labels_csv`, for text already in memory."""
    valid = {t.lower(): t for t in themes}
    # Spreadsheets set to Spanish, Portuguese or French save CSV with ';' between
    # columns (and quote a cell holding ';', such as "mining; energy")
    first = text.split("\n", 1)[0]
    delimiter = ";" if {ID_COLUMN, THEMES_COLUMN} <= {
        h.strip().strip('"') for h in first.split(";")} else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in (ID_COLUMN, THEMES_COLUMN) if c not in header]
    if missing:
        raise InputError(f"{source}: line 1: missing column {', '.join(missing)}; "
                         f"the header needs {ID_COLUMN},{THEMES_COLUMN}")
    reader.fieldnames = header
    out: list[tuple[str, tuple[str, ...]]] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if row.get(None):  # DictReader's key for values beyond the header
            raise InputError(f"{source}: line {line}: {len(header) + len(row[None])} values "
                             f"but the header has {len(header)} columns; separate themes "
                             f"with '{SEPARATOR}' (or quote the cell)")
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # blank line
        aid = (row.get(ID_COLUMN) or "").strip()
        if not aid:
            raise InputError(f"{source}: line {line}: empty {ID_COLUMN}")
        if aid in seen:
            raise InputError(f"{source}: line {line}: article {aid} already labeled on line "
                             f"{seen[aid]}")
        seen[aid] = line
        names: list[str] = []
        for part in (row.get(THEMES_COLUMN) or "").split(SEPARATOR):
            name = part.strip().lower()
            if not name:
                continue
            if name not in valid:
                raise InputError(f"{source}: line {line}: unknown theme {part.strip()!r}; "
                                 f"valid: {', '.join(themes)} (separate them with "
                                 f"'{SEPARATOR}')")
            if valid[name] not in names:
                names.append(valid[name])
        out.append((aid, tuple(sorted(names))))
    return out


def margin(score: float, threshold: float) -> float:
    """How far a score is from its threshold, as a share of the room on its side:
    0 on the threshold, 1 at 0.0 or 1.0."""
    if score >= threshold:
        room = 1.0 - threshold
    else:
        room = threshold
    return abs(score - threshold) / room if room > 0 else 1.0


def rank_uncertain(scores: Mapping[str, Mapping[str, float]], thresholds: Mapping[str, float],
                   n: int | None = None, *,
                   text_thresholds: Mapping[str, float] | None = None,
                   text_only: Collection[str] = ()) -> list[Uncertain]:
    """Articles ordered from least to most sure, by their closest call over all themes.

    `scores` is {article_id: {theme: score}} (as stored), `thresholds` the
    model's per-theme thresholds; themes without a threshold are ignored. The
    articles in `text_only` (those the theme model scores by TF-IDF alone, such as
    Spanish ones) are cut at `text_thresholds` instead, as the model cuts them. Ties
    go by article id, so the same scores always give the same list.
    """
    ranked: list[Uncertain] = []
    for aid, per_theme in scores.items():
        cut = text_thresholds if text_thresholds is not None and aid in text_only else thresholds
        calls = [(margin(s, cut[t]), t, s) for t, s in per_theme.items() if t in cut]
        if not calls:
            continue
        m, theme, s = min(calls)
        ranked.append(Uncertain(article_id=aid, margin=round(m, 4), theme=theme,
                                score=s, threshold=cut[theme]))
    ranked.sort(key=lambda u: (u.margin, u.article_id))
    return ranked if n is None else ranked[:n]
