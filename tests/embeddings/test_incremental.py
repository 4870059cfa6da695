"""Incremental builds, interrupted builds and concurrent builds (real model, real index)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from embeddings.articles import Article
from embeddings.build import build_from_paths
from embeddings.settings import DEFAULT_MODEL, bundled_sample_dir
from embeddings.sources import load_articles
from embeddings.store.index import load_index, read_manifest
from qa.retrieve import get_retriever

pytestmark = pytest.mark.slow

NEWSQA = Path(sys.executable).parent / "newsqa"
NEW_PAGE = "区图书馆新馆开放\n\n本报讯（记者 王一）昨天，区图书馆新馆正式开放，全年预计接待读者五十万人次。\n"


def _corpus_v2(pages: Path) -> None:
    """Add a page, change one article, remove a page."""
    (pages / "005_new.txt").write_text(NEW_PAGE, encoding="utf-8")
    page = pages / "003_6b0ac8f283288027.txt"
    page.write_text(page.read_text(encoding="utf-8").replace("全长260米", "全长280米"), encoding="utf-8")
    (pages / "000_540523ca5f8d8d9a.txt").unlink()


def test_incremental_build_equals_a_full_rebuild(tmp_path: Path, settings, encoder, eval_questions) -> None:
    pages = tmp_path / "pages"
    shutil.copytree(bundled_sample_dir(), pages)
    incremental = replace(settings, index_dir=tmp_path / "incremental")
    first = build_from_paths([pages], incremental, encoder=encoder)
    assert first.manifest.counts["articles"] == 7
    _corpus_v2(pages)
    second = build_from_paths([pages], incremental, encoder=encoder)
    changes = second.changes
    assert (changes.added, changes.changed, changes.removed, changes.unchanged) == (1, 1, 3, 3)
    # Only the new article's chunks and the changed chunks of the changed article are embedded.
    assert 0 < second.embedded <= 4 and second.reused == second.manifest.counts["chunks"] - second.embedded

    full = build_from_paths(
        [pages], replace(settings, index_dir=tmp_path / "full"), encoder=encoder, full=True
    )
    assert full.reused == 0 and full.embedded == full.manifest.counts["chunks"]
    a, b = (load_index(s.index_dir, DEFAULT_MODEL) for s in (second, full))
    assert [c.id for c in a.chunks] == [c.id for c in b.chunks]
    vectors = [index.vectors.reconstruct_n(0, len(index.chunks)) for index in (a, b)]
    assert np.allclose(*vectors, atol=1e-4)
    retrievers = [get_retriever(replace(settings, index_dir=s.index_dir)) for s in (second, full)]
    for row in eval_questions:
        results = [[(h.article_id, h.start, h.end) for h in r.search(row["question"], 5)] for r in retrievers]
        assert results[0] == results[1], row["question"]


def _build_process(home: Path, pages: Path, index: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "NEWSQA_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [str(NEWSQA), "build", str(pages), "--index", str(index), "--full"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _articles(index: Path) -> str:
    return json.dumps(read_manifest(index)[1].articles, sort_keys=True)


def test_killed_builds_leave_the_previous_index(tmp_path: Path, settings, encoder, make_home) -> None:
    home = make_home(tmp_path / "home")
    pages = tmp_path / "pages"
    shutil.copytree(bundled_sample_dir(), pages)
    index = tmp_path / "index"
    build_from_paths([pages], replace(settings, home=home, index_dir=index), encoder=encoder)
    before = _articles(index)
    _corpus_v2(pages)
    after = json.dumps({a.id: a.source for a in load_articles([pages]).articles}, sort_keys=True)
    for delay in (0.5, 3.0, 6.0, 9.0, 12.0):  # from start-up, through model load, into embedding
        process = _build_process(home, pages, index)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        # Either the old index, or (killed while exiting) the complete new one: never a mix.
        assert _articles(index) in (before, after), f"killed at {delay}s"
        assert len(load_index(index, DEFAULT_MODEL).chunks) > 0
    finished = _build_process(home, pages, index)
    out, err = finished.communicate(timeout=600)
    assert finished.returncode == 0, err
    assert _articles(index) == after and "7 articles" not in out
    assert not list((index / "generations").glob(".building-*"))


def test_two_builds_at_once_both_finish_one_after_the_other(tmp_path: Path, make_home) -> None:
    home = make_home(tmp_path / "home")
    index = tmp_path / "index"
    processes = [_build_process(home, bundled_sample_dir(), index) for _ in range(2)]
    for process in processes:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        assert "indexed 7 articles" in out and "Traceback" not in err
    assert len(load_index(index, DEFAULT_MODEL).articles) == 7
    assert len(list((index / "generations").iterdir())) == 2  # the live one and the previous one


def test_archive_tables_extract_only_new_articles(sample_index, sample_articles) -> None:
    """A rebuild reads the new article with the extractors and copies the others' mentions."""
    from embeddings.store.archive_tables import extract_tables

    folder, manifest = read_manifest(sample_index.index_dir)
    text = "本报讯（记者 王晓）前黄镇党委书记陈明调研前黄浜整治工作。"
    new = Article(title="前黄镇开展河道整治", text=text, source="new.txt")
    articles = [*sample_articles, new]
    reused = extract_tables(articles, previous=folder)
    fresh = extract_tables(articles)
    assert (reused.extracted, fresh.extracted) == (1, len(articles))
    assert (reused.people, reused.entities, reused.reprints) == (fresh.people, fresh.entities, fresh.reprints)
    assert {p.name for p in reused.people if p.article_id == new.id} >= {"王晓", "陈明"}
    assert manifest.extraction and manifest.table_seconds >= 0
