"""Plain frozen records passed between stages. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PublishedSource = Literal["published", "updated", "fetched"]


@dataclass(frozen=True)
class Feed:
    """One entry of feeds.yaml."""

    name: str
    url: str
    outlet: str | None = None
    country: str | None = None
    language: str | None = None
    state_backed: bool | None = None
    tags: tuple[str, ...] = ()
    enabled: bool = True


@dataclass(frozen=True)
class Article:
    """One feed entry, normalised. ``id`` is derived from the canonical URL
    (or guid, or content) so the same story always gets the same key."""

    id: str
    feed: str
    url: str | None
    canonical_url: str | None
    guid: str | None
    title: str
    text: str
    published: str  # ISO 8601, UTC, "YYYY-MM-DDTHH:MM:SSZ"
    published_source: PublishedSource
    author: str | None
    language: str | None
    content_hash: str


@dataclass(frozen=True)
class Entity:
    """A named entity of a useful type, aggregated per article."""

    text: str
    label: str
    count: int
    actor: str | None = None
    actor_kind: str | None = None
    sentences: tuple[int, ...] = ()  # indexes into Analysis.sentences


@dataclass(frozen=True)
class ActorMention:
    """An actor (US, China, ...) in one article, through its aliases and entities."""

    actor: str
    mentions: int
    entities: tuple[tuple[str, str], ...] = ()  # (surface text, kind)
    sentences: tuple[int, ...] = ()  # indexes into Analysis.sentences


@dataclass(frozen=True)
class CountryMention:
    """A country the article mentions; ``focus`` says it is about it."""

    code: str
    name: str
    mentions: int
    weight: float
    focus: bool


@dataclass(frozen=True)
class ThemeScore:
    """A calibrated score for one theme; ``assigned`` after the theme's threshold."""

    theme: str
    score: float
    assigned: bool


@dataclass(frozen=True)
class ActorTone:
    """How one article portrays one actor, with the sentences that drove it."""

    actor: str
    tone: float  # [-1, 1]
    tone_label: Literal["positive", "neutral", "negative"]
    frame: Literal["partner", "rival", "threat", "none"]
    frame_score: float
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class Analysis:
    """Everything derived from one article's text, with what produced it."""

    article_id: str
    sentences: tuple[str, ...] = ()
    entities: tuple[Entity, ...] = ()
    actors: tuple[ActorMention, ...] = ()
    countries: tuple[CountryMention, ...] = ()
    themes: tuple[ThemeScore, ...] = ()
    tones: tuple[ActorTone, ...] = ()
    provenance: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FeedResult:
    """Outcome of one feed in one ingest run."""

    feed: str
    ok: bool
    status: int | None = None
    not_modified: bool = False
    skipped: bool = False  # backing off after repeated failures
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    error: str | None = None


@dataclass(frozen=True)
class RunSummary:
    """Totals of one ingest run."""

    run_id: int
    feeds_ok: int
    feeds_failed: int
    feeds_skipped: int
    new: int
    updated: int
    unchanged: int
    results: tuple[FeedResult, ...] = ()

    @property
    def exit_code(self) -> int:
        """0 only when every selected feed succeeded: a feed backing off after repeated
        failures was not fetched, so a scheduled run must not look like a success."""
        return 1 if self.feeds_failed or self.feeds_skipped else 0
