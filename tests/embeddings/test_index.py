"""The index directory: build/load round trip, manifest checks, generations, atomic publishing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import embeddings.build as build_module
import embeddings.stages as stages
import embeddings.store.index as index_module
from embeddings.articles import Article
from embeddings.build import BuildReport, build_index
from embeddings.chunking import chunk_article
from embeddings.errors import IndexMismatchError, IndexMissingError
from embeddings.settings import DEFAULT_MODEL, ChunkingSettings, Settings, bundled_sample_dir
from embeddings.stages import encode_chunks
from embeddings.store.index import SCHEMA_VERSION, load_index, read_manifest

CHUNKING = ChunkingSettings()


def _generations(index_dir: Path) -> set[str]:
    return {path.name for path in (index_dir / "generations").iterdir()}


def _current(index_dir: Path) -> str:
    return (index_dir / "CURRENT").read_text().strip()


def _snapshot(index_dir: Path) -> tuple[str, str, set[str]]:
    """CURRENT, the live manifest's bytes, and the generation folders on disk."""
    folder, _ = read_manifest(index_dir)
    return (
        _current(index_dir),
        (folder / "manifest.json").read_text(encoding="utf-8"),
        _generations(index_dir),
    )


# --- round trip with the real model (slow) ------------------------------------------------------


@pytest.mark.slow
def test_sample_index_manifest(sample_index: BuildReport, sample_articles: list[Article]) -> None:
    manifest = sample_index.manifest
    assert manifest.schema_version == SCHEMA_VERSION
    assert manifest.model_id == DEFAULT_MODEL
    assert manifest.dimension == 384
    assert manifest.chunking == {"size": CHUNKING.size, "overlap": CHUNKING.overlap}
    expected_chunks = sum(len(chunk_article(a, CHUNKING)) for a in sample_articles)
    assert manifest.counts == {"articles": 7, "chunks": expected_chunks}
    assert manifest.articles == {a.id: a.source for a in sample_articles}
    assert {"sentence-transformers", "faiss-cpu", "bm25s", "jieba"} <= set(manifest.versions)
    _, on_disk = read_manifest(sample_index.index_dir)
    assert on_disk == manifest


