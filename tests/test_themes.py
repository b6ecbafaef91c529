"""Themes: corpus checks, the fixed split, training, thresholds, safe loading, and
the shipped model against its targets on the held-out test split."""

from __future__ import annotations

import functools
import json
import os
import shutil
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio

from narratives import themes
from narratives.errors import ConfigError, InputError, ModelError
from narratives.records import ThemeScore

NAMES = themes.theme_names()
MACRO_TARGET = 0.85
THEME_TARGET = 0.75


def small_corpus(dest: Path, per_theme: int = 18) -> Path:
    """A slice of the real corpus: the first passages of each theme and some of none."""
    rows = themes.read_corpus()
    picked: dict[str, dict] = {}
    for name in [*NAMES, None]:
        have = [r for r in rows if (name in r["themes"] if name else not r["themes"])]
        for r in have[:per_theme]:
            picked[r["id"]] = r
    dest.mkdir(parents=True)
    with (dest / "part.jsonl").open("w", encoding="utf-8") as fh:
        for r in sorted(picked.values(), key=lambda r: r["id"]):
            fh.write(json.dumps({k: r[k] for k in ("id", "text", "themes", "style", "language")})
                     + "\n")
    return dest


@pytest.fixture(scope="module")
def trained_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained on a slice of the corpus, in its own folder."""
    base = tmp_path_factory.mktemp("themes")
    corpus = small_corpus(base / "corpus" / "themes")
    themes.train(corpus, out_dir=base / "models", random_state=0)
    return base / "models"


@pytest.fixture(scope="module")
def trained(trained_dir: Path) -> themes.ThemeModel:
    return themes.ThemeModel.load(trained_dir)


def copy_model(model: themes.ThemeModel, src: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for suffix in (".skops", ".json", ".md"):
        shutil.copy(src / f"{model.version}{suffix}", dest / f"{model.version}{suffix}")
    return dest / f"{model.version}.skops"


# -- themes.yaml and the corpus --------------------------------------------------------


def test_eleven_themes_from_the_data_file() -> None:
    assert NAMES == ("infrastructure", "trade", "finance", "energy", "mining", "environment",
                     "democracy", "health", "education", "technology", "security")
    assert all(t.definition for t in themes.load_themes())


def test_unknown_theme_in_corpus_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"id": "x1", "text": "Copper miners strike.", "themes": ["mining"]}) + "\n"
        + json.dumps({"id": "x2", "text": "Fans sing.", "themes": ["sports"]}) + "\n",
        encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        themes.read_corpus(tmp_path)
    assert str(exc.value).startswith(f"{tmp_path / 'a.jsonl'}:2: unknown theme 'sports'")
    assert "valid: democracy, education" in str(exc.value)


def test_corpus_rejects_bad_json_duplicate_ids_and_empty_text(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "x1", "text": "A", "themes": []}\n{oops\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"a\.jsonl:2: not valid JSON"):
        themes.read_corpus(tmp_path)
    path.write_text('{"id": "x1", "text": "A", "themes": []}\n'
                    '{"id": "x1", "text": "B", "themes": []}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"a\.jsonl:2: id 'x1' already used at .*a\.jsonl:1"):
        themes.read_corpus(tmp_path)
    path.write_text('{"id": "x1", "text": " ", "themes": []}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r'a\.jsonl:1: missing or empty "text"'):
        themes.read_corpus(tmp_path)


def test_the_shipped_corpus_is_valid_and_large_enough() -> None:
    rows = themes.read_corpus()
    counts = Counter(t for r in rows for t in r["themes"])
    assert len(rows) >= 1500
    assert min(counts[t] for t in NAMES) >= 120, counts


# -- the split -------------------------------------------------------------------------


def test_iterative_stratification_keeps_every_label_share() -> None:
    rng = np.random.default_rng(1)
    labels = [[t for t in "abcde" if rng.random() < p] or ["-"]
              for p in rng.uniform(0.05, 0.5, size=600)]
    folds = themes.iterative_stratification(labels, [0.2, 0.8], random_state=3)
    assert folds == themes.iterative_stratification(labels, [0.2, 0.8], random_state=3)
    assert abs(folds.count(0) - 120) <= 12  # labels first, then sizes
    for t in "abcde-":
        total = sum(t in s for s in labels)
        in_test = sum(t in s for s, f in zip(labels, folds, strict=True) if f == 0)
        assert abs(in_test - 0.2 * total) <= 2, t


def test_split_is_fixed_and_new_passages_go_to_training(tmp_path: Path) -> None:
    corpus = small_corpus(tmp_path / "corpus" / "themes", per_theme=10)
    rows = themes.read_corpus(corpus)
    train, test = themes.split(rows, corpus_dir=corpus)
    split_file = tmp_path / "corpus" / "themes-split.json"
    assert split_file.exists() and len(test) >= 0.18 * len(rows)
    ids = {r["id"] for r in test}
    new = {"id": "new-1", "text": "A new passage about lithium.", "themes": ["mining"]}
    train2, test2 = themes.split([*rows, new], corpus_dir=corpus)
    assert {r["id"] for r in test2} == ids
    assert new in train2
    _, test3 = themes.split(rows, corpus_dir=corpus, resplit=True, random_state=7)
    assert {r["id"] for r in test3} != ids


# -- training, thresholds, prediction --------------------------------------------------


def test_train_writes_model_and_card(trained: themes.ThemeModel, trained_dir: Path) -> None:
    card = json.loads((trained_dir / f"{trained.version}.json").read_text(encoding="utf-8"))
    assert card["version"] == trained.version and trained.version.startswith("themes-")
    assert len(card["training_data"]["sha256"]) == 64
    assert {"scikit-learn", "skops", "numpy", "scipy", "python"} <= set(card["libraries"])
    assert set(card["thresholds"]) == set(NAMES)
    assert set(card["test"]["per_theme"]) == set(NAMES)
    assert {"precision", "recall", "f1", "support"} <= set(card["test"]["per_theme"]["mining"])
    assert {"micro", "macro"} <= set(card["test"])
    md = (trained_dir / f"{trained.version}.md").read_text(encoding="utf-8")
    assert "| mining |" in md and "**macro**" in md


def test_thresholds_come_from_the_grid_and_decide_assigned(trained: themes.ThemeModel) -> None:
    assert all(themes.THRESHOLD_GRID[0] <= v <= themes.THRESHOLD_GRID[-1]
               for v in trained.thresholds.values())
    [scores] = trained.predict(["Police seized three tonnes of cocaine in a raid on a ranch, "
                                "and the army sent two helicopters to the border."])
    assert [s.theme for s in scores] == list(NAMES)
    assert all(isinstance(s, ThemeScore) and 0 <= s.score <= 1 for s in scores)
    assert all(s.assigned == (s.score >= trained.thresholds[s.theme]) for s in scores)
    assert trained.predict([]) == []


def test_choose_thresholds_prefers_the_best_f1() -> None:
    y = np.array([[1], [1], [0], [0], [0]])
    proba = np.array([[0.9], [0.7], [0.65], [0.2], [0.1]])
    [t] = themes.choose_thresholds(y, proba, ["x"]).values()
    assert 0.65 < t <= 0.7


def test_extra_rows_train_every_fold_and_are_never_scored() -> None:
    """What bench/themes_data_cv.py relies on: out-of-fold scores stay one row per
    scored passage, and the added passages change them."""
    rows = themes.read_corpus()
    per = {n: [r for r in rows if n in r["themes"]] for n in NAMES}
    base = list({r["id"]: r for n in NAMES for r in per[n][:10]}.values())
    extra = [r for n in NAMES for r in per[n][40:50] if r["id"] not in {b["id"] for b in base}]
    alone, dense_alone, reads = themes.cross_validated(base, NAMES, folds=3)
    added, dense_added, reads_added = themes.cross_validated(base, NAMES, folds=3, extra=extra)
    assert alone.shape == added.shape == dense_added.shape == (len(base), len(NAMES))
    assert (reads == reads_added).all()
    assert not np.allclose(alone, added)
    assert not np.allclose(dense_alone[reads], dense_added[reads])


def test_hard_negative_checks_skip_themes_the_passage_is_about() -> None:
    rows = [{"themes": ["trade"], "hard_negative_for": ["mining", "trade"]},
            {"themes": [], "hard_negative_for": ["health"]}, {"themes": ["energy"]}]
    assert themes.hard_negative_checks(rows, NAMES) == [(0, NAMES.index("mining")),
                                                        (1, NAMES.index("health"))]


def test_evaluate_counts_support_and_averages(trained: themes.ThemeModel) -> None:
    rows = [{"id": "1", "text": "The central bank raised rates and the loan was refinanced.",
             "themes": ["finance"]},
            {"id": "2", "text": "Vaccines arrived for the dengue campaign at the hospital.",
             "themes": ["health"]}]
    m = themes.evaluate(trained, rows)
    assert m["passages"] == 2
    assert m["per_theme"]["finance"]["support"] == 1 and m["per_theme"]["mining"]["support"] == 0
    assert 0 <= m["macro"]["f1"] <= 1 and 0 <= m["micro"]["f1"] <= 1
    with pytest.raises(InputError):
        themes.evaluate(trained, [])


def test_read_labeled_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"text": "Copper miners strike.", "themes": ["mining"]}\n'
                    '{"text": "x", "themes": ["sport"]}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"in\.jsonl:2: unknown theme 'sport'"):
        themes.read_labeled(path)


# -- loading: default, safety, versions ------------------------------------------------


def test_load_picks_the_newest_model_in_a_folder(trained: themes.ThemeModel, trained_dir: Path,
                                                 tmp_path: Path) -> None:
    copy_model(trained, trained_dir, tmp_path)
    old = tmp_path / "themes-20000101000000.skops"
    shutil.copy(tmp_path / f"{trained.version}.skops", old)
    loaded = themes.ThemeModel.load(tmp_path)
    assert loaded.version == trained.version
    text = ["The port terminal expansion was awarded to a consortium."]
    assert loaded.predict(text) == trained.predict(text)


def test_missing_model_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"no theme model \(themes-\*\.skops\); run `narratives "
                                         r"train`"):
        themes.ThemeModel.load(tmp_path)
    with pytest.raises(ModelError, match=r"themes-1\.skops: no such file; check the path"):
        themes.ThemeModel.load(tmp_path / "themes-1.skops")  # a path given: maybe mistyped


def test_corrupt_model_file_is_a_model_error(tmp_path: Path) -> None:
    path = tmp_path / "themes-1.skops"
    path.write_bytes(b"PK\x03\x04 this is not a model")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the error alone: no version caution before it
        with pytest.raises(ModelError,
                           match=r"themes-1\.skops: cannot load .*run `narratives train`"):
            themes.ThemeModel.load(path)


@pytest.mark.parametrize("card", ["[]", '"text"', "{"])
def test_a_card_that_is_no_card_is_a_model_error(tmp_path: Path, card: str) -> None:
    path = tmp_path / "themes-1.skops"
    path.write_bytes(b"PK\x03\x04 this is not a model")
    path.with_suffix(".json").write_text(card, encoding="utf-8")
    with pytest.raises(ModelError, match=r"themes-1\.json: (not a model card|unreadable)"):
        themes.ThemeModel.load(path)


def test_tampered_model_is_refused(trained: themes.ThemeModel, trained_dir: Path,
                                   tmp_path: Path) -> None:
    path = copy_model(trained, trained_dir, tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match the sha256 in its card"):
        themes.ThemeModel.load(path)


def test_model_that_would_run_code_is_refused(tmp_path: Path) -> None:
    """A file carrying a callable (here os.system) is never instantiated."""
    marker = tmp_path / "ran"
    path = tmp_path / "themes-2.skops"
    sio.dump({"pipeline": functools.partial(os.system, f"touch {marker}"), "themes": ["x"],
              "thresholds": [0.5]}, path)
    with pytest.raises(ModelError, match="cannot load"):
        themes.ThemeModel.load(path)
    assert not marker.exists()


def test_other_sklearn_version_warns(trained: themes.ThemeModel, trained_dir: Path,
                                     tmp_path: Path) -> None:
    path = copy_model(trained, trained_dir, tmp_path)
    card_path = path.with_suffix(".json")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["libraries"]["scikit-learn"] = "0.24.2"
    card_path.write_text(json.dumps(card), encoding="utf-8")
    with pytest.warns(themes.ModelVersionWarning,
                      match=r"made with scikit-learn 0\.24\.2, this is .*narratives train"):
        model = themes.ThemeModel.load(path)
    assert model.version == trained.version


def test_labels_are_training_data_and_validated(tmp_path: Path) -> None:
    corpus = small_corpus(tmp_path / "corpus" / "themes", per_theme=10)
    bad = [{"id": "a1", "text": "Some text.", "themes": ["sport"]}]
    with pytest.raises(InputError, match=r"label 1 \(article a1\): unknown theme 'sport'"):
        themes.train(corpus, labels=bad, out_dir=tmp_path / "m")


# -- the shipped model -----------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> themes.ThemeModel:
    return themes.ThemeModel.load()


def test_shipped_model_no_theme_below_floor_and_card_is_true(
    shipped: themes.ThemeModel,
) -> None:
    metrics = themes.evaluate(shipped, themes.held_out_rows())
    per = {t: m["f1"] for t, m in metrics["per_theme"].items()}
    assert min(per.values()) >= THEME_TARGET, per
    # the card tells the truth about the shipped file
    assert metrics["macro"]["f1"] == pytest.approx(shipped.card["test"]["macro"]["f1"], abs=1e-3)


def test_shipped_model_blends_embeddings_for_english_text_only(
    shipped: themes.ThemeModel,
) -> None:
    """English text: TF-IDF and embedding scores blended at the card's weight, cut at
    `thresholds`; Spanish text: TF-IDF scores alone, cut at `text_thresholds`."""
    assert shipped.weight == shipped.card["blend"]["weight"] > 0
    english = "The lithium plant near the salt flat will be built with a Chinese loan."
    spanish = "La planta de litio junto al salar se construirá con un préstamo chino."
    X = themes.columns([english, spanish])  # noqa: N806
    text_only = shipped.pipeline.predict_proba(X)
    dense = shipped.dense.predict_proba(X[:1, themes.DENSE_COLUMN])
    w = shipped.weight
    scores = shipped.scores([english, spanish])
    assert scores[0] == pytest.approx((1 - w) * text_only[0] + w * dense[0])
    assert scores[1] == pytest.approx(text_only[1])
    en, es = shipped.predict([english, spanish])
    assert all(s.assigned == (s.score >= shipped.thresholds[s.theme]) for s in en)
    assert all(s.assigned == (s.score >= shipped.text_thresholds[s.theme]) for s in es)
    assert shipped.thresholds != shipped.text_thresholds


def test_a_model_without_embedding_part_still_loads(shipped: themes.ThemeModel,
                                                    tmp_path: Path) -> None:
    """Models saved before the embedding model existed: TF-IDF scores, one threshold set."""
    plain = themes.ThemeModel(pipeline=shipped.pipeline, themes=shipped.themes,
                              thresholds=shipped.text_thresholds, version="themes-plain")
    path = plain.save(tmp_path)
    bundle = sio.loads(path.read_bytes(), trusted=themes.TRUSTED)
    del bundle["dense"], bundle["weight"], bundle["text_thresholds"]
    sio.dump(bundle, path)
    with pytest.warns(themes.ModelVersionWarning, match="no model card"):
        loaded = themes.ThemeModel.load(path)
    assert loaded.dense is None and loaded.weight == 0
    text = ["Police seized three tonnes of cocaine near the border."]
    assert loaded.scores(text) == pytest.approx(shipped.pipeline.predict_proba(
        themes.columns(text)))


def test_shipped_model_meets_macro_target_on_the_held_out_split(
    shipped: themes.ThemeModel,
) -> None:
    metrics = themes.evaluate(shipped, themes.held_out_rows())
    assert metrics["macro"]["f1"] >= MACRO_TARGET, metrics["macro"]


def test_shipped_model_tags_hard_negatives_rarely(shipped: themes.ThemeModel) -> None:
    """Passages with a theme's words in passing are not tagged with it."""
    rows = themes.held_out_rows()
    checks = themes.hard_negative_checks(rows, shipped.themes)
    assert len(checks) >= 30
    preds = shipped.predict([rows[i]["text"] for i, _ in checks])
    wrong = sum(p[j].assigned for (_, j), p in zip(checks, preds, strict=True))
    assert wrong / len(checks) <= 0.15, f"{wrong} of {len(checks)} hard negatives tagged"


def test_shipped_model_is_small_and_carded(shipped: themes.ThemeModel) -> None:
    path = themes.MODELS / f"{shipped.version}.skops"
    assert path.stat().st_size < 5_000_000
    assert shipped.card["libraries"]["scikit-learn"]
    assert (themes.MODELS / f"{shipped.version}.md").exists()


def test_the_audit_decides_every_label_of_the_passages_it_covers() -> None:
    """models/corpus/themes-audit.jsonl: the corpus carries each audited passage's
    final themes; a theme both annotators gave stays, one neither gave never appears,
    and the rest were decided by the third annotator."""
    rows = {r["id"]: r for r in themes.read_corpus(themes=NAMES)}
    path = themes.CORPUS_DIR.parent / "themes-audit.jsonl"
    audit = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(audit) >= 1500 and len({a["id"] for a in audit}) == len(audit)
    for a in audit:
        original, second, final = set(a["original"]), set(a["second"]), set(a["final"])
        assert original & second <= final <= original | second, a["id"]
        assert set(rows[a["id"]]["themes"]) == final, a["id"]
        assert not final & set(rows[a["id"]].get("hard_negative_for", [])), a["id"]
