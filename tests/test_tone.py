from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from narratives import tone
from narratives.errors import ConfigError, ModelError
from narratives.records import ActorMention, Analysis


def test_mask_replaces_own_and_other_mentions() -> None:
    text = "Beijing's lender praised the deal while Washington warned."
    masked = tone.mask(text, own=["Beijing"], others=["Washington"])
    assert masked == "actorx lender praised the deal while otherx warned."


def test_negation_flips_cues() -> None:
    lex = tone.load_lexicon()
    plain = tone.cue_vector("actorx is a threat to the region", lex)
    negated = tone.cue_vector("actorx is not a threat to the region", lex)
    assert plain[1] > 0 and plain[0] == 0
    assert negated[0] > 0 and negated[1] == 0


def test_lexicon_baseline_labels() -> None:
    tones, frames, scores = tone.lexicon_predict([
        "actorx praised the new hospital and thanked the donors for their generous help.",
        "Critics accuse actorx of espionage and coercion through a debt trap.",
        "actorx released its quarterly figures on Tuesday.",
    ])
    assert tones == ["positive", "negative", "neutral"]
    assert frames[1] == "threat" and frames[2] == "none"
    assert scores[0] > 0 > scores[1]


def _analysis() -> Analysis:
    return Analysis(
        article_id="a",
        sentences=("China's bank praised the generous cooperation on the new railway.",
                   "Washington warned of espionage and coercion.",
                   "The weather was mild."),
        actors=(ActorMention(actor="China", mentions=1, entities=(("China", "government"),),
                             sentences=(0,)),
                ActorMention(actor="US", mentions=1, entities=(("Washington", "government"),),
                             sentences=(1,))),
    )


def test_lexicon_model_scores_each_actor_separately(tmp_path: Path) -> None:
    model = tone.ToneModel.load(tmp_path)  # no card: the lexicon baseline
    assert model.method == "lexicon"
    by_actor = {t.actor: t for t in model.score(_analysis())}
    assert by_actor["China"].tone > 0 and by_actor["China"].tone_label == "positive"
    assert by_actor["US"].tone < 0 and by_actor["US"].frame == "threat"
    assert by_actor["US"].evidence == ("Washington warned of espionage and coercion.",)


def _corpus(path: Path) -> Path:
    good = ["actorx praised the generous aid and thanked partners for cooperation",
            "actorx signed a loan agreement that officials welcomed as a success",
            "the vaccine donation from actorx was celebrated as solidarity"]
    bad = ["critics accuse actorx of espionage and coercion",
           "actorx was condemned for interference and a debt trap",
           "officials warned actorx threatens sovereignty"]
    flat = ["actorx published figures on Tuesday", "actorx held a meeting in the capital",
            "the report mentions actorx among other lenders"]
    rows = []
    for i in range(60):
        for texts, t, f in ((good, "positive", "partner"), (bad, "negative", "threat"),
                            (flat, "neutral", "none")):
            rows.append({"id": f"x{i}{t}", "actor": "China",
                         "text": f"{texts[i % 3]} number {i}", "tone": t, "frame": f})
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_train_compares_methods_writes_card_and_loads(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "tone.jsonl")
    card = tone.train(corpus=corpus, out_dir=tmp_path / "models")
    assert set(card["comparison"]) == {"lexicon", "model"}
    assert card["metrics"]["tone_macro_f1"] > 0.9
    model = tone.ToneModel.load(tmp_path / "models")
    assert model.version.startswith(card["version"])
    [(score, label, frame, _)] = model.predict_texts(["actorx praised the generous aid"])
    assert label == "positive" and score > 0


def test_corrupt_model_file_is_a_clear_error(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "tone.jsonl")
    card = tone.train(corpus=corpus, out_dir=tmp_path / "m")
    card_path = tmp_path / "m" / f"{card['version']}.json"
    card_path.write_text(json.dumps(card | {"shipped": "model"}))
    (tmp_path / "m" / f"{card['version']}.skops").write_bytes(b"garbage")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the error alone: no version caution before it
        card_path.write_text(json.dumps(card | {"shipped": "model", "sklearn": "0.1"}))
        with pytest.raises(ModelError, match="cannot load .*run `narratives train-tone`"):
            tone.ToneModel.load(tmp_path / "m")


@pytest.mark.parametrize("card", ["[]", "{}", '{"version": 3}'])
def test_a_card_that_is_no_card_is_a_clear_error(tmp_path: Path, card: str) -> None:
    (tmp_path / "tone-1.json").write_text(card, encoding="utf-8")
    with pytest.raises(ModelError, match=r"tone-1\.json: not a tone model card"):
        tone.ToneModel.load(tmp_path)


