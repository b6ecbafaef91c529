"""Static text embeddings: an article's vector is the mean of its tokens' vectors.

The vectors (models/embeddings/<name>/) are distilled from a pretrained sentence
encoder, so words the theme corpus never used still land near the words it did use;
no transformer runs at analysis time. How they were built: models/embeddings/build.py.
"""
from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from . import MODELS
from .errors import ModelError

EMBEDDINGS = MODELS / "embeddings"
DEFAULT = "minilm-l6-static-128"
FILES = ("model.safetensors", "tokenizer.json", "config.json")

# Function words that tell Spanish from English; the vectors were distilled from an
# English model, so Spanish text is left to the word features.
_SPANISH = frozenset(
    "de la que el en los del las por con una para se al lo como más pero sus le ya este "
    "porque esta entre cuando muy sin sobre también hasta hay donde desde todo durante "
    "todos les ni contra otros ese eso ante ellos esto antes algunos unos otro otras otra "
    "él tanto esa estos mucho quienes nada muchos cual poco ella estas algunas".split())
_ENGLISH = frozenset(
    "the of and to in is that for it as was with be by on not he this are or his from at "
    "which but have an they you were her she there been has their one all would will".split())


def is_spanish(text: str) -> bool:
    """True when Spanish function words outnumber English ones in the first 1,500
    characters (words split at spaces: function words rarely carry punctuation)."""
    words = text[:1500].lower().split()
    return sum(w in _SPANISH for w in words) > sum(w in _ENGLISH for w in words)


RESTORE = "restore it from the repository (git checkout models/embeddings)"


def card(name: str = DEFAULT) -> dict[str, Any]:
    """The card of models/embeddings/<name>: where the vectors come from, their sha256."""
    path = EMBEDDINGS / name / "card.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data.get("files"), dict):
            raise ValueError("no 'files' with the sha256 of each file")
    except FileNotFoundError:
        raise ModelError(f"{path}: embeddings missing; {RESTORE}") from None
    except (OSError, ValueError, AttributeError) as exc:
        raise ModelError(f"{path}: unreadable embeddings card ({exc}); {RESTORE}") from None
    return data


@functools.lru_cache(maxsize=2)
def load(name: str = DEFAULT) -> Any:
    """The static model models/embeddings/<name>, checked against its card."""
    folder = EMBEDDINGS / name
    expected = card(name)["files"]
    for file in FILES:
        path = folder / file
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            raise ModelError(f"{path}: cannot read ({exc.strerror}); {RESTORE}") from None
        if digest != expected.get(file):
            raise ModelError(f"{path}: does not match the sha256 in card.json "
                             f"(changed or damaged); {RESTORE}")
    from model2vec import StaticModel

    # A folder that exists is read locally; model2vec only goes to the hub otherwise.
    return StaticModel.from_pretrained(folder)


def encode(texts: Sequence[str], name: str = DEFAULT) -> np.ndarray:
    """One unit-length float32 row per text (zeros for a text with no tokens)."""
    model = load(name)
    if not texts:
        return np.zeros((0, model.dim), dtype=np.float32)
    vectors = np.asarray(model.encode(list(texts), use_multiprocessing=False,
                                      show_progress_bar=False), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-9)


class TextEmbedding(BaseEstimator, TransformerMixin):  # type: ignore[misc]
    """Texts to their static embeddings. Holds only the embeddings' name, so a saved
    pipeline stays small and the vectors are read (and checked) from models/."""

    def __init__(self, name: str = DEFAULT) -> None:
        self.name = name

    def fit(self, X: Sequence[str], y: Any = None) -> TextEmbedding:  # noqa: N803
        return self

    def transform(self, X: Sequence[str]) -> np.ndarray:  # noqa: N803
        return encode(list(X), self.name)