@pytest.mark.slow
def test_sample_index_round_trip(sample_index: BuildReport, sample_articles: list[Article], encoder) -> None:
    index = load_index(sample_index.index_dir, DEFAULT_MODEL)
    assert index.manifest == sample_index.manifest
    assert list(index.articles.values()) == sample_articles  # same text, metadata and content-hash ids
    assert all(article_id == article.id for article_id, article in index.articles.items())
    expected = [c for a in sample_articles for c in chunk_article(a, CHUNKING)]
    assert list(index.chunks) == expected and len(index.chunks) == len(expected)
    assert index.chunks[1:4] == expected[1:4] and index.chunks[-1] == expected[-1]
    assert index.vectors.ntotal == len(index.chunks) == index.manifest.counts["chunks"]
    assert index.vectors.d == 384
    assert index.keywords.scores["num_docs"] == len(index.chunks)

    # Vector i belongs to chunk i even though chunks are embedded in length-sorted batches.
    stored = index.vectors.reconstruct_n(0, index.vectors.ntotal)
    fresh = encoder.encode([c.text for c in index.chunks], "passage")
    np.testing.assert_allclose(np.linalg.norm(stored, axis=1), 1.0, atol=1e-4)
    assert ((stored * fresh).sum(axis=1) >= 0.999).all()
    for i in (0, len(index.chunks) // 2, len(index.chunks) - 1):
        assert index.dense_search(stored[i], 3)[0][0] == i


@pytest.mark.slow
def test_sample_index_searches(sample_index: BuildReport, encoder) -> None:
    index = load_index(sample_index.index_dir, DEFAULT_MODEL)
    keyword_hits = index.keyword_search("前黄浜全长多少公里？", 5)
    assert keyword_hits and "前黄浜" in index.chunks[keyword_hits[0][0]].text
    assert [s for _, s in keyword_hits] == sorted((s for _, s in keyword_hits), reverse=True)
    assert index.keyword_search("？！", 5) == []  # no indexed token: nothing, not an error
    dense_hits = index.dense_search(encoder.encode(["前黄浜全长多少公里？"], "query")[0], 5)
    assert len(dense_hits) == 5 and "2.3公里" in index.chunks[dense_hits[0][0]].text
    assert len(index.dense_search(encoder.encode(["前黄浜"], "query")[0], 10_000)) == len(index.chunks)


@pytest.mark.slow
def test_index_holds_no_pickles(sample_index: BuildReport) -> None:
    files = [p for p in sample_index.index_dir.rglob("*") if p.is_file()]
    assert not [p for p in files if p.suffix in (".pkl", ".pickle")]
    arrays = [p for p in files if p.suffix == ".npy"]
    assert arrays  # bm25s stores its sparse matrix as .npy
    for path in arrays:
        np.load(path, allow_pickle=False)
    for path in files:  # everything else is FAISS's own format or plain JSON
        if path.suffix == ".npy":
            continue
        if path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix == ".jsonl":
            assert all(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
        else:
            assert path.name in ("CURRENT", ".build.lock", "vectors.faiss"), path


@pytest.mark.slow
def test_loading_with_another_model_names_the_rebuild(sample_index: BuildReport) -> None:
    with pytest.raises(IndexMismatchError, match="newsqa build") as error:
        load_index(sample_index.index_dir, "intfloat/multilingual-e5-base")
    assert DEFAULT_MODEL in str(error.value) and "intfloat/multilingual-e5-base" in str(error.value)


# --- missing and damaged indexes (fake encoder) --------------------------------------------------


@pytest.mark.parametrize("make", [lambda p: p / "no-such-dir", lambda p: p], ids=["absent", "empty"])
def test_missing_index_raises(tmp_path: Path, make) -> None:
    with pytest.raises(IndexMissingError, match="newsqa build"):
        load_index(make(tmp_path), DEFAULT_MODEL)


def test_other_schema_version_raises(tmp_path: Path, sample_articles: list[Article], fake_encoder) -> None:
    build_index(sample_articles[:2], fake_encoder, tmp_path, CHUNKING)
    folder, manifest = read_manifest(tmp_path)
    data = json.loads(manifest.to_json())
    data["schema_version"] = SCHEMA_VERSION + 1
    (folder / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(IndexMismatchError, match="newsqa build"):
        load_index(tmp_path, fake_encoder.model_id)


def test_tampered_article_is_detected(tmp_path: Path, sample_articles: list[Article], fake_encoder) -> None:
    build_index(sample_articles[:2], fake_encoder, tmp_path, CHUNKING)
    folder, _ = read_manifest(tmp_path)
    rows = (
        (folder / "articles.jsonl")
        .read_text(encoding="utf-8")
        .replace("前黄浜", "后黄浜")
        .replace("乔俊杰", "某某")
    )
    (folder / "articles.jsonl").write_text(rows, encoding="utf-8")
    with pytest.raises(IndexMismatchError, match="rebuild"):
        load_index(tmp_path, fake_encoder.model_id)


# --- generations and atomic publishing (fake encoder: the thing under test is the file layout) ---


def test_encode_chunks_keeps_order_and_reports_progress(
    sample_articles: list[Article], fake_encoder, monkeypatch
) -> None:
    monkeypatch.setattr(stages, "ENCODE_BATCH", 4)
    chunks = [c for a in sample_articles[:3] for c in chunk_article(a, CHUNKING)]
    calls: list[tuple[int, int]] = []
    vectors = encode_chunks(chunks, fake_encoder, lambda done, total: calls.append((done, total)))
    expected = fake_encoder.encode([c.text for c in chunks], "passage")
    np.testing.assert_array_equal(vectors, expected)
    assert calls[0] == (0, len(chunks)) and calls[-1] == (len(chunks), len(chunks))
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert len(calls) == 1 + -(-len(chunks) // 4)


def test_rebuild_keeps_the_previous_generation_only(
    tmp_path: Path, sample_articles: list[Article], fake_encoder
) -> None:
    index_dir = tmp_path / "index"
    build_index(sample_articles[:3], fake_encoder, index_dir, CHUNKING)
    first = _current(index_dir)
    assert _generations(index_dir) == {first}

    build_index(sample_articles[:5], fake_encoder, index_dir, CHUNKING)
    second = _current(index_dir)
    assert second != first
    assert _generations(index_dir) == {first, second}  # a reader that resolved CURRENT may still open it
    assert load_index(index_dir, fake_encoder.model_id).manifest.counts["articles"] == 5

    build_index(sample_articles, fake_encoder, index_dir, CHUNKING)
    third = _current(index_dir)
    assert _generations(index_dir) == {second, third}  # older generations are removed
    assert load_index(index_dir, fake_encoder.model_id).manifest.counts["articles"] == 7
    assert not list(index_dir.glob(".CURRENT.*"))


def _assert_untouched(index_dir: Path, before: tuple[str, str, set[str]], model_id: str) -> None:
    assert _snapshot(index_dir) == before
    assert not list((index_dir / "generations").glob(".building-*"))
    assert not list(index_dir.glob(".CURRENT.*"))
    assert load_index(index_dir, model_id).manifest.counts["articles"] == 5


def test_build_failing_while_encoding_leaves_the_index_alone(
    tmp_path: Path, sample_articles: list[Article], fake_encoder, monkeypatch
) -> None:
    build_index(sample_articles[:3], fake_encoder, tmp_path, CHUNKING)
    build_index(sample_articles[:5], fake_encoder, tmp_path, CHUNKING)
    before = _snapshot(tmp_path)
    monkeypatch.setattr(stages, "ENCODE_BATCH", 4)
    fake_encoder.fail_after = fake_encoder.calls + 1  # the first batch works, the second raises
    with pytest.raises(RuntimeError, match="fake encoder fails"):
        build_index(sample_articles, fake_encoder, tmp_path, CHUNKING)
    assert fake_encoder.calls > 0
    _assert_untouched(tmp_path, before, fake_encoder.model_id)


def test_build_failing_while_writing_leaves_the_index_alone(
    tmp_path: Path, sample_articles: list[Article], fake_encoder, monkeypatch
) -> None:
    build_index(sample_articles[:3], fake_encoder, tmp_path, CHUNKING)
    build_index(sample_articles[:5], fake_encoder, tmp_path, CHUNKING)
    before = _snapshot(tmp_path)
    write_generation = build_module.write_generation

    def write_then_fail(folder: Path, *args) -> None:
        write_generation(folder, *args)  # a complete generation on disk, not yet published
        raise OSError("disk full")

    monkeypatch.setattr(build_module, "write_generation", write_then_fail)
    with pytest.raises(OSError, match="disk full"):
        build_index(sample_articles, fake_encoder, tmp_path, CHUNKING)
    _assert_untouched(tmp_path, before, fake_encoder.model_id)


def test_build_from_paths_uses_settings(tmp_path: Path, fake_encoder) -> None:
    from embeddings.build import build_from_paths

    settings = Settings(home=tmp_path / "home", chunking=ChunkingSettings(size=120, overlap=30))
    sample_copy = tmp_path / "pages"
    shutil.copytree(bundled_sample_dir(), sample_copy)
    report = build_from_paths([sample_copy], settings, encoder=fake_encoder)
    assert report.index_dir == tmp_path / "home" / "indexes" / "default"
    assert report.manifest.chunking == {"size": 120, "overlap": 30}
    assert report.manifest.counts["articles"] == 7 and report.warnings == []
    assert set(report.manifest.articles.values()) == {f"pages/{p.name}" for p in sample_copy.iterdir()}


def test_index_from_before_keywords_json_asks_for_a_rebuild(
    tmp_path: Path, sample_articles: list[Article], fake_encoder
) -> None:
    build_index(sample_articles[:2], fake_encoder, tmp_path, CHUNKING)
    folder, _ = read_manifest(tmp_path)
    (folder / "keywords.json").unlink()  # the layout of schema 1 as first released
    with pytest.raises(IndexMismatchError, match="newsqa build"):
        load_index(tmp_path, fake_encoder.model_id)


# --- vector index type by size ------------------------------------------------------------------


def _unit_vectors(count: int, dimension: int = 32, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((count, dimension)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_index_kind_is_chosen_by_size() -> None:
    assert index_module.vector_index_kind(1) == "flat"
    assert index_module.vector_index_kind(index_module.EXACT_SEARCH_MAX) == "flat"
    assert index_module.vector_index_kind(index_module.EXACT_SEARCH_MAX + 1) == "hnsw"


def test_hnsw_finds_what_exact_search_finds() -> None:
    # Random vectors are a hard case for a graph index (no clusters); real embeddings do better.
    vectors, queries = _unit_vectors(6000), _unit_vectors(50, seed=1)
    exact = index_module.make_vector_index(vectors, "flat").search(queries, 10)[1]
    graph = index_module.make_vector_index(vectors, "hnsw").search(queries, 10)[1]
    recall = np.mean([len(set(e) & set(g)) / 10 for e, g in zip(exact, graph, strict=True)])
    assert recall >= 0.95, recall


def test_hnsw_index_built_published_and_searched_with_a_date_filter(
    tmp_path: Path, sample_articles: list[Article], fake_encoder, monkeypatch
) -> None:
    # The threshold is lowered so the 7 sample articles get a graph index: same code path as 100k.
    monkeypatch.setattr(index_module, "EXACT_SEARCH_MAX", 10)
    manifest = build_index(sample_articles, fake_encoder, tmp_path, ChunkingSettings())
    assert manifest.vector_index == "hnsw"
    index = load_index(tmp_path, fake_encoder.model_id)
    assert index.vectors.hnsw.efSearch == index_module.HNSW_EF_SEARCH
    query = fake_encoder.encode([index.chunks[3].text], "passage")[0]
    assert index.dense_search(query, 3)[0][0] == 3
    allowed = np.array([1, 5, 8], dtype=np.int64)
    hits = index.dense_search(query, 10, allowed)
    assert sorted(i for i, _ in hits) == [1, 5, 8]
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_chunks_within_matches_a_scan_of_every_chunk(sample_index: BuildReport) -> None:
    from embeddings.extract.dates import DateRange

    index = load_index(sample_index.index_dir, DEFAULT_MODEL)
    for start, end in [
        ("2024-06-01", "2024-06-30"),
        ("2024-01-01", "2024-12-31"),
        ("1990-01-01", "1990-12-31"),
    ]:
        window = DateRange.from_iso(start, end)
        days = (window.end - window.start).days
        scanned = [  # an event date counts only when at least as precise as the window
            i
            for i, c in enumerate(index.chunks)
            if (c.date and window.contains(DateRange.from_iso(c.date, c.date).start))
            or any(
                window.overlaps(event) and (event.end - event.start).days <= days
                for event in (DateRange.from_iso(*pair) for pair in c.event_dates)
            )
        ]
        assert index.chunks_within(window).tolist() == scanned


def test_keyword_index_from_token_ids_scores_as_from_token_strings(sample_articles: list[Article]) -> None:
    import bm25s

    from embeddings.store.keywords import KeywordTokenizer

    tokenizer = KeywordTokenizer()
    texts = [c.keyword_text for a in sample_articles for c in chunk_article(a, ChunkingSettings())]
    from_ids, from_strings = bm25s.BM25(), bm25s.BM25()
    from_ids.index(tokenizer.token_ids(texts), show_progress=False)
    from_strings.index([tokenizer.tokenize(t) for t in texts], show_progress=False)
    assert set(from_ids.vocab_dict) == set(from_strings.vocab_dict)
    for question in ("前黄浜全长多少公里？", "区委书记 调研", "湖塘 乡村振兴"):
        tokens = [[t for t in tokenizer.tokenize(question) if t in from_ids.vocab_dict]]
        ids_a, scores_a = from_ids.retrieve(tokens, k=8, show_progress=False)
        ids_b, scores_b = from_strings.retrieve(tokens, k=8, show_progress=False)
        np.testing.assert_allclose(scores_a, scores_b, rtol=1e-6)
        assert ids_a.tolist() == ids_b.tolist()


def test_keyword_search_ranks_as_bm25s_retrieve(sample_index: BuildReport) -> None:
    index = load_index(sample_index.index_dir, DEFAULT_MODEL)
    allowed = np.arange(0, len(index.chunks), 2)
    for question in ("前黄浜全长多少公里？", "区委书记 调研", "湖塘 乡村振兴 项目"):
        tokens = [t for t in index.tokenizer.tokenize(question) if t in index.keywords.vocab_dict]
        for subset in (None, allowed):
            mask = None
            if subset is not None:
                mask = np.zeros(len(index.chunks), dtype=np.float32)
                mask[subset] = 1
            ids, scores = index.keywords.retrieve([tokens], k=6, show_progress=False, weight_mask=mask)
            expected = [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if s > 0]
            found = index.keyword_search(question, 6, subset)
            assert [i for i, _ in found] == [i for i, _ in expected]
            np.testing.assert_allclose([s for _, s in found], [s for _, s in expected], rtol=1e-6)
