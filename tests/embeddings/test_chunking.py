"""Chunking: sentence splitting and packing, as properties over generated Chinese-like text."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embeddings.articles import Article
from embeddings.chunking import Chunk, chunk_article, split_long, split_sentences
from embeddings.settings import ChunkingSettings

# The documented contract (chunking.py docstring), restated independently of the module's regexes.
TERMINATORS = "。！？!?；;…"
CLOSERS = "”’」』）)]】\"'"
CLAUSE_MARKS = "，,、：:"
TERMINATOR_RUN = re.compile(f"[{re.escape(TERMINATORS)}]+[{re.escape(CLOSERS)}]*")
SENTENCE_TAIL = re.compile(f"[{re.escape(TERMINATORS)}][{re.escape(CLOSERS)}]*$")

# --- generated text ---------------------------------------------------------------------------

HANZI = "武进区委书记乔俊杰前黄浜全长公里调研乡村振兴工作会议召开协作汉滨政协人大常委"
words = st.text(alphabet=HANZI + "0123456789.%ABCxyz", min_size=1, max_size=14)
inner_marks = st.sampled_from([*CLAUSE_MARKS, "“", "”", "」", "）", " ", "  "])
enders = st.sampled_from([*TERMINATORS, "。”", "！」", "？）", "……", "。”」", "\n", "\n\n", "。\n"])
clauses = st.lists(st.one_of(words, inner_marks), min_size=1, max_size=8).map("".join)
# Sentences far longer than any chunk, without a single punctuation mark (tables, OCR run-ons).
run_ons = st.integers(min_value=50, max_value=700).map(lambda n: (HANZI * 40)[:n])
run_on_digits = st.integers(min_value=30, max_value=300).map(lambda n: "2024" * (n // 4))
# Most sentences end in a terminator or a line break; some run on into the next one.
sentences = st.tuples(
    st.one_of(clauses, clauses, clauses, run_ons, run_on_digits), st.one_of(enders, enders, st.just(""))
).map("".join)
texts = st.lists(sentences, max_size=40).map("".join)
# News-like text: many short sentences, so that overlaps actually happen.
short_sentences = st.tuples(words, st.sampled_from(["", *CLAUSE_MARKS]), words, enders).map("".join)
news_texts = st.lists(short_sentences, min_size=3, max_size=40).map("".join)
chunkings = st.integers(min_value=20, max_value=300).flatmap(
    lambda size: st.builds(
        ChunkingSettings, size=st.just(size), overlap=st.integers(min_value=0, max_value=size // 2 - 1)
    )
)
overlapping_chunkings = st.integers(min_value=20, max_value=120).flatmap(
    lambda size: st.builds(
        ChunkingSettings, size=st.just(size), overlap=st.integers(min_value=8, max_value=size // 2 - 1)
    )
)

PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _article(text: str) -> Article:
    return Article(title="标题", text=text, source="gen.txt", reporter="记者", date="2024-06-28")


def _units(text: str, size: int) -> list[tuple[int, int]]:
    """What chunks are packed from, per the contract: sentences, over-long ones cut by split_long."""
    units = []
    for start, end in split_sentences(text):
        units.extend(split_long(text, start, end, size) if end - start > size else [(start, end)])
    return units


def _uncovered(text: str, spans: list[tuple[int, int]]) -> list[int]:
    covered = bytearray(len(text))
    for start, end in spans:
        covered[start:end] = b"\x01" * (end - start)
    return [i for i, char in enumerate(text) if not char.isspace() and not covered[i]]


def _check_chunks(article: Article, chunks: list[Chunk], chunking: ChunkingSettings) -> None:
    """Every guarantee of chunk_article that holds for any text."""
    text, size = article.text, chunking.size
    for chunk in chunks:
        assert chunk.text == text[chunk.start : chunk.end]
        assert 0 < chunk.end - chunk.start <= size
        assert (chunk.article_id, chunk.title, chunk.date, chunk.reporter, chunk.source) == (
            article.id, article.title, article.date, article.reporter, article.source,
        )  # fmt: skip
        assert chunk.id == f"{article.id}:{chunk.start}-{chunk.end}"
        assert chunk.keyword_text == f"{article.title}\n{chunk.text}"
    assert _uncovered(text, [(c.start, c.end) for c in chunks]) == []
    for previous, following in pairwise(chunks):
        assert previous.start < following.start and previous.end < following.end  # in order, progress
        assert previous.end - following.start <= chunking.overlap  # overlap bounded (negative = gap)

    sentences = split_sentences(text)
    long_sentences = [(s, e) for s, e in sentences if e - s > size]
    starts, ends = {s for s, _ in sentences}, {e for _, e in sentences}
    for chunk in chunks:  # a chunk is cut mid-sentence only inside a sentence longer than `size`
        assert chunk.start in starts or any(s < chunk.start < e for s, e in long_sentences)
        assert chunk.end in ends or any(s < chunk.end < e for s, e in long_sentences)

    # Greedy packing: chunks start and end on unit boundaries, and the unit after a chunk did not fit.
    units = _units(text, size)
    unit_starts, unit_ends = {s for s, _ in units}, {e for _, e in units}
    for chunk in chunks:
        assert chunk.start in unit_starts and chunk.end in unit_ends
        following = [e for s, e in units if s >= chunk.end]
        if following:
            assert following[0] - chunk.start > size
    if units:
        assert chunks[0].start == units[0][0] and chunks[-1].end == units[-1][1]
    # The next chunk repeats as many trailing units of the previous one as fit: within `overlap`,
    # and leaving room for the unit after the previous chunk. One more unit would break a limit.
    index_of = {start: i for i, (start, _) in enumerate(units)}
    for previous, following in pairwise(chunks):
        k = index_of[following.start]
        after = next(e for s, e in units if s >= previous.end)
        if units[k - 1][0] > previous.start:
            one_more = units[k - 1][0]
            assert previous.end - one_more > chunking.overlap or after - one_more > size


# --- split_sentences ----------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(texts)
def test_split_sentences_properties(text: str) -> None:
    sentences = split_sentences(text)
    assert _uncovered(text, sentences) == []
    for start, end in sentences:
        sentence = text[start:end]
        assert sentence and sentence == sentence.strip()
        assert "\n" not in sentence  # a paragraph break always ends a sentence
        for match in TERMINATOR_RUN.finditer(sentence):  # terminators (+ closers) only at the end
            assert match.end() == len(sentence), (sentence, match)
    for (_, end), (start, _) in pairwise(sentences):
        gap = text[end:start]
        assert end <= start and gap.strip() == ""
        assert SENTENCE_TAIL.search(text[:end]) or "\n" in gap  # split only where the text says so


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        (" \n\n ", []),
        ("甲乙。丙丁！戊己？", ["甲乙。", "丙丁！", "戊己？"]),
        ("他说：“好。”然后走了。", ["他说：“好。”", "然后走了。"]),  # the closing quote stays
        ("真的吗？！」他问……对；", ["真的吗？！」", "他问……", "对；"]),
        ("第一段没有句号\n  第二段\n\n第三段。", ["第一段没有句号", "第二段", "第三段。"]),
        ("共2.3公里,途经集镇", ["共2.3公里,途经集镇"]),  # a decimal point or comma ends nothing
    ],
)
def test_split_sentences_examples(text: str, expected: list[str]) -> None:
    assert [text[s:e] for s, e in split_sentences(text)] == expected


# --- split_long ---------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(texts, st.integers(min_value=20, max_value=300))
def test_split_long_cuts_at_clauses_else_hard_at_size(text: str, size: int) -> None:
    for start, end in split_sentences(text):
        pieces = split_long(text, start, end, size)
        assert [i for i in range(start, end) if not text[i].isspace() and not any(
            s <= i < e for s, e in pieces
        )] == []  # fmt: skip
        for piece_start, piece_end in pieces:
            assert start <= piece_start < piece_end <= end
            assert piece_end - piece_start <= size
            at_clause = text[piece_end - 1] in CLAUSE_MARKS
            # A piece ends at a clause mark or the sentence end; a hard cut only makes a full-size piece,
            # less any whitespace trimmed off its ends.
            trimmed = (piece_end < len(text) and text[piece_end].isspace()) or text[piece_start - 1].isspace()
            assert piece_end == end or at_clause or piece_end - piece_start == size or trimmed
        for (_, previous_end), (following_start, _) in pairwise(pieces):
            assert previous_end <= following_start


def test_split_long_prefers_clause_marks() -> None:
    text = "甲" * 15 + "，" + "乙" * 15 + "、" + "丙" * 8 + "。"
    pieces = [text[s:e] for s, e in split_long(text, 0, len(text), 20)]
    assert pieces == ["甲" * 15 + "，", "乙" * 15 + "、", "丙" * 8 + "。"]


def test_split_long_cuts_a_clause_without_marks_hard() -> None:
    text = "无" * 50
    assert split_long(text, 0, 50, 20) == [(0, 20), (20, 40), (40, 50)]


def test_split_long_merges_short_clauses() -> None:
    text = "甲乙，丙丁，戊己，" + "庚" * 30
    assert [text[s:e] for s, e in split_long(text, 0, len(text), 20)] == [
        "甲乙，丙丁，戊己，", "庚" * 20, "庚" * 10,
    ]  # fmt: skip


# --- chunk_article ------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(texts, chunkings)
def test_chunk_article_properties(text: str, chunking: ChunkingSettings) -> None:
    article = _article(text)
    _check_chunks(article, chunk_article(article, chunking), chunking)


@PROPERTY_SETTINGS
@given(news_texts, overlapping_chunkings)
def test_chunk_article_properties_on_news_like_text(text: str, chunking: ChunkingSettings) -> None:
    article = _article(text)
    _check_chunks(article, chunk_article(article, chunking), chunking)


def test_whitespace_only_article_has_no_chunks() -> None:
    assert chunk_article(_article(" \n\n  \n"), ChunkingSettings()) == []


def test_short_article_is_one_chunk() -> None:
    article = _article("\n前黄浜全长2.3公里。途经前黄集镇区约1.2公里。\n")
    (chunk,) = chunk_article(article, ChunkingSettings())
    assert chunk.text == "前黄浜全长2.3公里。途经前黄集镇区约1.2公里。"
    assert (chunk.start, chunk.end) == (1, len(article.text) - 1)


def test_next_chunk_repeats_the_last_sentences_within_overlap() -> None:
    # Five 5-char sentences; size 20 takes four, overlap 8 repeats only the last one (two would be 10).
    article = _article("甲乙丙丁。戊己庚辛！壬癸子丑？寅卯辰巳；午未申酉。")
    chunks = chunk_article(article, ChunkingSettings(size=20, overlap=8))
    assert [(c.start, c.end) for c in chunks] == [(0, 20), (15, 25)]
    assert chunks[1].text == "寅卯辰巳；午未申酉。"


def test_zero_overlap_chunks_do_not_overlap() -> None:
    article = _article("甲乙丙丁。戊己庚辛！壬癸子丑？寅卯辰巳；午未申酉。")
    chunks = chunk_article(article, ChunkingSettings(size=20, overlap=0))
    assert [(c.start, c.end) for c in chunks] == [(0, 20), (20, 25)]


def test_overlap_never_blocks_the_next_sentence() -> None:
    # Repeating sentence 2 (10 chars) would leave no room for the 15-char sentence 3 within size 20.
    text = "甲" * 9 + "。" + "乙" * 9 + "。" + "丙" * 14 + "。"
    chunks = chunk_article(_article(text), ChunkingSettings(size=20, overlap=9))
    assert [c.text for c in chunks] == ["甲" * 9 + "。" + "乙" * 9 + "。", "丙" * 14 + "。"]


def test_sentence_longer_than_size_is_cut_and_neighbours_stay_whole() -> None:
    text = "短句一。" + "长" * 45 + "。短句二。"
    chunks = chunk_article(_article(text), ChunkingSettings(size=20, overlap=0))
    _check_chunks(_article(text), chunks, ChunkingSettings(size=20, overlap=0))
    assert chunks[0].text.startswith("短句一。")
    assert chunks[-1].text.endswith("短句二。")
    assert all(len(c.text) <= 20 for c in chunks)


def test_no_chunk_is_blank_or_padded_with_whitespace() -> None:
    text = "甲" + " " * 45 + "乙"  # one clause of 47 chars with a wide gap (e.g. an OCR'd table row)
    chunks = chunk_article(_article(text), ChunkingSettings(size=20, overlap=0))
    assert all(c.text.strip() == c.text != "" for c in chunks), [c.text for c in chunks]


# --- the bundled sample -------------------------------------------------------------------------


@pytest.mark.parametrize("chunking", [ChunkingSettings(), ChunkingSettings(size=20, overlap=9),
                                      ChunkingSettings(size=500, overlap=200)], ids=str)  # fmt: skip
def test_sample_articles_chunk_cleanly(sample_articles: list[Article], chunking: ChunkingSettings) -> None:
    assert len(sample_articles) == 7
    for article in sample_articles:
        chunks = chunk_article(article, chunking)
        assert chunks
        _check_chunks(article, chunks, chunking)


def test_sample_default_chunking_overlaps_and_keeps_facts_whole(sample_articles: list[Article]) -> None:
    chunking = ChunkingSettings()
    all_chunks = [c for a in sample_articles for c in chunk_article(a, chunking)]
    # Articles of ~1000 characters become several chunks, and some neighbours share sentences.
    assert len(all_chunks) > 3 * len(sample_articles)
    overlaps = [p.end - f.start for p, f in pairwise(all_chunks) if p.article_id == f.article_id]
    assert max(overlaps) > 0
    # A whole sentence with the answer to 前黄浜全长多少公里 sits inside one chunk.
    assert any("前黄浜全长2.3公里，途经前黄集镇区约1.2公里" in c.text for c in all_chunks)


# --- settings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "overlap"), [(19, 0), (4001, 0), (0, 0), (-5, 0), (220, -1), (220, 110), (220, 200), (20, 10)]
)
def test_chunking_settings_reject_bad_values(size: int, overlap: int) -> None:
    with pytest.raises(ValueError, match="chunk"):
        ChunkingSettings(size=size, overlap=overlap)


@pytest.mark.parametrize(("size", "overlap"), [(20, 0), (20, 9), (4000, 1999), (220, 60)])
def test_chunking_settings_accept_edges(size: int, overlap: int) -> None:
    assert ChunkingSettings(size=size, overlap=overlap).size == size
