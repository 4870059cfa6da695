"""转版: a story that runs out of room goes on on another page, `（下转第3版）` at the end of the
first part and `（上接第1版）` under the repeated headline at the start of the rest.

Shared by the readers whose parts arrive as separate stories (Founder page XML, e-paper article
pages): each part says its page and the pages it goes on to or comes from; `join_continuations`
chains them, preferring the part with the same headline where a page holds several. The page-PDF
layout joins lines, not stories, and keeps its own chaining (`embeddings.sources.printed.layout`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol, TypeVar

__all__ = ["MARKER", "Part", "join_continuations", "page_key", "split_markers"]

MARKER = re.compile(r"[（(]\s*(?P<kind>下转|上接)\s*(?:第\s*)?(?P<page>[A-Za-z]?\d{1,3})\s*版?\s*[)）]")
_PAGE_CODE = re.compile(r"([A-Za-z]?)0*(\d+)")
_NOISE = re.compile(r"[\s\W_]+")


class Part(Protocol):
    @property
    def page(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def continues_on(self) -> str: ...  # 下转: the page its text goes on to
    @property
    def continued_from(self) -> str: ...  # 上接: the page its text comes from


P = TypeVar("P", bound=Part)


def page_key(page: str) -> str:
    """A 版次 for comparing: `第A03版`, `A3`, `a03` → `A3`; `03`, `3` → `3`."""
    found = _PAGE_CODE.search(page)
    return f"{found.group(1).upper()}{found.group(2)}" if found else page.strip()


def split_markers(lines: Sequence[str]) -> tuple[tuple[str, ...], str, str]:
    """The lines without 下转/上接 markers (page furniture), the 下转 page and the 上接 page."""
    markers = {found.group("kind"): found.group("page") for line in lines for found in MARKER.finditer(line)}
    kept = tuple(text for text in (MARKER.sub("", line).strip() for line in lines) if text)
    return kept, markers.get("下转", ""), markers.get("上接", "")


def join_continuations(parts: Sequence[P]) -> list[tuple[P, list[P]]]:
    """Each part that continues no other, with the parts its text goes on in, in reading order."""
    follows: dict[int, int] = {}  # a part → the part its text goes on in
    for i, part in enumerate(parts):
        if not part.continues_on:
            continue
        # Neither a part already placed nor one of the parts before this one (no loops).
        before = {later: head for head, later in follows.items()}
        taken = {i, *follows.values()}
        head = i
        while head in before:
            head = before[head]
            taken.add(head)
        found = _continuation(part, parts, taken)
        if found is not None:
            follows[i] = found
    joined = []
    for i, part in enumerate(parts):
        if i in follows.values():
            continue
        rest, k = [], follows.get(i)
        while k is not None:
            rest.append(parts[k])
            k = follows.get(k)
        joined.append((part, rest))
    return joined


def _continuation(part: Part, parts: Sequence[Part], taken: set[int]) -> int | None:
    """The part on the page `part` goes on to that says it comes from `part`'s page."""
    candidates = [
        k
        for k, other in enumerate(parts)
        if k not in taken
        and page_key(other.page) == page_key(part.continues_on)
        and page_key(other.continued_from) == page_key(part.page)
    ]
    same_title = [k for k in candidates if _same_headline(parts[k].title, part.title)]
    if same_title:
        return same_title[0]
    return candidates[0] if len(candidates) == 1 else None


def _same_headline(one: str, other: str) -> bool:
    one, other = _NOISE.sub("", one), _NOISE.sub("", other)
    return bool(one and other) and (one in other or other in one)
