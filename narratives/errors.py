"""Typed errors. Each carries what the user needs to fix the problem.

The CLI turns any ``NarrativesError`` into a one-line ``Error: ...`` and the
exit code in ``exit_code``; anything else is a bug and is allowed to surface.
"""

from __future__ import annotations


class NarrativesError(Exception):
    """Base class for foreseeable problems a user can fix."""

    exit_code = 1


class ConfigError(NarrativesError):
    """A configuration file (feeds.yaml, a registry, a label file) is invalid."""

    exit_code = 2


class UsageError(NarrativesError):
    """A command-line value is invalid (bad filter, unknown theme, ...)."""

    exit_code = 2


class FetchError(NarrativesError):
    """A feed could not be fetched. Stored on the feed; the run goes on."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ParseError(NarrativesError):
    """Fetched bytes are not a usable feed. Stored on the feed; the run goes on."""


class StoreError(NarrativesError):
    """The database cannot be opened or is not a narratives database."""


class LockedError(NarrativesError):
    """Another run holds the lock on this database."""


class ModelError(NarrativesError):
    """A model or spaCy pipeline is missing, corrupt or incompatible."""

    exit_code = 2


class InputError(NarrativesError):
    """An input file (JSON Lines, CSV) has a bad line; names the line."""
