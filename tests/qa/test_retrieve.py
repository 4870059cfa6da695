"""Question -> passages: the one search path, with the real model on the bundled sample."""

from __future__ import annotations

import shutil
from dataclasses import fields, replace
from pathlib import Path

import pytest

from embeddings.articles import Article
from embeddings.build import BuildReport, build_index
from embeddings.chunking import Chunk
from embeddings.settings import ChunkingSettings, Settings
from embeddings.store.index import SearchIndex
from qa import IndexMismatchError, IndexMissingError, PassageHit, QuestionError, retrieve
from qa.retrieve import MAX_QUESTION_CHARS, RetrievalSettings, Retriever, get_retriever

TOP1_SHARE = 0.85
HIT_FIELDS = frozenset(
    ("text", "score", "article_id", "title", "subtitle", "date", "reporter", "source", "start", "end")
)


def _overlapping(hits: list[PassageHit]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    return [
        ((a.start, a.end), (b.start, b.end))
        for i, a in enumerate(hits)
        for b in hits[i + 1 :]
        if a.article_id == b.article_id and a.start < b.end and b.start < a.end
    ]


def _check_hits(hits: list[PassageHit], articles: dict[str, Article], k: int) -> None:
    assert 0 < len(hits) <= k
    for hit in hits:
        assert isinstance(hit, PassageHit) and {f.name for f in fields(hit)} >= HIT_FIELDS
        article = articles[hit.article_id]
        assert hit.text == article.text[hit.start : hit.end] and hit.text
        assert (hit.title, hit.subtitle, hit.date, hit.reporter, hit.source) == (
            article.title, article.subtitle, article.date, article.reporter, article.source,
        )  # fmt: skip
        assert hit.source.startswith("wujin/") and hit.reporter  # every sample story has a byline
        assert isinstance(hit.score, float) and hit.score > 0
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


@pytest.fixture(scope="module")
def retriever(sample_index: BuildReport, sample_settings: Settings) -> Retriever:
    return get_retriever(sample_settings)


@pytest.fixture(scope="module")
def answerable(eval_questions: list[dict]) -> list[dict]:
    questions = [q for q in eval_questions if q["article"]]
    assert len(questions) >= 20
    return questions


@pytest.fixture(scope="module")
def eval_hits(retriever: Retriever, answerable: list[dict]) -> dict[str, list[PassageHit]]:
    """Top-5 passages of every answerable eval question, searched once for all tests below."""
    return {q["id"]: retriever.search(q["question"], k=5) for q in answerable}


# --- the eval questions (slow) ------------------------------------------------------------------


@pytest.mark.slow
def test_expected_article_in_top5(answerable: list[dict], eval_hits: dict[str, list[PassageHit]]) -> None:
    misses = [
        (q["id"], q["question"], [hit.title for hit in eval_hits[q["id"]]])
        for q in answerable
        if q["article"] not in [hit.title for hit in eval_hits[q["id"]]]
    ]
    assert misses == []


@pytest.mark.slow
def test_expected_article_is_top1_for_most_questions(
    answerable: list[dict], eval_hits: dict[str, list[PassageHit]]
) -> None:
    wrong = [
        (q["id"], eval_hits[q["id"]][0].title)
        for q in answerable
        if eval_hits[q["id"]][0].title != q["article"]
    ]
    share = 1 - len(wrong) / len(answerable)
    assert share >= TOP1_SHARE, f"top-1 right for {share:.0%} of {len(answerable)} questions; wrong: {wrong}"


@pytest.mark.slow
def test_hits_are_exact_spans_of_their_articles(
    retriever: Retriever, eval_hits: dict[str, list[PassageHit]]
) -> None:
    for hits in eval_hits.values():
        _check_hits(hits, retriever.index.articles, 5)


@pytest.mark.slow
@pytest.mark.parametrize("k", [1, 10])
def test_k_bounds_the_passages(retriever: Retriever, answerable: list[dict], eval_hits, k: int) -> None:
    for question in answerable[:: len(answerable) // 4]:
        hits = retriever.search(question["question"], k=k)
        _check_hits(hits, retriever.index.articles, k)
        assert hits[0].title == eval_hits[question["id"]][0].title  # the best passage does not depend on k
        if k == 10:
            assert len(hits) > 5  # seven ~1000-char articles hold more than five disjoint passages


@pytest.mark.slow
def test_answer_passage_for_the_river_question(retriever: Retriever) -> None:
    (hit, *_) = retriever.search("前黄浜全长多少公里？")
    assert "2.3公里" in hit.text and hit.title == "乔俊杰督查突出环境问题整改工作推进情况"
    assert hit.reporter == "黄雅婷"


@pytest.mark.slow
def test_unanswerable_question_still_returns_passages(retriever: Retriever) -> None:
    hits = retriever.search("武进的GDP是多少？", k=3)  # retrieval never refuses; answering may
    _check_hits(hits, retriever.index.articles, 3)


@pytest.mark.slow
def test_question_without_keywords_uses_dense_search(retriever: Retriever) -> None:
    assert retriever.index.keyword_search("？！……", 5) == []
    _check_hits(retriever.search("？！……", k=3), retriever.index.articles, 3)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["dense", "keyword", "hybrid"])
def test_every_mode_finds_the_river(retriever: Retriever, mode: str) -> None:
    hits = retriever.search("前黄浜全长多少公里？", k=3, mode=mode)
    _check_hits(hits, retriever.index.articles, 3)
    assert any("2.3公里" in hit.text for hit in hits)


@pytest.mark.slow
def test_passages_of_one_article_never_overlap(retriever: Retriever, eval_hits) -> None:
    overlaps = {qid: found for qid, hits in eval_hits.items() if (found := _overlapping(hits))}
    for question in ("人大常委会", "政治"):
        if found := _overlapping(retriever.search(question, k=5)):
            overlaps[question] = found
    assert overlaps == {}


# --- the public entry point and its cache (slow) ------------------------------------------------


@pytest.mark.slow
def test_retrieve_from_qa(sample_index: BuildReport, sample_settings: Settings) -> None:
    hits = retrieve("前黄浜全长多少公里？", k=3, index_dir=sample_index.index_dir)
    assert len(hits) == 3 and "2.3公里" in hits[0].text
    assert retrieve("前黄浜全长多少公里？", k=3, index_dir=str(sample_index.index_dir)) == hits
    assert retrieve("  前黄浜全长多少公里？\n", k=3, settings=sample_settings) == hits  # stripped


@pytest.mark.slow
def test_retriever_is_cached_per_process(sample_index: BuildReport, sample_settings: Settings) -> None:
    first, second = get_retriever(sample_settings), get_retriever(sample_settings)
    assert first.index is second.index and first.encoder is second.encoder
    # `retrieve` goes through the same cache: Settings.from_env() + index_dir equals sample_settings.
    assert replace(Settings.from_env(), index_dir=sample_index.index_dir) == sample_settings


@pytest.mark.slow
def test_rebuilt_index_is_picked_up(
    sample_index: BuildReport,
    sample_settings: Settings,
    sample_articles: list[Article],
    encoder,
    tmp_path: Path,
) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(sample_index.index_dir, index_dir)
    settings = replace(sample_settings, index_dir=index_dir)
    before = get_retriever(settings)
    assert len(before.index.articles) == 7
    build_index(sample_articles[-1:], encoder, index_dir, ChunkingSettings())
    after = get_retriever(settings)
    assert after.index is not before.index and len(after.index.articles) == 1
    assert after.encoder is before.encoder
    assert {hit.title for hit in retrieve("前黄浜全长多少公里？", index_dir=index_dir)} == {
        "区领导调研乡村振兴工作"
    }


@pytest.mark.slow
def test_index_of_another_model_is_refused(sample_index: BuildReport, sample_settings: Settings) -> None:
    other = replace(sample_settings, model="intfloat/multilingual-e5-base")
    with pytest.raises(IndexMismatchError, match="newsqa build"):
        retrieve("前黄浜全长多少公里？", settings=other)


# --- errors before anything loads (fast) --------------------------------------------------------


@pytest.mark.parametrize("question", ["", " ", "\n\t　", "问" * (MAX_QUESTION_CHARS + 1), None])
def test_bad_questions_raise_question_error(question, tmp_path: Path) -> None:
    with pytest.raises(QuestionError):
        retrieve(question, index_dir=tmp_path)  # checked before any index or model is touched


def test_question_error_messages_say_what_to_do() -> None:
    with pytest.raises(QuestionError, match="empty"):
        retrieve("   ")
    with pytest.raises(QuestionError, match=str(MAX_QUESTION_CHARS)):
        retrieve("问" * 1000)


def test_missing_index_dir_raises(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="newsqa build"):
        retrieve("前黄浜全长多少公里？", index_dir=tmp_path / "empty")


# --- merging chunks into passages (pure, no model) ----------------------------------------------


def _tiny_retriever(spans: list[tuple[int, int]], max_passage_chars: int = 400) -> Retriever:
    article = Article(title="标题", text="".join(chr(0x4E00 + i % 200) for i in range(600)), source="t.txt")
    chunks = [Chunk(article.id, article.title, s, e, article.text[s:e]) for s, e in spans]
    index = SearchIndex(
        manifest=None,
        chunks=chunks,
        articles={article.id: article},
        vectors=None,
        keywords=None,
        tokenizer=None,
    )
    return Retriever(
        index=index,
        encoder=None,
        settings=RetrievalSettings(paragraph_chars=0, max_passage_chars=max_passage_chars),
    )


def test_overlapping_chunk_widens_the_earlier_passage() -> None:
    hits = _tiny_retriever([(0, 100), (300, 400), (80, 180)]).to_hits([(0, 0.3), (1, 0.2), (2, 0.1)], k=5)
    assert [(h.start, h.end, h.score) for h in hits] == [(0, 180, 0.3), (300, 400, 0.2)]


def test_chunk_that_would_widen_past_the_limit_is_skipped() -> None:
    hits = _tiny_retriever([(0, 100), (80, 180)], max_passage_chars=150).to_hits([(0, 0.3), (1, 0.2)], k=5)
    assert [(h.start, h.end) for h in hits] == [(0, 100)]


def test_k_limits_the_number_of_passages() -> None:
    retriever = _tiny_retriever([(0, 50), (100, 150), (200, 250), (300, 350)])
    assert len(retriever.to_hits([(i, 1.0 - i / 10) for i in range(4)], k=2)) == 2


def test_a_bridging_chunk_never_makes_passages_overlap() -> None:
    # Consecutive chunks A, B, C overlapping their neighbours; A and C rank first, then B.
    hits = _tiny_retriever([(0, 100), (150, 250), (90, 160)]).to_hits([(0, 0.3), (1, 0.2), (2, 0.1)], k=5)
    assert _overlapping(hits) == [], [(h.start, h.end) for h in hits]


def _paragraph_retriever(paragraph_chars: int) -> Retriever:
    text = "甲" * 100 + "\n" + "乙" * 300 + "\n" + "丙" * 900
    article = Article(title="标题", text=text, source="t.txt")
    spans = [(150, 250), (500, 600)]  # inside the 300-char paragraph, inside the 900-char one
    chunks = [Chunk(article.id, article.title, s, e, text[s:e]) for s, e in spans]
    index = SearchIndex(None, chunks, {article.id: article}, None, None, None)
    return Retriever(index, None, RetrievalSettings(paragraph_chars=paragraph_chars, max_passage_chars=1000))


def test_hit_is_widened_to_its_paragraph_when_it_fits() -> None:
    hits = _paragraph_retriever(800).to_hits([(0, 0.5), (1, 0.4)], k=5)
    assert [(h.start, h.end) for h in hits] == [(101, 401), (500, 600)]
    assert hits[0].text == "乙" * 300


def test_paragraph_widening_can_be_turned_off() -> None:
    hits = _paragraph_retriever(0).to_hits([(0, 0.5)], k=5)
    assert [(h.start, h.end) for h in hits] == [(150, 250)]
