"""Charts for briefings: share and tone over time, and a theme-by-actor heat map.

matplotlib with the Agg backend (no display needed); PNG or SVG by file suffix.
Sized and labelled to stay readable when pasted into a slide.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .errors import UsageError  # noqa: E402

COLOURS = {"US": "#1f5fa8", "China": "#c8102e"}
SUFFIXES = (".png", ".svg")


def _check(path: Path) -> None:
    if path.suffix.lower() not in SUFFIXES:
        raise UsageError(f"--chart: {path.name!r} must end in .png or .svg")


def _no_data(title: str, *, figsize: tuple[float, float]) -> Figure:
    """A figure that says there is nothing to draw: an empty report still gets a chart
    that reads as empty, never an error or a blank axis that looks like zeros."""
    fig, ax = plt.subplots(figsize=figsize)
    ax.set_title(title, fontsize=13, loc="left")
    ax.text(0.5, 0.5, "Nothing to draw: no analysed articles match", ha="center",
            va="center", fontsize=12, color="#555", transform=ax.transAxes)
    ax.set_axis_off()
    return fig


def trends_figure(rows: list[dict[str, Any]], *, title: str) -> Figure:
    if not rows:
        return _no_data(title, figsize=(11, 3))
    periods = [r["period"] for r in rows]
    x = range(len(periods))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 6.5), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 2]})
    for actor, key in (("US", "us"), ("China", "china")):
        # An empty period is a gap, not a 0%: a missing week must not read as a drop.
        share = [float("nan") if r[f"{key}_share"] is None else 100 * r[f"{key}_share"]
                 for r in rows]
        top.plot(x, share, marker="o", lw=2.2, color=COLOURS[actor], label=actor)
        tone = [r[f"{key}_tone"] for r in rows]
        bottom.plot(x, [float("nan") if t is None else t for t in tone], marker="o", lw=2,
                    color=COLOURS[actor], label=actor)
    top.set_ylabel("% of articles mentioning")
    top.set_ylim(0, 100)
    top.set_title(title, fontsize=14, loc="left")
    top.legend(frameon=False, fontsize=11)
    top.grid(alpha=0.3)
    bottom.axhline(0, color="#888", lw=1)
    bottom.set_ylim(-1, 1)
    bottom.set_ylabel("mean tone (-1 to 1)")
    bottom.grid(alpha=0.3)
    step = max(1, len(periods) // 12)
    bottom.set_xticks(list(x)[::step])
    bottom.set_xticklabels(periods[::step], rotation=30, ha="right")
    for ax in (top, bottom):
        for spine in ("top", "right"):
            ax.spines[spine].set_visible(False)
        ax.tick_params(labelsize=10)
    fig.tight_layout()
    return fig


def themes_figure(rows: list[dict[str, Any]], *, title: str) -> Figure:
    if not rows:
        return _no_data(title, figsize=(6.5, 3))
    themes = list(dict.fromkeys(r["theme"] for r in rows))
    actors = ["US", "China"]
    grid = [[0.0] * len(actors) for _ in themes]
    for r in rows:
        if r["actor"] in actors:
            grid[themes.index(r["theme"])][actors.index(r["actor"])] = 100 * (r["share"] or 0)
    fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(themes) + 1.8))
    im = ax.imshow(grid, cmap="Blues", aspect="auto", vmin=0)
    ax.set_xticks(range(len(actors)), actors, fontsize=12)
    ax.set_yticks(range(len(themes)), themes, fontsize=11)
    top = max((v for row in grid for v in row), default=0) or 1
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            ax.text(j, i, f"{v:.0f}%", ha="center", va="center", fontsize=11,
                    color="white" if v > top * 0.6 else "black")
    ax.set_title(title, fontsize=13, loc="left")
    fig.colorbar(im, ax=ax, label="% of the actor's articles")
    fig.tight_layout()
    return fig


def save(fig: Figure, path: Path) -> Path:
    _check(path)
    try:
        fig.savefig(path, dpi=150, bbox_inches="tight")
    except OSError as exc:
        raise UsageError(f"--chart: cannot write {path}: {exc.strerror}") from None
    finally:
        plt.close(fig)
    return path


def png_bytes(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()
