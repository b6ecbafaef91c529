"""Helpers for tests that run the real spaCy pipeline, loaded once per session.

Each test module declares its own `analyzer` fixture returning `shared_analyzer()`,
so nothing here depends on the lead's conftest.
"""

from __future__ import annotations

import functools

from narratives.analyze import Analyzer
from narratives.records import Analysis


@functools.cache
def shared_analyzer() -> Analyzer:
    return Analyzer()


def analyze_one(analyzer: Analyzer, text: str, title: str = "") -> Analysis:
    [analysis] = analyzer.analyze([("t", title, text)])
    return analysis


def actors_in(analyzer: Analyzer, text: str) -> set[str]:
    return {m.actor for m in analyze_one(analyzer, text).actors}
