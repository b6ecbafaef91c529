"""Actors: which power (US, China, ...) each mention in a text refers to.

The surface forms live in a curated registry (data/actors.yaml); this module
validates it and finds its forms in spaCy docs. Matching is case-aware, on token
boundaries, longest form first, with blocker phrases and patterns for the known
ambiguities ("South China Sea", "Latin America", "Chinese" the language).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from spacy.attrs import ORTH
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span

from .errors import ConfigError

KINDS = ("government", "state_enterprise", "company", "person", "media", "military")
REGISTRY = Path(__file__).resolve().parent / "data" / "actors.yaml"
#: NER labels worth keeping per article and resolving to actors.
ENTITY_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT", "PRODUCT", "MONEY"}
)

_HYPHEN = re.compile(r"(?<=\S)-(?=\S)")


@dataclass(frozen=True)
class Alias:
    """One surface form of an actor."""

    text: str
    actor: str
    kind: str


@dataclass(frozen=True)
class ActorDef:
    """One actor of the registry."""

    id: str
    name: str
    country: str
    aliases: tuple[Alias, ...]


@dataclass(frozen=True)
class BlockerPattern:
    """A spaCy Matcher token pattern whose span is not a reference to any actor."""

    name: str
    pattern: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Registry:
    """The validated actor registry."""

    path: Path
    version: str
    actors: dict[str, ActorDef]
    blocker_phrases: tuple[str, ...] = ()
    blocker_patterns: tuple[BlockerPattern, ...] = ()
    personal_names: frozenset[str] = frozenset()

    @property
    def aliases(self) -> tuple[Alias, ...]:
        return tuple(a for actor in self.actors.values() for a in actor.aliases)


@dataclass(frozen=True, slots=True)
class Match:
    """A form found in a doc: tokens [start, end), what it refers to, its text."""

    start: int
    end: int
    label: str  # actor id or country code
    kind: str
    text: str


# --- loading ---------------------------------------------------------------


def read_yaml(path: Path) -> Any:
    """Parse a YAML data file; any problem is a ConfigError naming the file (and line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}:{where}: invalid YAML: {problem}") from None


