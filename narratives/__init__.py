"""narratives: track US and China influence narratives in news feeds.

What a notebook needs, importable from here::

    from narratives import Store, load_feeds, ingest, analyze_stored, reports
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__version__ = "0.1.0"

#: The trained models, their cards and the labelled corpora (see models/corpus/README.md).
MODELS = Path(__file__).resolve().parent.parent / "models"

# Lazy, so `import narratives` stays fast and spaCy loads only when used.
_EXPORTS = {
    "load_feeds": ("narratives.config", "load_feeds"),
    "Store": ("narratives.store", "Store"),
    "ingest": ("narratives.pipeline", "ingest"),
    "analyze_stored": ("narratives.pipeline", "analyze_stored"),
    "Engine": ("narratives.pipeline", "Engine"),
    "reports": ("narratives.reports", None),
    "NarrativesError": ("narratives.errors", "NarrativesError"),
}

__all__ = ["MODELS", "__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'narratives' has no attribute {name!r}")
    import importlib

    module, attr = _EXPORTS[name]
    mod = importlib.import_module(module)
    return mod if attr is None else getattr(mod, attr)
