"""The same story read twice is indexed once, with every place it was printed.

Exact copies share an article id (a content hash). Reprints differ in a character here and
there (a corrected typo, another byline line, a headline re-cut for another page), so near
copies are found with MinHash LSH (`datasketch`) over character 5-grams of the text and merged
when their estimated Jaccard similarity is at least `NEAR_DUPLICATE_JACCARD`. Shingles are
hashed with CRC-32 (C speed, the same in every process) instead of datasketch's SHA-1, which
took most of the time on an archive. One warning is given per pair of files, however many
stories they share.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

from embeddings.articles import Article, Placement

__all__ = ["NEAR_DUPLICATE_JACCARD", "Merged", "merge_duplicates", "placement_of"]

NEAR_DUPLICATE_JACCARD = 0.9
_SHINGLE = 5
_PERMUTATIONS = 128
_MIN_CHARS = 60  # below this a brief's wording is too generic to call two of them one story
_NOISE = re.compile(r"[\s\W_]+")


@dataclass(frozen=True)
class Merged:
    articles: list[Article]
    warnings: list[str]


def placement_of(article: Article) -> Placement:
    return Placement(article.source, article.page, article.page_name, article.date, article.url)


def _shingles(text: str) -> set[bytes]:
    compact = _NOISE.sub("", text)
    return {compact[i : i + _SHINGLE].encode() for i in range(max(1, len(compact) - _SHINGLE + 1))}


def _near_copies(articles: Sequence[Article]) -> dict[int, int]:
    """Index of each near copy → index of the first article it copies."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=NEAR_DUPLICATE_JACCARD, num_perm=_PERMUTATIONS)
    sketches: dict[int, MinHash] = {}
    copies: dict[int, int] = {}
    for i, article in enumerate(articles):
        if len(article.text) < _MIN_CHARS:
            continue
        sketch = MinHash(num_perm=_PERMUTATIONS, hashfunc=zlib.crc32)
        sketch.update_batch(list(_shingles(article.text)))
        # LSH finds candidates; the estimate decides, so a band collision is not a merge.
        candidates = (int(key) for key in lsh.query(sketch))
        matches = [k for k in candidates if sketches[k].jaccard(sketch) >= NEAR_DUPLICATE_JACCARD]
        if matches:
            copies[i] = min(matches)
            continue
        lsh.insert(str(i), sketch)
        sketches[i] = sketch
    return copies


def merge_duplicates(articles: Sequence[Article]) -> Merged:
    """The articles with each copy folded into the first one read (its places in `also_printed`)."""
    first_of_id: dict[str, int] = {}
    copy_of: dict[int, int] = {}
    for i, article in enumerate(articles):
        if article.id in first_of_id:
            copy_of[i] = first_of_id[article.id]
        else:
            first_of_id[article.id] = i
    distinct = [i for i in range(len(articles)) if i not in copy_of]
    for near, original in _near_copies([articles[i] for i in distinct]).items():
        copy_of[distinct[near]] = distinct[original]
    places: dict[int, list[Placement]] = {}
    shared: dict[tuple[str, str], list[tuple[Article, Article]]] = {}
    for i, original in sorted(copy_of.items()):
        copy, kept = articles[i], articles[original]
        places.setdefault(original, []).extend([placement_of(copy), *copy.also_printed])
        shared.setdefault((copy.source, kept.source), []).append((copy, kept))
    warnings = [_copies_warning(pairs) for pairs in shared.values()]
    merged = []
    for i, article in enumerate(articles):
        if i in copy_of:
            continue
        extra = [p for p in places.get(i, []) if p != placement_of(article) and p not in article.also_printed]
        unique = list(dict.fromkeys(extra))
        merged.append(replace(article, also_printed=(*article.also_printed, *unique)) if unique else article)
    return Merged(merged, warnings)


def _copies_warning(pairs: Sequence[tuple[Article, Article]]) -> str:
    copy, kept = pairs[0]
    where = copy.source if copy.source != kept.source else f"{copy.source} (again)"
    if len(pairs) > 1:
        return (
            f"{where}: {len(pairs)} articles repeat articles of {kept.source} (the first '{kept.title}'); "
            "each indexed once, both places recorded"
        )
    same = "the same article" if copy.id == kept.id else "a near copy of the article"
    return f"{where}: {same} '{kept.title}' of {kept.source}; indexed once, both places recorded"
