"""Analyzer end to end: records, provenance, order, empty and long texts, JSON shape."""

from __future__ import annotations

import json

import pytest

from narratives import analyze as analyze_mod
from narratives import nlp as nlp_mod
from narratives.analyze import Analyzer, analysed_text, analysis_to_dict
from narratives.records import Analysis

from .nlp_fixtures import analyze_one, shared_analyzer


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return shared_analyzer()

ARTICLE = (
    "Chinese state lender China Development Bank will fund a lithium plant near Uyuni, "
    "Bolivia's government said on Tuesday. "
    "The US embassy in La Paz warned that Beijing's loans carry hidden costs. "
    "Analysts in Santa Cruz expect Washington to offer financing through the DFC."
)


def test_analysis_records(analyzer: Analyzer) -> None:
    a = analyze_one(analyzer, ARTICLE, title="China and US compete over Bolivian lithium")
    assert isinstance(a, Analysis)
    assert a.sentences[0] == "China and US compete over Bolivian lithium"
    assert len(a.sentences) == 4
    actors = {m.actor: m for m in a.actors}
    assert {"US", "China", "Bolivia"} <= set(actors)
    assert actors["China"].mentions >= 4
    for m in a.actors:
        for i in m.sentences:
            assert 0 <= i < len(a.sentences)
    # the sentences listed for the US are the ones that mention it
    assert [a.sentences[i] for i in actors["US"].sentences][1].startswith("The US embassy")
    assert ("DFC", "state_enterprise") in actors["US"].entities
    assert a.countries[0].code == "BO" and a.countries[0].focus
    for e in a.entities:
        assert e.count >= 1 and all(0 <= i < len(a.sentences) for i in e.sentences)
    assert set(a.provenance) == {"spacy_model", "actor_registry", "gazetteer"}
    assert "==" in a.provenance["spacy_model"]


def test_order_and_ids_are_kept(analyzer: Analyzer) -> None:
    items = [(f"id-{i}", "", f"Story {i} about Beijing and Lima.") for i in range(7)]
    assert [a.article_id for a in analyzer.analyze(items)] == [i for i, _, _ in items]


def test_empty_text_gives_empty_results(analyzer: Analyzer) -> None:
    [a, b] = analyzer.analyze([("e1", "", ""), ("e2", "", "   \n ")])
    for res in (a, b):
        assert res.sentences == () and res.entities == () and res.actors == ()
        assert res.countries == ()
        assert analysis_to_dict(res)["actors"] == {}


def test_long_text_is_analysed_in_pieces(analyzer: Analyzer,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nlp_mod, "PIECE_CHARS", 1500)
    filler = "The council discussed the water budget again and adjourned. " * 40
    text = f"Beijing sent a delegation. {filler}\n\n{filler}\n\nWashington objected."
    assert len(text) > 3 * 1500
    a = analyze_one(analyzer, text)
    actors = {m.actor: m for m in a.actors}
    assert {"China", "US"} <= set(actors)
    last = actors["US"].sentences[-1]
    assert a.sentences[last] == "Washington objected."
    assert actors["China"].sentences == (0,)


def test_analysed_text_is_cut_at_a_word_boundary() -> None:
    assert analysed_text("short text", limit=100) == "short text"
    assert analysed_text("Beijing sent a delegation to La Paz", limit=20) == "Beijing sent a"
    assert analysed_text("x" * 50, limit=20) == "x" * 20  # no space: a hard cut
    assert analysed_text("A" * 90 + " tail", limit=92) == "A" * 90
    text = "A" * 10 + " " + "B" * 90  # the only space is too early to cut at
    assert analysed_text(text, limit=50) == text[:50]


def test_only_the_beginning_of_a_runaway_text_is_analysed(
        analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch) -> None:
    # one item of megabytes must not hold up a run for minutes: past the cap, a
    # mention of Washington is not read, while the beginning still is
    monkeypatch.setattr(analyze_mod, "MAX_TEXT_CHARS", 2000)
    filler = "The council discussed the water budget again and adjourned. " * 60
    a = analyze_one(analyzer, f"Beijing sent a delegation. {filler} Washington objected.")
    assert {m.actor for m in a.actors} >= {"China"}
    assert "US" not in {m.actor for m in a.actors}
    assert sum(len(s) for s in a.sentences) <= 2000


def test_analysis_to_dict_is_the_cli_shape(analyzer: Analyzer) -> None:
    d = analysis_to_dict(analyze_one(analyzer, ARTICLE))
    json.dumps(d)  # serialisable
    assert d["id"] == "t"
    assert {"id", "entities", "actors", "countries"} <= set(d)
    assert all(set(e) == {"text", "label", "count", "actor"} for e in d["entities"])
    assert d["actors"]["US"]["mentions"] >= 2 and d["actors"]["China"]["mentions"] >= 3
    assert {"code", "name", "mentions"} <= set(d["countries"][0])
    entity = next(e for e in d["entities"] if e["text"] == "China Development Bank")
    assert entity["actor"] == "China" and entity["label"] == "ORG"


def test_two_processes_give_the_same_results() -> None:
    items = [(str(i), "Title", ARTICLE) for i in range(6)]
    one = [analysis_to_dict(a) for a in Analyzer(n_process=1, batch_size=2).analyze(items)]
    two = [analysis_to_dict(a) for a in Analyzer(n_process=2, batch_size=2).analyze(items)]
    assert one == two
