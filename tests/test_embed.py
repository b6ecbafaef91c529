"""Static embeddings: the shipped vectors load and are checked against their card,
give unit vectors that put related news closer than unrelated news, and damaged or
missing files give a clear error instead of a download attempt."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from narratives import embed
from narratives.errors import ModelError


@pytest.fixture
def copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the shipped embeddings that tests may damage."""
    folder = tmp_path / embed.DEFAULT
    shutil.copytree(embed.EMBEDDINGS / embed.DEFAULT, folder)
    monkeypatch.setattr(embed, "EMBEDDINGS", tmp_path)
    embed.load.cache_clear()
    yield folder
    embed.load.cache_clear()


def test_vectors_are_unit_length_and_empty_text_is_zero() -> None:
    vectors = embed.encode(["China signed a lithium deal with Bolivia.", ""])
    assert vectors.shape == (2, embed.load().dim) and vectors.dtype == np.float32
    assert np.linalg.norm(vectors[0]) == pytest.approx(1.0, abs=1e-5)
    assert not vectors[1].any()
    assert embed.encode([]).shape == (0, embed.load().dim)


def test_related_news_is_closer_than_unrelated_news() -> None:
    """Words the sentences do not share still bring them together: what the TF-IDF
    model cannot do."""
    mine, ore, clinic = embed.encode([
        "The lithium mine near the salt flat will double its output.",
        "Copper extraction at the open-pit deposit resumed after the strike.",
        "Nurses at the children's hospital started the measles vaccination drive.",
    ])
    assert mine @ ore > mine @ clinic + 0.1


@pytest.mark.parametrize(("text", "spanish"), [
    ("El gobierno firmó un acuerdo con China para la construcción de una carretera.", True),
    ("The government signed an agreement with China to build a road.", False),
    ("Evo Morales, YPFB, Santa Cruz", False),  # no function words either way
])
def test_is_spanish_counts_function_words(text: str, spanish: bool) -> None:
    assert embed.is_spanish(text) is spanish


def test_damaged_vectors_are_refused(copied: Path) -> None:
    data = bytearray((copied / "model.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (copied / "model.safetensors").write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"model\.safetensors: does not match the sha256"):
        embed.encode(["text"])


def test_missing_embeddings_say_how_to_restore(copied: Path) -> None:
    shutil.rmtree(copied)
    with pytest.raises(ModelError, match="embeddings missing; restore it from the repository"):
        embed.load()


def test_transformer_keeps_only_the_name() -> None:
    step = embed.TextEmbedding()
    assert step.get_params() == {"name": embed.DEFAULT}
    assert step.fit(["a"]).transform(["a lithium mine"]).shape == (1, embed.load().dim)
