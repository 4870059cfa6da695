"""The same story read twice is indexed once, with every place it was printed.

Exact copies share an article id (a content hash). Reprints differ in a character here and
there (a corrected typo, another byline line, a headline re-cut for another page), so near
copies are found with MinHash LSH (`datasketch`) over character 5-grams of the text and merged
when their estimated Jaccard similarity is at least `NEAR_DUPLICATE_JACCARD`. A story reprinted
with real edits (a paragraph cut, a new lead, another day) stays two articles, each true to its
page, and is grouped with the first one at `REPRINT_JACCARD` (`reprint_groups`), so archive
counts count it once and show the grouping. Shingles are
hashed with CRC-32 (C speed, the same in every process) instead of datasketch's SHA-1, which
took most of the time on an archive. One warning is given per pair of files, however many
stories they share.
"""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from embeddings.articles import Article, Placement

__all__ = [
    "NEAR_DUPLICATE_JACCARD",
    "REPRINT_JACCARD",
    "Merged",
    "merge_duplicates",
    "placement_of",
    "reprint_groups",
]

NEAR_DUPLICATE_JACCARD = 0.9
# Half the 5-gram shingles in common: two different stories on one topic share far fewer (their
# wording differs), while a reprint with a re-cut lead or a dropped paragraph keeps most of them.
# Templated stories (李强举行仪式欢迎X总理访华) share as much, so a reprint must also keep the
# facts: no name, place or number of one replaced by another in the other (`_same_facts`).
REPRINT_JACCARD = 0.5
# A replaced passage longer than this is a cut paragraph next to an edit, not one name for another.
_SUBSTITUTION_CHARS = 12
_FACT_TAGS = frozenset({"nr", "nrfg", "nrt", "ns", "nt", "nz", "m"})  # jieba: names, places, numbers
_SHINGLE = 5
_PERMUTATIONS = 128
_CANDIDATE_MARGIN = 0.1
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


def _jaccard(first: set[bytes], second: set[bytes]) -> float:
    return len(first & second) / len(first | second)


def _near_copies(
    articles: Sequence[Article],
    threshold: float = NEAR_DUPLICATE_JACCARD,
    agree: Callable[[Article, Article], bool] | None = None,
) -> dict[int, int]:
    """Index of each near copy → index of the first article it copies (and `agree`s with)."""
    from datasketch import MinHash, MinHashLSH

    # LSH finds candidates a margin below the threshold, since its estimate of a pair's
    # similarity is off by ~0.04 at 128 permutations; the exact Jaccard of the two shingle sets
    # decides, so neither a band collision nor an unlucky estimate decides a merge.
    lsh = MinHashLSH(threshold=threshold - _CANDIDATE_MARGIN, num_perm=_PERMUTATIONS)
    # One set of permutations for all sketches: each MinHash would otherwise draw its own (the
    # same, from the same seed), which took most of the time on a large archive.
    template = MinHash(num_perm=_PERMUTATIONS, hashfunc=zlib.crc32)
    copies: dict[int, int] = {}
    for i, article in enumerate(articles):
        if len(article.text) < _MIN_CHARS:
            continue
        shingles = _shingles(article.text)
        sketch = MinHash(
            num_perm=_PERMUTATIONS,
            hashfunc=zlib.crc32,
            permutations=template.permutations,
            scheme=template.scheme,
        )
        sketch.update_batch(list(shingles))
        candidates = sorted(int(key) for key in lsh.query(sketch))
        match = next(
            (
                k
                for k in candidates
                if _jaccard(shingles, _shingles(articles[k].text)) >= threshold
                and (agree is None or agree(articles[k], article))
            ),
            None,
        )
        if match is not None:
            copies[i] = match
            continue
        lsh.insert(str(i), sketch)
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


def reprint_groups(articles: Sequence[Article]) -> dict[str, str]:
    """Article id of each reprint → id of the first article of its story (publication order).

    Only articles that have a reprint appear; the first of a group maps to itself."""
    ordered = sorted(articles, key=lambda a: (a.date or "", a.id))
    groups: dict[str, str] = {}
    for copy, original in _near_copies(ordered, REPRINT_JACCARD, _same_facts).items():
        first = ordered[original].id
        groups[first] = first
        groups[ordered[copy].id] = first
    return groups


@lru_cache(maxsize=1)
def _tagger():  # -> jieba.posseg.POSTokenizer over a private dictionary
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    return jieba.posseg.POSTokenizer(jieba.Tokenizer())


@lru_cache(maxsize=4096)  # an article is compared with each of its candidates: cut it once
def _words(text: str) -> tuple[str, ...]:
    return tuple(_tagger().tokenizer.cut(text))


def _holds_fact(words: Sequence[str]) -> bool:
    """Whether the words hold a name, place or number. Only the few short replaced passages are
    tagged (jieba's POS tagger reads ~50k characters/s: tagging whole stories took minutes)."""
    passage = "".join(words)
    return any(c.isdigit() for c in passage) or any(w.flag in _FACT_TAGS for w in _tagger().cut(passage))


def _same_facts(first: Article, second: Article) -> bool:
    """Whether the two texts differ only by additions, cuts and edits that change no name,
    place or number: a few words of one replaced by others that hold a fact (马尔代夫 for
    塞拉利昂, 2.31亿元 for 5355万元) make two stories of one template. The texts are compared
    as words: as characters, difflib took seconds on a pair of long, similar stories."""
    from difflib import SequenceMatcher

    words_a = _words(f"{first.title}\n{first.text}")
    words_b = _words(f"{second.title}\n{second.text}")
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, words_a, words_b, autojunk=False).get_opcodes():
        replaced = max(sum(map(len, words_a[i1:i2])), sum(map(len, words_b[j1:j2])))
        if (
            tag == "replace"
            and replaced <= _SUBSTITUTION_CHARS
            and (_holds_fact(words_a[i1:i2]) or _holds_fact(words_b[j1:j2]))
        ):
            return False
    return True


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