def string_list(value: Any, where: str) -> list[str]:
    """A list of non-empty strings, or a ConfigError saying where it is wrong."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"{where}: expected a list of names, got {type(value).__name__}")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(f"{where}[{i}]: expected a non-empty string, got {item!r}")
        out.append(" ".join(item.split()))
    return out


def version_of(doc: dict[str, Any], path: Path) -> str:
    version = doc.get("version")
    if not isinstance(version, (str, int, float)) or not str(version).strip():
        raise ConfigError(f"{path}: version: required, e.g. version: \"2026.1\"")
    return str(version)


def load_registry(path: Path | str | None = None) -> Registry:
    """Read and validate an actor registry (default: the shipped data/actors.yaml)."""
    path = Path(path) if path is not None else REGISTRY
    doc = read_yaml(path)
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: expected a mapping with version, actors, blockers")
    unknown = set(doc) - {"version", "actors", "blockers", "personal_names"}
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key(s) {', '.join(sorted(unknown))}; "
                          "expected version, actors, blockers, personal_names")
    version = version_of(doc, path)
    raw_actors = doc.get("actors")
    if not isinstance(raw_actors, dict) or not raw_actors:
        raise ConfigError(f"{path}: actors: expected a mapping of actor id to entries")

    actors: dict[str, ActorDef] = {}
    seen: dict[str, str] = {}
    for actor_id, body in raw_actors.items():
        where = f"{path}: actors.{actor_id}"
        if not isinstance(body, dict):
            raise ConfigError(f"{where}: expected a mapping with name, country and kinds")
        for key in body:
            if key not in ("name", "country", *KINDS):
                raise ConfigError(f"{where}.{key}: unknown field; expected name, country "
                                  f"or a kind ({', '.join(KINDS)})")
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}.name: required (a display name)")
        country = body.get("country")
        if not isinstance(country, str) or len(country) != 2 or not country.isupper():
            raise ConfigError(f"{where}.country: required, a two-letter upper-case code "
                              f"(got {country!r})")
        aliases: list[Alias] = []
        for kind in KINDS:
            for i, text in enumerate(string_list(body.get(kind), f"{where}.{kind}")):
                if text in seen:
                    raise ConfigError(f"{where}.{kind}[{i}]: {text!r} is already listed "
                                      f"under {seen[text]}")
                seen[text] = f"actors.{actor_id}.{kind}"
                aliases.append(Alias(text, str(actor_id), kind))
        if not aliases:
            raise ConfigError(f"{where}: no entries; list names under one of {', '.join(KINDS)}")
        actors[str(actor_id)] = ActorDef(str(actor_id), name.strip(), country, tuple(aliases))

    blockers = doc.get("blockers") or {}
    if not isinstance(blockers, dict):
        raise ConfigError(f"{path}: blockers: expected a mapping with phrases and patterns")
    phrases = string_list(blockers.get("phrases"), f"{path}: blockers.phrases")
    patterns: list[BlockerPattern] = []
    raw_patterns = blockers.get("patterns") or []
    if not isinstance(raw_patterns, list):
        raise ConfigError(f"{path}: blockers.patterns: expected a list")
    for i, item in enumerate(raw_patterns):
        where = f"{path}: blockers.patterns[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ConfigError(f"{where}: expected a mapping with name and pattern")
        pattern = item.get("pattern")
        if not isinstance(pattern, list) or not pattern or not all(
                isinstance(t, dict) for t in pattern):
            raise ConfigError(f"{where} ({item['name']}): pattern: expected a list of "
                              "token specs, e.g. [{ORTH: Chinese}, {LOWER: lessons}]")
        patterns.append(BlockerPattern(item["name"], tuple(pattern)))
    _check_patterns(patterns, path)
    names = string_list(doc.get("personal_names"), f"{path}: personal_names")
    for i, s in enumerate(names):
        if s not in seen:
            raise ConfigError(f"{path}: personal_names[{i}]: {s!r} is not an alias of any actor")
    return Registry(path, version, actors, tuple(phrases), tuple(patterns), frozenset(names))


def _check_patterns(patterns: Sequence[BlockerPattern], path: Path) -> None:
    from spacy.vocab import Vocab

    matcher = Matcher(Vocab(), validate=True)
    for i, p in enumerate(patterns):
        try:
            matcher.add(p.name, [list(p.pattern)])
        except Exception as exc:  # spaCy raises ValueError/MatchPatternError with details
            first = str(exc).strip().splitlines()
            raise ConfigError(f"{path}: blockers.patterns[{i}] ({p.name}): invalid pattern: "
                              f"{' '.join(first[:3])}") from None


# --- matching primitives, shared with countries -----------------------------


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))


def variants(text: str) -> set[str]:
    """The spellings a form matches: as written, without accents, in ALL CAPS
    (four letters or more, so "Xi" never matches "XI"), and with every word
    capitalised for multi-word forms (headline case)."""
    forms = {text, strip_accents(text)}
    if " " in text:
        forms |= {" ".join(w[:1].upper() + w[1:] for w in f.split(" ")) for f in list(forms)}
    if sum(c.isalpha() for c in text) >= 4:
        forms |= {f.upper() for f in list(forms)}
    return forms


def longest_first(candidates: Iterable[tuple[int, int, Any]]) -> list[tuple[int, int, Any]]:
    """Non-overlapping candidates, preferring longer, then earlier spans."""
    taken: set[int] = set()
    chosen = []
    for start, end, payload in sorted(candidates, key=lambda c: (c[0] - c[1], c[0])):
        if any(i in taken for i in range(start, end)):
            continue
        taken.update(range(start, end))
        chosen.append((start, end, payload))
    chosen.sort(key=lambda c: c[0])
    return chosen


class Blockers:
    """Phrase (case-insensitive) and token-pattern blockers.

    Token patterns run only in small windows around their anchor tokens (a
    required ORTH/TEXT value such as "Chinese"), which keeps them cheap on long
    texts; a pattern without an anchor makes them run over the whole doc.
    """

    def __init__(self, nlp: Language, phrases: Iterable[str],
                 patterns: Iterable[BlockerPattern] = ()) -> None:
        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        forms = sorted({v for p in phrases for v in (p, strip_accents(p))})
        if forms:
            self.phrases.add("narratives-blocker", list(nlp.tokenizer.pipe(forms)))
        self.patterns = Matcher(nlp.vocab)
        anchors: set[int] | None = set()
        self.window: int | None = 0
        for p in patterns:
            self.patterns.add(p.name, [list(p.pattern)])
            found = _anchors(p.pattern)
            length = _max_length(p.pattern)
            anchors = None if anchors is None or not found else anchors | {
                nlp.vocab.strings.add(a) for a in found}
            self.window = None if self.window is None or length is None else max(
                self.window, length)
        self.anchors = None if anchors is None or self.window is None else np.array(
            sorted(anchors), dtype="uint64")

    def __call__(self, doc: Doc) -> list[tuple[int, int, None]]:
        return self.phrase_spans(doc) + self.pattern_spans(doc)

    def phrase_spans(self, doc: Doc) -> list[tuple[int, int, None]]:
        return [(s, e, None) for _, s, e in self.phrases(doc)]

    def pattern_spans(self, doc: Doc) -> list[tuple[int, int, None]]:
        if not len(self.patterns):
            return []
        if self.anchors is None or self.window is None:
            return [(s, e, None) for _, s, e in self.patterns(doc)]
        hits = np.flatnonzero(np.isin(doc.to_array(ORTH), self.anchors))
        spans: set[tuple[int, int, None]] = set()
        lo = hi = -1
        for i in hits.tolist() + [None]:
            if i is not None and lo != -1 and i - self.window + 1 <= hi:
                hi = min(len(doc), i + self.window)
                continue
            if lo != -1:
                spans.update((sp.start, sp.end, None)
                             for sp in self.patterns(doc[lo:hi], as_spans=True))
            if i is not None:
                lo, hi = max(0, i - self.window + 1), min(len(doc), i + self.window)
        return sorted(spans, key=lambda t: t[0])


def _anchors(pattern: Sequence[dict[str, Any]]) -> set[str]:
    """Values of a required ORTH/TEXT token spec: a match must contain one of them."""
    for spec in pattern:
        if "OP" in spec:
            continue
        for attr in ("ORTH", "TEXT"):
            value = spec.get(attr)
            if isinstance(value, str):
                return {value}
            if isinstance(value, dict) and set(value) == {"IN"}:
                return {str(v) for v in value["IN"]}
    return set()


def _max_length(pattern: Sequence[dict[str, Any]]) -> int | None:
    """Tokens a match can span, or None when unbounded."""
    if any(spec.get("OP") not in (None, "?", "!") for spec in pattern):
        return None
    return len(pattern)


class FormIndex:
    """A PhraseMatcher over case-aware forms, each with a payload."""

    def __init__(self, nlp: Language, forms: Iterable[tuple[str, Any]], prefix: str) -> None:
        self.matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.payloads: dict[int, Any] = {}
        self.single: dict[str, Any] = {}  # one-token spellings, for hyphenated tokens
        for i, (text, payload) in enumerate(forms):
            key = f"{prefix}-{i}"
            docs = list(nlp.tokenizer.pipe(sorted(variants(text))))
            self.matcher.add(key, docs)
            self.payloads[nlp.vocab.strings[key]] = payload
            for d in docs:
                if len(d) == 1:
                    self.single.setdefault(d.text, payload)

    def __call__(self, doc: Doc) -> list[tuple[int, int, Any]]:
        return [(s, e, self.payloads[key]) for key, s, e in self.matcher(doc)]

    def in_hyphenated(self, doc: Doc, covered: set[int],
                      text: str | None = None) -> list[tuple[int, str, Any]]:
        """Forms inside tokens spaCy keeps whole ("U.S.-led", "U.S.-China"):
        (token index, part, payload) for each hyphen-separated part that is a form."""
        if text is None:
            text = doc.text
        if "-" not in text or not self.single:
            return []
        offsets = doc.to_array("IDX")
        found: list[tuple[int, str, Any]] = []
        done: set[int] = set()
        for m in _HYPHEN.finditer(text):
            i = int(np.searchsorted(offsets, m.start(), side="right")) - 1
            if i in done or i in covered:
                continue
            done.add(i)
            token = doc[i]
            if "-" not in token.text or token.is_punct:
                continue
            for part in token.text.split("-"):
                payload = self.single.get(part)
                if payload is not None:
                    found.append((i, part, payload))
        return found


def containing_entity(ents: Sequence[Span], start: int, end: int) -> Span | None:
    """The entity (of `ents`, in doc order) that contains tokens [start, end)."""
    for ent in ents:
        if ent.start <= start and end <= ent.end:
            return ent
        if ent.start > start:
            break
    return None


# --- actors -----------------------------------------------------------------


class ActorMatcher:
    """Finds the registry's actors in docs of one spaCy pipeline."""

    def __init__(self, registry: Registry, nlp: Language) -> None:
        self.registry = registry
        self.index = FormIndex(nlp, ((a.text, a) for a in registry.aliases), "narratives-alias")
        self.blockers = Blockers(nlp, registry.blocker_phrases, registry.blocker_patterns)
        self.personal_names = registry.personal_names

    def find(
        self,
        doc: Doc,
        *,
        ents: Sequence[Span] | None = None,
        pattern_blocks: list[tuple[int, int, None]] | None = None,
        text: str | None = None,
    ) -> list[Match]:
        """Actor mentions in `doc`, in text order, after blockers and ambiguity rules.

        `ents` (doc.ents), `pattern_blocks` (self.blockers.pattern_spans(doc)) and
        `text` (doc.text) may be passed when the caller already has them.
        """
        if pattern_blocks is None:
            pattern_blocks = self.blockers.pattern_spans(doc)
        candidates = self.index(doc) + self.blockers.phrase_spans(doc) + pattern_blocks
        chosen = longest_first(candidates)
        covered = {i for s, e, _ in chosen for i in range(s, e)}
        matches: list[Match] = []
        for s, e, a in chosen:
            if a is None:
                continue
            if a.text in self.personal_names:
                if ents is None:
                    ents = doc.ents
                if self._part_of_a_name(doc, ents, s, e):
                    continue
            matches.append(Match(s, e, a.actor, a.kind, doc[s:e].text))
        for i, part, a in self.index.in_hyphenated(doc, covered, text=text):
            matches.append(Match(i, i + 1, a.actor, a.kind, part))
        matches.sort(key=lambda m: m.start)
        return matches

    @staticmethod
    def _part_of_a_name(doc: Doc, ents: Sequence[Span], start: int, end: int) -> bool:
        """'Denzel Washington', 'Washington Irving': an alias that is also a personal
        name, with another capitalised word next to it inside the same named entity,
        is that person (or a place named after one), not the actor."""
        ent = containing_entity(ents, start, end)
        if ent is None:
            return False

        def capitalised(i: int) -> bool:
            return doc[i].text[:1].isupper() and not doc[i].is_punct

        return (ent.start < start and capitalised(start - 1)) or (
            end < ent.end and capitalised(end))


class MatchIndex:
    """The matches of one doc by start token, so the few that can overlap an entity
    are found by bisection: `resolve` over every match, for every entity, grows with
    the square of an article's length."""

    def __init__(self, matches: Sequence[Match]) -> None:
        self.matches = matches
        self.order = sorted(range(len(matches)), key=lambda i: matches[i].start)
        self.starts = [matches[i].start for i in self.order]
        self.longest = max((m.end - m.start for m in matches), default=0)

    def resolve(self, ent: Span) -> Match | None:
        """`resolve(ent, matches)`, looking only at matches that start close enough."""
        lo = bisect_right(self.starts, ent.start - self.longest)
        hi = bisect_left(self.starts, ent.end)
        return resolve(ent, [self.matches[i] for i in sorted(self.order[lo:hi])])


def resolve(ent: Span, matches: Sequence[Match]) -> Match | None:
    """The actor an entity refers to: the longest (then first) actor mention that
    overlaps it ("Taipei" inside the mention "Chinese Taipei" is Taiwan)."""
    inside = [m for m in matches if m.start < ent.end and ent.start < m.end]
    if not inside:
        return None
    return max(inside, key=lambda m: (m.end - m.start, -m.start))