def test_bad_corpus_line(tmp_path: Path) -> None:
    p = tmp_path / "t.jsonl"
    p.write_text('{"id": "1", "actor": "US", "text": "x", "tone": "happy", "frame": "none"}\n')
    with pytest.raises(ConfigError, match=r"t\.jsonl:1: tone must be one of"):
        tone.read_corpus(p)


# -- the shipped model, measured as in production (real spaCy pipeline) -----------------

TONE_TARGET, FRAME_TARGET = 0.75, 0.65


@pytest.fixture(scope="module")
def shipped_figures() -> dict[str, dict[str, float]]:
    from .nlp_fixtures import shared_analyzer

    return tone.measure(tone.ToneModel.load(), analyzer=shared_analyzer())


def test_shipped_model_card_matches_a_fresh_measurement(
    shipped_figures: dict[str, dict[str, float]],
) -> None:
    """The figures in the card are what the shipped files measure today."""
    [card_path] = sorted(tone.MODELS.glob("tone-*.json"))[-1:]
    card = json.loads(card_path.read_text(encoding="utf-8"))
    assert card["shipped"] == "model"
    assert shipped_figures["tone"]["macro_f1"] == pytest.approx(
        card["metrics"]["tone_macro_f1"], abs=0.005)
    assert shipped_figures["frame"]["macro_f1"] == pytest.approx(
        card["metrics"]["frame_macro_f1"], abs=0.005)
    lexicon = card["comparison"]["lexicon"]
    assert card["metrics"]["tone_macro_f1"] > lexicon["tone"]["macro_f1"]


def test_shipped_model_meets_frame_target(shipped_figures: dict[str, dict[str, float]]) -> None:
    assert shipped_figures["frame"]["macro_f1"] >= FRAME_TARGET, shipped_figures


# Known shortfall, reported in issue 5: the shipped model measures tone macro-F1 0.651 on
# the fixed split, where a second annotator agrees with the gold labels at 0.899
# (python bench/tone_agreement.py). strict=True makes this test fail the day the model
# reaches the target without this marker being removed.
@pytest.mark.xfail(strict=True, reason="shipped tone model is below the tone 0.75 macro-F1 "
                   "target (0.651 measured); issue 5 stays open")
def test_shipped_model_meets_tone_target(shipped_figures: dict[str, dict[str, float]]) -> None:
    assert shipped_figures["tone"]["macro_f1"] >= TONE_TARGET, shipped_figures


def test_model_tells_two_actors_of_one_passage_apart() -> None:
    """The same passage, opposite portrayals: the documents differ beyond the names."""
    a = _analysis()
    china, us = tone.actor_document(a, "China"), tone.actor_document(a, "US")
    assert china is not None and us is not None
    assert "OWN_praised" in china and "OTH_praised" in us
    assert china.startswith("actorx bank praised") and "otherx warned" in china
    assert "cn_praised" in china and "us_praised" in us
    assert tone.actor_document(a, "Russia") is None


def test_long_article_document_keeps_the_actor_sentences_first() -> None:
    sentences = tuple(f"Filler sentence number {i} about the weather." for i in range(40))
    sentences = sentences[:30] + ("China's lender praised the deal.",) + sentences[31:]
    a = Analysis(article_id="long", sentences=sentences,
                 actors=(ActorMention(actor="China", mentions=1,
                                      entities=(("China", "government"),), sentences=(30,)),))
    doc = tone.actor_document(a, "China")
    assert doc is not None
    masked = doc.split(tone.EXTRA)[0]
    assert "actorx lender praised" in masked
    assert masked.count("filler") == tone.MAX_SENTENCES - 1
    assert "number 28" in masked and "number 32" in masked and "number 27" not in masked


def test_words_near_the_actor_tell_subject_from_object_and_stop_at_the_clause() -> None:
    subject = tone.near_words("actorx condemned the coup, but otherx stayed silent.")
    obj = tone.near_words("Ministers condemned actorx over the loan terms.")
    assert "R1_condemned" in subject and "L1_condemned" in obj
    assert "R1_condemned" not in obj and "L_condemned" not in subject
    assert "R_coup" in subject and "R_silent" not in subject  # "but" ends the clause
    assert "R_O" not in subject
    assert "R_O" in tone.near_words("actorx and otherx signed a pact.")
    assert tone.near_words("No actor is named here.") == []
    far = tone.near_words("actorx " + " ".join(f"w{i}" for i in range(20)))
    assert "R_w7" in far and "R_w8" not in far  # NEAR words on each side


