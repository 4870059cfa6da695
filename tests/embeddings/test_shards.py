"""A sharded index (no cluster): the same answers as one index, global BM25 statistics, shards
skipped by date, the layout and `newsqa info`."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from embeddings.build import BuildReport, build_from_paths
from embeddings.extract.dates import DateRange
from embeddings.store.index import load_index
from embeddings.store.shards import LocalShards, ShardedIndex
from qa.answer import answer_with
from qa.cli import app
from qa.retrieve import Retriever


@pytest.fixture(scope="module")
def three_shards(small_archive, one_shard_index: BuildReport, settings, encoder) -> BuildReport:
    sharded = replace(settings, index_dir=settings.home / "indexes" / "small-3")
    return build_from_paths(small_archive.paths, sharded, encoder=encoder, shards=3)


def _retrievers(one: BuildReport, three: BuildReport, encoder) -> tuple[Retriever, Retriever]:
    return (
        Retriever(load_index(one.index_dir, encoder.model_id), encoder),
        Retriever(load_index(three.index_dir, encoder.model_id), encoder),
    )


def test_three_shards_give_the_top_five_of_one_index(
    small_archive, one_shard_index, three_shards, encoder
) -> None:
    single, sharded = _retrievers(one_shard_index, three_shards, encoder)
    assert isinstance(sharded.index, ShardedIndex) and len(sharded.index.shards) == 3
    assert three_shards.reused == one_shard_index.manifest.counts["chunks"]  # nothing embedded again
    for question in small_archive.questions:
        assert sharded.search(question, 5) == single.search(question, 5), question
    for question in small_archive.questions[:8]:  # and the answers read from them
        expected = answer_with(single, question)
        found = answer_with(sharded, question)
        assert (found.text, found.short_answer) == (expected.text, expected.short_answer), question


def test_shards_score_bm25_with_the_archive_statistics(one_shard_index, three_shards, encoder) -> None:
    single, sharded = _retrievers(one_shard_index, three_shards, encoder)
    for question in (
        "前黄浜全长多少公里？",
        "习近平同朝鲜劳动党总书记互致贺电",
        "战国无双3是哪两个公司开发的",
    ):
        ours = sharded.index.candidates(None, question, 50).keyword
        theirs = single.index.candidates(None, question, 50).keyword
        assert ours, question
        # The same chunks with the same scores; equal scores may come in another order, since
        # the shards hold the chunks in date order.
        named = sorted((-round(score, 4), sharded.index.chunks[i].id) for i, score in ours)
        assert named == sorted((-round(score, 4), single.index.chunks[i].id) for i, score in theirs)
    stats = sharded.index.stats
    assert stats.documents == len(single.index.chunks)
    tokens = single.index.tokenizer.tokenize("前黄浜全长多少公里？习近平同朝鲜劳动党总书记互致贺电")
    frequencies = [single.index.document_frequency(token) for token in tokens]
    assert [sharded.index.document_frequency(token) for token in tokens] == frequencies and max(
        frequencies
    ) > 0


def test_a_dated_question_asks_only_the_shards_in_range(
    one_shard_index, three_shards, encoder, monkeypatch
) -> None:
    single, sharded = _retrievers(one_shard_index, three_shards, encoder)
    asked: list[list[int]] = []
    search = LocalShards.search

    def counting(pool, requests, *args):
        asked.append(sorted(requests))
        return search(pool, requests, *args)

    monkeypatch.setattr(LocalShards, "search", counting)
    index = sharded.index
    day = max(a.date for a in index.articles.values() if a.date)  # the newest issue
    holding = sorted(
        {
            int(np.searchsorted(index.offsets, i, side="right")) - 1
            for i in index.chunks_within(DateRange(date.fromisoformat(day), date.fromisoformat(day)))
        }
    )
    assert 0 < len(holding) < len(index.shards)
    question = "新闻联播报道了什么？"
    hits = sharded.search(question, 5, date_from=day, date_to=day)
    assert hits and hits == single.search(question, 5, date_from=day, date_to=day)
    assert asked == [holding]  # the shards holding chunks of that day, no other
    asked.clear()
    sharded.search(question, 5)
    assert asked == [[0, 1, 2]]  # no date: every shard


def test_sharded_layout_and_info(three_shards: BuildReport, one_shard_index: BuildReport) -> None:
    folder = three_shards.index_dir / "generations" / (three_shards.index_dir / "CURRENT").read_text().strip()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert sum(s["chunks"] for s in manifest["shards"]) == one_shard_index.manifest.counts["chunks"]
    assert sum(s["articles"] for s in manifest["shards"]) == one_shard_index.manifest.counts["articles"]
    days = [(s["first_day"], s["last_day"]) for s in manifest["shards"] if s["first_day"]]
    assert days == sorted(days)  # shards follow the calendar
    for shard in manifest["shards"]:
        own = json.loads((folder / "shards" / shard["name"] / "manifest.json").read_text())
        assert own["counts"]["chunks"] == shard["chunks"] and own["shards"] == []
    assert json.loads((folder / "keyword_stats.json").read_text())["documents"] == sum(
        s["chunks"] for s in manifest["shards"]
    )
    result = CliRunner().invoke(app, ["info", "--index", str(three_shards.index_dir)])
    assert result.exit_code == 0, result.output
    assert "3 shards" in result.output and "000" in result.output and "asking process" in result.output


def test_a_rebuild_keeps_the_shard_count(
    small_archive, three_shards, settings, encoder, tmp_path: Path
) -> None:
    sharded = replace(settings, index_dir=three_shards.index_dir)
    again = build_from_paths(small_archive.paths, sharded, encoder=encoder)
    assert len(again.manifest.shards) == 3 and again.embedded == 0


def test_nothing_imports_ray_without_ray() -> None:
    import subprocess
    import sys

    code = (
        "import sys, qa.cli, qa.answer, qa.retrieve, embeddings.build, embeddings.store.shards, ui.app; "
        "print('ray' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr
