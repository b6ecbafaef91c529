"""Entities, actors and countries for each article, in one pass of spaCy.

`Analyzer` loads the pipeline, the actor registry and the gazetteer once, then
turns (id, title, text) items into `records.Analysis` records, streaming them
through `nlp.pipe` in batches (optionally in several processes).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from spacy.attrs import IDX, SENT_START
from spacy.tokens import Doc, Span

from . import nlp as nlp_mod
from .actors import ENTITY_LABELS, ActorMatcher, MatchIndex, load_registry
from .countries import CountryFinder, load_gazetteer
from .records import ActorMention, Analysis, Entity

#: Characters of an item's text that are analysed; the rest is stored but not read.
#: News articles are rarely over 30,000 characters, and the analysis time grows with
#: the length (about 2.5 s per 100,000 characters on one core), so one runaway item
#: (a whole report pasted into a feed) cannot hold up a run for minutes.
MAX_TEXT_CHARS = 100_000

_DETERMINERS = ("the ", "The ")
_POSSESSIVES = ("'s", "\u2019s", "'", "\u2019")


def analysed_text(text: str, limit: int | None = None) -> str:
    """`text` cut to at most `limit` (default MAX_TEXT_CHARS) characters, at the last
    whitespace before the limit when there is one, so no word is cut in half."""
    limit = MAX_TEXT_CHARS if limit is None else limit
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    return cut[:space] if space > limit // 2 else cut


class Analyzer:
    """Entities, actors and countries of articles, with what produced them.

    Example:
        >>> analyzer = Analyzer()
        >>> [a] = analyzer.analyze([("a1", "Lithium deal", "Beijing said on Monday...")])
        >>> [m.actor for m in a.actors]
        ['China']
    """

    def __init__(
        self,
        *,
        model: str | None = None,
        registry: Path | str | None = None,
        gazetteer: Path | str | None = None,
        batch_size: int = 64,
        n_process: int = 1,
    ) -> None:
        self.model = model
        self.registry_path = registry
        self.gazetteer_path = gazetteer
        self.batch_size = batch_size
        self.n_process = n_process
        self.nlp = nlp_mod.load(model)
        self.model_name = nlp_mod.model_label(self.nlp)
        self.registry = load_registry(registry)
        self.gazetteer = load_gazetteer(gazetteer)
        self.actor_matcher = ActorMatcher(self.registry, self.nlp)
        self.country_finder = CountryFinder(
            self.gazetteer, self.nlp,
            blocker_phrases=self.registry.blocker_phrases,
            blocker_patterns=self.registry.blocker_patterns,
        )
        self.provenance = {
            "spacy_model": self.model_name,
            "actor_registry": self.registry.version,
            "gazetteer": self.gazetteer.version,
        }

    def analyze(self, items: Iterable[tuple[str, str, str]]) -> Iterator[Analysis]:
        """One Analysis per (id, title, text), in input order. The title, when
        present, is the first sentence(s) of the analysed text; of a text longer
        than MAX_TEXT_CHARS, only the beginning is read (see `analysed_text`)."""
        pending: deque[tuple[str, int, str]] = deque()

        def texts() -> Iterator[str]:
            for article_id, title, text in items:
                title = (title or "").strip()
                text = analysed_text(text or "")
                full = f"{title}\n\n{text}" if title else text
                pending.append((article_id, len(title), full))
                yield full

        docs = nlp_mod.pipe(self.nlp, texts(), batch_size=self.batch_size,
                            n_process=self.n_process)
        for doc in docs:
            article_id, title_chars, text = pending.popleft()
            yield self.analyze_doc(article_id, doc, title_chars=title_chars, text=text)

    def analyze_doc(self, article_id: str, doc: Doc, *, title_chars: int = 0,
                    text: str | None = None) -> Analysis:
        """The Analysis of one processed doc whose first `title_chars` characters
        are the title. `text` is doc.text when the caller has it (doc.text is
        rebuilt from the tokens on every access)."""
        if text is None or len(text) != (doc[-1].idx + len(doc[-1].text_with_ws) if len(doc)
                                         else 0):
            text = doc.text
        sentences, starts, title_sentences = _sentences(doc, text, title_chars)

        def sentence_of(token_i: int) -> int:
            return max(0, bisect_right(starts, token_i) - 1)

        ents = doc.ents
        pattern_blocks = self.actor_matcher.blockers.pattern_spans(doc)
        matches = self.actor_matcher.find(doc, ents=ents, pattern_blocks=pattern_blocks,
                                          text=text)
        places = self.country_finder.find(doc, ents=ents, pattern_blocks=pattern_blocks)
        countries = self.country_finder.weigh(
            places, [sentence_of(m.start) for m in places], title_sentences=title_sentences)
        index = MatchIndex(matches)
        return Analysis(
            article_id=article_id,
            sentences=tuple(sentences),
            entities=self._entities(ents, index, sentence_of),
            actors=self._actors(ents, index, sentence_of),
            countries=countries,
            provenance=dict(self.provenance),
        )

    def _entities(self, ents: Sequence[Span], index: MatchIndex,
                  sentence_of: Any) -> tuple[Entity, ...]:
        groups: dict[tuple[str, str], dict[str, Any]] = {}
        for ent in ents:
            if ent.label_ not in ENTITY_LABELS:
                continue
            text = _clean(ent.text)
            if not text:
                continue
            g = groups.get((text, ent.label_))
            if g is None:
                g = groups[(text, ent.label_)] = {"count": 0, "sentences": [], "actor": None,
                                                  "kind": None}
            g["count"] += 1
            s = sentence_of(ent.start)
            if s not in g["sentences"]:
                g["sentences"].append(s)
            if g["actor"] is None:
                m = index.resolve(ent)
                if m is not None:
                    g["actor"], g["kind"] = m.label, m.kind
        return tuple(
            Entity(text=text, label=label, count=g["count"], actor=g["actor"],
                   actor_kind=g["kind"], sentences=tuple(g["sentences"]))
            for (text, label), g in groups.items()
        )

    def _actors(self, ents: Sequence[Span], index: MatchIndex,
                sentence_of: Any) -> tuple[ActorMention, ...]:
        by_actor: dict[str, dict[str, Any]] = {}
        ent_starts = [ent.start for ent in ents]  # in doc order, never overlapping
        for m in index.matches:
            a = by_actor.setdefault(m.label, {"mentions": 0, "entities": [], "sentences": []})
            a["mentions"] += 1
            surface = m.text
            # Report the whole named entity ("the Chinese Foreign Ministry") when the
            # mention is the main actor reference inside it: the only entity that can
            # contain the mention is the last one starting at or before it.
            k = bisect_right(ent_starts, m.start) - 1
            if k >= 0 and m.end <= ents[k].end:
                ent = ents[k]
                if ent.label_ in ENTITY_LABELS and ent.label_ != "MONEY":
                    if index.resolve(ent) is m:
                        surface = _clean(ent.text) or surface
            pair = (surface, m.kind)
            if pair not in a["entities"]:
                a["entities"].append(pair)
            s = sentence_of(m.start)
            if s not in a["sentences"]:
                a["sentences"].append(s)
        ordered = sorted(by_actor.items(), key=lambda kv: -kv[1]["mentions"])
        return tuple(
            ActorMention(actor=actor, mentions=a["mentions"], entities=tuple(a["entities"]),
                         sentences=tuple(a["sentences"]))
            for actor, a in ordered
        )


def _sentences(doc: Doc, text: str, title_chars: int) -> tuple[list[str], list[int], int]:
    """Sentence texts (blank ones dropped), their first token indexes, and how many
    of them belong to the title; read from arrays rather than token by token."""
    if not len(doc):
        return [], [], 0
    arr = doc.to_array([SENT_START, IDX])
    first = np.flatnonzero(arr[:, 0] == 1).tolist()
    if not first or first[0] != 0:
        first.insert(0, 0)
    chars = [int(arr[i, 1]) for i in first] + [len(text)]
    sentences: list[str] = []
    starts: list[int] = []
    title_sentences = 0
    for k, tok in enumerate(first):
        sent = text[chars[k]:chars[k + 1]].strip()
        if not sent:
            continue
        if chars[k] < title_chars:
            title_sentences += 1
        sentences.append(sent)
        starts.append(tok)
    return sentences, starts, title_sentences


def _clean(text: str) -> str:
    text = " ".join(text.split())
    for det in _DETERMINERS:
        if text.startswith(det):
            text = text[len(det):]
    for pos in _POSSESSIVES:
        if text.endswith(pos) and len(text) > len(pos):
            text = text[: -len(pos)]
            break
    return text.strip()


def analysis_to_dict(analysis: Analysis) -> dict[str, Any]:
    """The JSON shape of `narratives analyze` output for one article; themes and
    tone appear when the analysis has them (the full Engine adds them)."""
    out: dict[str, Any] = {
        "id": analysis.article_id,
        "entities": [
            {"text": e.text, "label": e.label, "count": e.count, "actor": e.actor}
            for e in analysis.entities
        ],
        "actors": {
            m.actor: {
                "mentions": m.mentions,
                "entities": [{"text": t, "kind": k} for t, k in m.entities],
                "sentences": list(m.sentences),
            }
            for m in analysis.actors
        },
        "countries": [
            {"code": c.code, "name": c.name, "mentions": c.mentions, "weight": c.weight,
             "focus": c.focus}
            for c in analysis.countries
        ],
        "provenance": dict(analysis.provenance),
    }
    tones = {t.actor: t for t in analysis.tones}
    for actor, entry in out["actors"].items():
        t = tones.get(actor)
        if t is not None:
            entry.update(tone=t.tone, tone_label=t.tone_label, frame=t.frame,
                         frame_score=t.frame_score, evidence=list(t.evidence))
    if analysis.themes:
        ranked = sorted(analysis.themes, key=lambda s: -s.score)
        out["themes"] = [{"theme": s.theme, "score": round(s.score, 4)}
                         for s in ranked if s.assigned]
        out["theme_scores"] = {s.theme: round(s.score, 4) for s in analysis.themes}
    return out