def test_actor_documents_carry_the_words_near_the_actor() -> None:
    a = _analysis()
    doc = tone.actor_document(a, "China")
    assert doc is not None
    near = doc.split(tone.EXTRA)[2].split()
    assert near == tone.near_words(tone.mask(a.sentences[0], ("China",), ("Washington",)))
    assert "R1_bank" in near and "R2_praised" in near and "R_railway" not in near
    assert "R_warned" not in near  # another actor's sentence is not the actor's clause


def test_cue_phrases_and_negators_on_word_tokens() -> None:
    lex = tone.load_lexicon()
    hedged = tone.cue_vector("critics say actorx is far from reliable", lex)
    pos, neg, hedges = hedged[:3]
    assert hedges >= 1  # "critics say"
    assert neg >= 1 and pos == 0  # "reliable" negated by "far from"; "critic" is negative


def test_batch_scoring_equals_one_by_one(tmp_path: Path) -> None:
    model = tone.ToneModel.load(tmp_path)  # the lexicon baseline
    one = _analysis()
    two = Analysis(article_id="b", sentences=("Washington praised the vaccine donation.",),
                   actors=(ActorMention(actor="US", mentions=1,
                                        entities=(("Washington", "government"),),
                                        sentences=(0,)),))
    assert model.score_many([one, two]) == [model.score(one), model.score(two)]


def test_model_file_of_another_layout_is_a_clear_error(tmp_path: Path) -> None:
    import skops.io as sio

    corpus = _corpus(tmp_path / "tone.jsonl")
    card = tone.train(corpus=corpus, out_dir=tmp_path / "m")
    sio.dump({"tone": [1, 2]}, tmp_path / "m" / f"{card['version']}.skops")
    with pytest.raises(ModelError, match="not a tone model of this version"):
        tone.ToneModel.load(tmp_path / "m")


def _visit() -> Analysis:
    sentences = ("Chinese President Xi Jinping visited La Paz on Monday.",
                 "The weather in the capital was cold.",
                 "China's embassy published the schedule of the visit on its website.",
                 "Critics said Beijing's loans were a debt trap that would leave Bolivia exposed "
                 "to coercion and the seizure of its lithium.")
    return Analysis(article_id="v", sentences=sentences, actors=(
        ActorMention(actor="China", mentions=3, entities=(
            ("Chinese", "government"), ("Xi Jinping", "official"), ("China", "government"),
            ("Beijing", "government")), sentences=(0, 2, 3)),))


def test_shipped_model_puts_the_sentence_that_drove_the_judgement_first() -> None:
    """The evidence is the actor's sentences the model read, strongest pull first."""
    model = tone.ToneModel.load()
    assert model.method == "model"
    [china] = model.score(_visit())
    assert china.frame == "threat" and china.tone < 0 and china.tone_label != "positive"
    assert china.evidence[0].startswith("Critics said Beijing's loans were a debt trap")
    assert set(china.evidence) == {_visit().sentences[i] for i in (0, 2, 3)}


def test_evidence_ranking_follows_the_predicted_labels() -> None:
    """The order follows the labels: the debt-trap sentence leads a negative threat
    judgement and not a neutral one, and a partner judgement orders the sentences
    differently (the loans in that sentence also pull toward partner)."""
    model = tone.ToneModel.load()
    parts: list[tuple[int, str, str]] = []
    tone.actor_document(_visit(), "China", own_parts=parts)
    assert [j for j, _, _ in parts] == [0, 2, 3]
    [threat] = model.rank_evidence([parts], [("negative", "threat")])
    [partner] = model.rank_evidence([parts], [("positive", "partner")])
    [plain] = model.rank_evidence([parts], [("neutral", "none")])
    assert threat[0] == 3 and plain[0] != 3 and partner != threat
    assert sorted(threat) == sorted(partner) == sorted(plain) == [0, 2, 3]
    assert model.rank_evidence([], []) == []


def test_pending_tone_examples_are_valid_and_can_join_the_corpus() -> None:
    """models/corpus/tone-pending*.jsonl (written, measured, not used yet) stay usable:
    valid rows whose ids collide neither with the corpus nor with each other, and
    whose passages are not in the corpus."""
    files = sorted(tone.CORPUS.parent.glob("tone-pending*.jsonl"))
    assert [f.name for f in files] == ["tone-pending.jsonl"]
    pending = [r for f in files for r in tone.read_corpus(f)]
    ids = [r["id"] for r in pending]
    assert len(ids) >= 200 and len(ids) == len(set(ids))
    corpus = tone.read_corpus()
    assert not {r["id"] for r in corpus}.intersection(ids)
    assert not {r["text"] for r in corpus}.intersection(r["text"] for r in pending)
    assert all(r["actor"] and r["language"] in ("en", "es") for r in pending)
