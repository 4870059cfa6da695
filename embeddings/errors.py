"""Named errors with messages that say how to fix the call.

Library code raises these; only the CLI and the UI turn them into one-line messages and exit codes.
"""

from __future__ import annotations

__all__ = [
    "CorpusError",
    "IndexMismatchError",
    "IndexMissingError",
    "ModelError",
    "NewsqaError",
    "QuestionError",
]


class NewsqaError(Exception):
    """Base class: every error a user can cause and fix. `zh`: the same, said in Chinese for the
    chat and archive pages (the English message follows it there as the detail)."""

    def __init__(self, message: str, zh: str | None = None) -> None:
        super().__init__(message)
        self.zh = zh


class CorpusError(NewsqaError):
    """An input path or file could not be read as articles."""


class ModelError(NewsqaError):
    """The embedding model could not be found, converted or loaded."""


class IndexMissingError(NewsqaError):
    """No index exists at the given directory."""


class IndexMismatchError(NewsqaError):
    """The index was built with another model, chunking or schema version."""


class QuestionError(NewsqaError):
    """The question cannot be searched (empty, too long, nothing to match)."""
