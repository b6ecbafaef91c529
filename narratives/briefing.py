"""The self-contained HTML briefing: tables, charts, filters, coverage and model accuracy.

Rendered with Jinja2 with autoescaping on, so text from articles is escaped;
charts are embedded as base64 PNG so the file opens with no network.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from . import MODELS, charts, reports
from .reports import Filters
from .store import Store


def model_summaries(models_dir: Path = MODELS) -> list[dict[str, str]]:
    """One line per model card (models/*.json): what it is and how well it measured."""
    out = []
    for path in sorted(models_dir.glob("*.json")):
        try:
            card = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(card, dict):
            continue
        measured_on = card.get("measured_on", card.get("test_set", ""))
        test = card.get("test")
        if isinstance(card.get("metrics"), dict):  # the tone card
            figures = ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                for k, v in card["metrics"].items()
                                if not isinstance(v, dict | list))
        elif isinstance(test, dict) and isinstance(test.get("macro"), dict):  # theme cards
            macro, micro = test["macro"], test.get("micro") or {}
            figures = ", ".join(f"{name} {value:.3f}" for name, value in (
                ("macro-F1", macro.get("f1")), ("micro-F1", micro.get("f1")),
                ("macro precision", macro.get("precision")),
                ("macro recall", macro.get("recall"))) if isinstance(value, float))
            measured_on = measured_on or f"fixed test split of {test.get('passages')} passages"
        else:
            continue
        out.append({"name": str(card.get("name", path.stem)),
                    "version": str(card.get("version", "")),
                    "measured_on": str(measured_on), "figures": figures})
    return out


def render(store: Store, filters: Filters, *, by: str = "week", db_label: str = "") -> str:
    trends = reports.trends(store, filters, by=by)
    themes = reports.themes(store, filters)
    tables = [
        {"title": f"Coverage and tone by {by}", "columns": trends.columns, "rows": trends.rows},
        {"title": "Themes by actor", "columns": themes.columns, "rows": themes.rows},
    ]
    for name in ("sources", "entities", "countries"):
        rep = reports.REPORTS[name](store, filters)
        tables.append({"title": name.capitalize(), "columns": rep.columns, "rows": rep.rows})
    chart_list = []
    if trends.rows:  # an empty report says so in words; no chart of nothing
        fig = charts.trends_figure(trends.rows, title=f"US and China in the news, by {by}")
        chart_list.append({"title": "Share of coverage and tone over time",
                           "data": base64.b64encode(charts.png_bytes(fig)).decode()})
    if themes.rows:
        fig = charts.themes_figure(themes.rows, title="Themes by actor")
        chart_list.append({"title": "Theme-by-actor heat map",
                           "data": base64.b64encode(charts.png_bytes(fig)).decode()})
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "data"),
        autoescape=True, undefined=jinja2.StrictUndefined,
    )
    context: dict[str, Any] = {
        "title": "US and China in the news: narratives briefing",
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "db": db_label,
        "filters": filters.describe(),
        "coverage": {"articles": trends.articles, "first_day": trends.first_day,
                     "last_day": trends.last_day, "gaps": trends.coverage_gaps,
                     "not_analyzed": trends.not_analyzed, "pending_note": trends.pending_note(),
                     "analyzed_in_range": trends.analyzed_in_range},
        "charts": chart_list,
        "tables": tables,
        "feeds": store.feeds_status(),
        "models": model_summaries(),
    }
    return env.get_template("report.html.j2").render(**context)
