"""Tone and framing toward each actor in an article.

For every actor found in an article, the sentences that mention it (directly or
through its officials, agencies and companies) are scored for tone in [-1, 1]
and for the role the actor plays: partner, rival, threat or none.

Two methods, compared on a fixed test split of the labeled set and the better
one shipped (see the model card in models/):

- `lexicon`: cue words from data/tone_lexicon.yaml near the actor's mention,
  with negation and hedging handled; no training.
- `model`: a scikit-learn pipeline over the same actor-centred text, with the
  actor's own mentions masked (so the model learns how an actor is spoken of,
  not which actor it is) plus the lexicon's cue features.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import FeatureUnion, Pipeline

from .errors import ConfigError, ModelError
from .records import ActorTone, Analysis

DATA = Path(__file__).parent / "data"
MODELS = Path(__file__).parent.parent / "models"
CORPUS = MODELS / "corpus" / "tone.jsonl"
TONES = ("negative", "neutral", "positive")
FRAMES = ("partner", "rival", "threat", "none")
ACTOR = "actorx"
OTHER = "otherx"
TEST_SHARE = 0.2
_WORD = re.compile(r"[\w'-]+", re.UNICODE)


@lru_cache(maxsize=4)
def load_lexicon(path: Path = DATA / "tone_lexicon.yaml") -> dict[str, Any]:
    """The cue lexicon, read once per process (callers must not mutate it)."""
    try:
        lex = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the tone lexicon: {exc}") from None
    for key in ("negators", "hedges", "positive", "negative", "frames"):
        if key not in lex:
            raise ConfigError(f"{path}: missing key {key!r}")
    return lex


def mask(text: str, own: Iterable[str], others: Iterable[str]) -> str:
    """Replace the actor's surface forms by ACTOR and other actors' by OTHER."""
    for forms, token in ((others, OTHER), (own, ACTOR)):
        for form in sorted({f for f in forms if f}, key=len, reverse=True):
            text = re.sub(rf"(?<!\w){re.escape(form)}(?:'s|’s)?(?!\w)", token, text)
    return text


class CueFeatures(BaseEstimator, TransformerMixin):  # type: ignore[misc]
    """Lexicon cue counts around the masked actor, with negation and hedging.

    Cues within `window` tokens of the actor count fully, others half: the
    actor is more likely the subject or object of a nearby evaluation.
    """

    def __init__(self, window: int = 8) -> None:
        self.window = window

    def fit(self, X: Sequence[str], y: Any = None) -> CueFeatures:  # noqa: N803
        self.lexicon_ = load_lexicon()
        return self

    def transform(self, X: Sequence[str]) -> np.ndarray:  # noqa: N803
        return np.array([cue_vector(x, self.lexicon_, self.window) for x in X], dtype=float)


def _cue_regex(cues: Sequence[str]) -> re.Pattern[str]:
    """One pattern for a cue list: stems of four letters or more match word starts,
    shorter cues and phrases match whole words."""
    parts = []
    for cue in sorted({c.lower() for c in cues}, key=len, reverse=True):
        body = r"\s+".join(re.escape(w) for w in cue.split())
        parts.append(body + (r"[\w'-]*" if len(cue) >= 4 and " " not in cue else r"(?![\w'-])"))
    return re.compile(r"(?<![\w'-])(?:" + "|".join(parts) + ")")


_COMPILED: dict[int, dict[str, Any]] = {}


def _compiled(lex: dict[str, Any]) -> dict[str, Any]:
    """Regexes for a lexicon, built once per lexicon object."""
    key = id(lex)
    if key not in _COMPILED:
        _COMPILED[key] = {
            "hedges": _cue_regex(lex["hedges"]),
            "positive": _cue_regex(lex["positive"]),
            "negative": _cue_regex(lex["negative"]),
            "frames": {f: _cue_regex(c) for f, c in lex["frames"].items()},
            "negators": _cue_regex(lex["negators"]),
        }
    return _COMPILED[key]


def cue_vector(text: str, lex: dict[str, Any], window: int = 8) -> list[float]:
    """[pos, neg, hedges, partner, rival, threat, near_pos, near_neg, has_actor]."""
    rx = _compiled(lex)
    low = text.lower()
    starts = [m.start() for m in _WORD.finditer(low)]

    def token_at(char: int) -> int:
        return bisect_right(starts, char) - 1

    actor_at = [token_at(m.start()) for m in re.finditer(ACTOR, low)]
    negator_at = [token_at(m.start()) for m in rx["negators"].finditer(low)]

    def weight(i: int) -> float:
        if not actor_at:
            return 0.5
        return 1.0 if min(abs(i - a) for a in actor_at) <= window else 0.5

    def negated(i: int) -> bool:
        return any(0 < i - n <= 3 for n in negator_at)

    def hits(pattern: re.Pattern[str]) -> list[int]:
        return [token_at(m.start()) for m in pattern.finditer(low)]

    pos = neg = near_pos = near_neg = 0.0
    hedge = sum(weight(i) for i in hits(rx["hedges"]))
    for polarity in ("positive", "negative"):
        for i in hits(rx[polarity]):
            flipped = negated(i)
            is_pos = (polarity == "positive") != flipped
            w = weight(i)
            if is_pos:
                pos += w
                near_pos += w == 1.0
            else:
                neg += w
                near_neg += w == 1.0
    frames = {f: sum(weight(i) for i in hits(p) if not negated(i))
              for f, p in rx["frames"].items()}
    return [pos, neg, hedge, frames.get("partner", 0.0), frames.get("rival", 0.0),
            frames.get("threat", 0.0), near_pos, near_neg, float(bool(actor_at))]


def lexicon_predict(texts: Sequence[str]) -> tuple[list[str], list[str], list[float]]:
    """The no-training baseline: (tone labels, frames, tone scores)."""
    lex = load_lexicon()
    tones, frames, scores = [], [], []
    for t in texts:
        pos, neg, hedge, partner, rival, threat, *_ = cue_vector(t, lex)
        score = (pos - neg) / (pos + neg + 1.0)
        if hedge and score < 0:
            score *= 0.8
        scores.append(round(score, 3))
        tones.append("positive" if score > 0.15 else "negative" if score < -0.15 else "neutral")
        best = max((partner, "partner"), (rival, "rival"), (threat, "threat"))
        frames.append(best[1] if best[0] >= 1 else "none")
    return tones, frames, scores


def build_pipeline(random_state: int = 0) -> Pipeline:
    features = FeatureUnion([
        ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                                  max_features=20000, strip_accents=None, lowercase=True)),
        ("cues", CueFeatures()),
    ])
    return Pipeline([
        ("features", features),
        ("clf", LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000,
                                   random_state=random_state)),
    ])


@dataclass(frozen=True)
class Example:
    id: str
    actor: str
    text: str  # actor-centred, masked
    tone: str
    frame: str


def split_of(text: str) -> str:
    """Fixed split by a hash of the passage: both actors of one passage stay together."""
    h = int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16)
    return "test" if (h % 1000) < TEST_SHARE * 1000 else "train"


def read_corpus(path: Path = CORPUS) -> list[dict[str, Any]]:
    rows = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the tone corpus: {exc.strerror}") from None
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise ConfigError(f"{path}:{n}: not valid JSON ({exc})") from None
        if row.get("tone") not in TONES or row.get("frame") not in FRAMES:
            raise ConfigError(f"{path}:{n}: tone must be one of {TONES} and frame one of "
                              f"{FRAMES}")
        rows.append(row)
    return rows


def actor_text(analysis: Analysis, actor: str, title_weight: bool = True) -> str | None:
    """The sentences that mention `actor`, with its mentions masked; None if absent."""
    mention = next((m for m in analysis.actors if m.actor == actor), None)
    if mention is None:
        return None
    own = [surface for surface, _ in mention.entities]
    others = [s for m in analysis.actors if m.actor != actor for s, _ in m.entities]
    sentences = [analysis.sentences[i] for i in mention.sentences
                 if i < len(analysis.sentences)]
    if not sentences:
        return None
    return mask(" ".join(sentences), own, others)


def examples_from(rows: list[dict[str, Any]], analyses: dict[str, Analysis]) -> list[Example]:
    """Labeled rows to actor-centred masked examples; falls back to the whole passage."""
    out = []
    for r in rows:
        a = analyses.get(r["text"])
        text = actor_text(a, r["actor"]) if a is not None else None
        if text is None:
            text = r["text"]
        out.append(Example(id=r["id"], actor=r["actor"], text=text, tone=r["tone"],
                           frame=r["frame"]))
    return out


def metrics(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, float]:
    return {"accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
            "macro_f1": round(float(f1_score(y_true, y_pred, average="macro",
                                             zero_division=0)), 4)}


TRUSTED = [
    "narratives.tone.CueFeatures",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.pipeline.Pipeline",
]


class ToneModel:
    """Scores every actor of an Analysis. `version` names the method and its file."""

    def __init__(self, *, method: str, version: str, tone_clf: Pipeline | None = None,
                 frame_clf: Pipeline | None = None) -> None:
        self.method = method
        self.version = version
        self.tone_clf = tone_clf
        self.frame_clf = frame_clf

    @classmethod
    def load(cls, models_dir: Path = MODELS) -> ToneModel:
        """The shipped method: the card in models/ says which won."""
        cards = sorted(models_dir.glob("tone-*.json"))
        if not cards:
            return cls(method="lexicon", version="tone-lexicon-1")
        card_path = cards[-1]
        try:
            card = json.loads(card_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"{card_path}: unreadable model card ({exc}); "
                             "run `narratives train-tone`") from None
        version = card["version"]
        if card.get("shipped") == "lexicon":
            return cls(method="lexicon", version=f"{version}:lexicon")
        model_path = card_path.with_suffix(".skops")
        import sklearn
        import skops.io as sio

        if card.get("sklearn") != sklearn.__version__:
            warnings.warn(
                f"{model_path.name} was made with scikit-learn {card.get('sklearn')}, this is "
                f"{sklearn.__version__}; if scores look wrong, run `narratives train-tone`",
                stacklevel=2,
            )
        try:
            bundle = sio.load(model_path, trusted=TRUSTED)
        except FileNotFoundError:
            raise ModelError(f"{model_path}: model file missing; run `narratives train-tone`"
                             ) from None
        except Exception as exc:  # skops raises many types for corrupt or untrusted files
            raise ModelError(f"{model_path}: cannot load ({exc.__class__.__name__}: {exc}); "
                             "run `narratives train-tone`") from None
        return cls(method="model", version=f"{version}:model", tone_clf=bundle["tone"],
                   frame_clf=bundle["frame"])

    def predict_texts(self, texts: Sequence[str]) -> list[tuple[float, str, str, float]]:
        """(tone score, tone label, frame, frame score) per actor-centred text."""
        if not texts:
            return []
        if self.method == "lexicon":
            tones, frames, scores = lexicon_predict(texts)
            return [(s, t, f, 0.5) for s, t, f in zip(scores, tones, frames, strict=True)]
        assert self.tone_clf is not None and self.frame_clf is not None
        tp = self.tone_clf.predict_proba(list(texts))
        fp = self.frame_clf.predict_proba(list(texts))
        tclasses = list(self.tone_clf.classes_)
        fclasses = list(self.frame_clf.classes_)
        out = []
        for trow, frow in zip(tp, fp, strict=True):
            score = float(trow[tclasses.index("positive")] - trow[tclasses.index("negative")])
            out.append((round(score, 3), tclasses[int(np.argmax(trow))],
                        fclasses[int(np.argmax(frow))], round(float(np.max(frow)), 3)))
        return out

    def score(self, analysis: Analysis) -> tuple[ActorTone, ...]:
        actors, texts, evidence = [], [], []
        for m in analysis.actors:
            text = actor_text(analysis, m.actor)
            if text is None:
                continue
            actors.append(m.actor)
            texts.append(text)
            evidence.append(tuple(analysis.sentences[i] for i in m.sentences[:5]
                                  if i < len(analysis.sentences)))
        return tuple(
            ActorTone(actor=a, tone=s, tone_label=t, frame=f,  # type: ignore[arg-type]
                      frame_score=fs, evidence=ev)
            for a, (s, t, f, fs), ev in zip(actors, self.predict_texts(texts), evidence,
                                            strict=True)
        )


def train(*, corpus: Path = CORPUS, out_dir: Path = MODELS, analyzer: Any = None,
          random_state: int = 0) -> dict[str, Any]:
    """Compare the lexicon baseline and the trained model on the fixed test split,
    write the model and a card saying which measured best, and return the card."""
    import sklearn
    import skops.io as sio

    rows = read_corpus(corpus)
    texts = sorted({r["text"] for r in rows})
    analyses: dict[str, Analysis] = {}
    if analyzer is not None:
        for text, a in zip(texts, analyzer.analyze((str(i), "", t) for i, t in enumerate(texts)),
                           strict=True):
            analyses[text] = a
    examples = examples_from(rows, analyses)
    split = {r["id"]: split_of(r["text"]) for r in rows}
    train_ex = [e for e in examples if split[e.id] == "train"]
    test_ex = [e for e in examples if split[e.id] == "test"]
    tone_clf = build_pipeline(random_state).fit([e.text for e in train_ex],
                                                [e.tone for e in train_ex])
    frame_clf = build_pipeline(random_state).fit([e.text for e in train_ex],
                                                 [e.frame for e in train_ex])
    test_texts = [e.text for e in test_ex]
    lt, lf, _ = lexicon_predict(test_texts)
    result = {
        "lexicon": {"tone": metrics([e.tone for e in test_ex], lt),
                    "frame": metrics([e.frame for e in test_ex], lf)},
        "model": {"tone": metrics([e.tone for e in test_ex], tone_clf.predict(test_texts)),
                  "frame": metrics([e.frame for e in test_ex], frame_clf.predict(test_texts))},
    }

    def merit(m: dict[str, dict[str, float]]) -> float:
        return m["tone"]["macro_f1"] + m["frame"]["macro_f1"]

    shipped = "model" if merit(result["model"]) >= merit(result["lexicon"]) else "lexicon"
    digest = hashlib.sha256(corpus.read_bytes()).hexdigest()
    version = "tone-" + datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    out_dir.mkdir(parents=True, exist_ok=True)
    sio.dump({"tone": tone_clf, "frame": frame_clf}, out_dir / f"{version}.skops")
    best = result[shipped]
    card = {
        "name": "tone and frame toward each actor",
        "version": version,
        "shipped": shipped,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sklearn": sklearn.__version__,
        "spacy_model": getattr(analyzer, "model_name", None),
        "training_data": {"path": str(corpus.relative_to(corpus.parents[2])
                                      if len(corpus.parents) > 2 else corpus),
                          "sha256": digest, "examples": len(examples),
                          "train": len(train_ex), "test": len(test_ex)},
        "measured_on": f"fixed test split of {len(test_ex)} actor-in-passage examples",
        "comparison": result,
        "metrics": {"tone_accuracy": best["tone"]["accuracy"],
                    "tone_macro_f1": best["tone"]["macro_f1"],
                    "frame_accuracy": best["frame"]["accuracy"],
                    "frame_macro_f1": best["frame"]["macro_f1"], "method": shipped},
    }
    (out_dir / f"{version}.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card
