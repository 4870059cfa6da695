"""What a newspaper page becomes: one `Article` per story.

`Article.text` is the clean body: paragraphs joined back across column breaks, separated by a
single "\n". Character offsets of chunks and citations refer to this text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

__all__ = ["Article", "article_id"]


def article_id(title: str, text: str) -> str:
    """Stable id from content: the same story always gets the same id, a changed one a new id."""
    digest = hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()
    return digest[:16]


@dataclass(frozen=True)
class Article:
    title: str
    text: str
    source: str
    subtitle: str = ""
    reporter: str = ""
    date: str | None = None  # ISO yyyy-mm-dd publication date; None when unknown (never invented)
    url: str = ""
    external_id: str = ""  # the id a JSONL export gave the article, kept for reference
    id: str = field(init=False)  # content hash, so a rebuild recognises unchanged stories

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", article_id(self.title, self.text))

    @property
    def paragraphs(self) -> list[str]:
        return self.text.split("\n")
