"""Builds and shard serving on a real local Ray cluster (started here, stopped at the end), and
on a separate-process cluster (`ray start --head`, joined with `address=auto`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

pytest.importorskip("ray")

from embeddings.build import BuildReport, build_from_paths
from embeddings.cluster import RayRunner, RayShards
from embeddings.store.index import load_index
from qa.answer import answer_with
from qa.cli import app
from qa.retrieve import Retriever

RAY_BIN = Path(sys.executable).parent / "ray"
NEWSQA_BIN = Path(sys.executable).parent / "newsqa"
XWLB = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "xwlb" / "xwlb_2024.jsonl"


@pytest.fixture(scope="module")
def ray_settings(settings):
    import ray

    local = replace(settings, ray="local", ray_workers=2)
    yield local
    ray.shutdown()


@pytest.fixture(scope="module")
def runner(ray_settings) -> RayRunner:
    return RayRunner(ray_settings)  # starts the local cluster


@pytest.fixture(scope="module")
def ray_build(small_archive, one_shard_index, ray_settings, runner, encoder) -> BuildReport:
    """The small archive built on the cluster (its vectors cached by the one-machine build)."""
    target = replace(ray_settings, index_dir=ray_settings.home / "indexes" / "small-ray")
    return build_from_paths(small_archive.paths, target, encoder=encoder, runner=runner)


def test_a_ray_build_equals_a_one_machine_build(small_archive, one_shard_index, ray_build, encoder) -> None:
    single = load_index(one_shard_index.index_dir, encoder.model_id)
    on_ray = load_index(ray_build.index_dir, encoder.model_id)
    assert list(on_ray.articles) == list(single.articles)
    assert on_ray.articles == single.articles
    assert list(on_ray.chunks) == list(single.chunks)
    assert np.array_equal(
        on_ray.vectors.reconstruct_n(0, on_ray.vectors.ntotal),
        single.vectors.reconstruct_n(0, single.vectors.ntotal),
    )
    assert on_ray.people == single.people
    ray_retriever, one_retriever = Retriever(on_ray, encoder), Retriever(single, encoder)
    for question in small_archive.questions[:23]:
        expected, found = answer_with(one_retriever, question), answer_with(ray_retriever, question)
        assert (found.text, found.short_answer) == (expected.text, expected.short_answer), question


@pytest.fixture(scope="module")
def sharded_ray_build(
    small_archive, ray_build, ray_settings, runner, encoder, tmp_path_factory
) -> BuildReport:
    """The archive and two more stories of 2024, built as three shards on the cluster."""
    extra = tmp_path_factory.mktemp("more-news")
    stories = XWLB.read_text(encoding="utf-8").splitlines()[1:3]  # not among the archive's
    (extra / "more.jsonl").write_text("\n".join(stories) + "\n")
    target = replace(ray_settings, index_dir=ray_build.index_dir)
    return build_from_paths([*small_archive.paths, extra], target, encoder=encoder, shards=3, runner=runner)


def test_an_incremental_ray_build_embeds_only_what_changed(
    one_shard_index, ray_build, sharded_ray_build, encoder
) -> None:
    added = sharded_ray_build.manifest.counts["chunks"] - ray_build.manifest.counts["chunks"]
    assert sharded_ray_build.changes.added == 2
    assert sharded_ray_build.embedded == added  # the new stories' chunks, no other
    assert sharded_ray_build.reused == ray_build.manifest.counts["chunks"]
    assert len(sharded_ray_build.manifest.shards) == 3
    # What the encoder actors embedded is what the encoder here embeds, within int8 noise.
    index = load_index(sharded_ray_build.index_dir, encoder.model_id)
    # (ray_build's folder now holds the sharded build; the one-machine index has the same chunks)
    known = {chunk.id for chunk in load_index(one_shard_index.index_dir, encoder.model_id).chunks}
    new = [i for i, chunk in enumerate(index.chunks) if chunk.id not in known]
    assert len(new) == added
    here = encoder.encode([index.chunks[i].text for i in new], "passage")
    shard_of = np.searchsorted(index.offsets, new, side="right") - 1
    on_actors = np.stack(
        [
            index.pool.shards[s].vectors.reconstruct(int(i - index.offsets[s]))
            for i, s in zip(new, shard_of, strict=True)
        ]
    )
    assert np.allclose(on_actors, here, atol=2e-3)


def test_shards_served_by_actors_survive_a_killed_actor(
    small_archive, sharded_ray_build, ray_settings, encoder
) -> None:
    import ray

    index_dir = sharded_ray_build.index_dir
    local = Retriever(load_index(index_dir, encoder.model_id), encoder)
    served_settings = replace(ray_settings, index_dir=index_dir)
    pool_of = []

    def start(folders):
        pool_of.append(RayShards.start(served_settings, folders))
        return pool_of[0]

    served = Retriever(load_index(index_dir, encoder.model_id, start), encoder)
    pool = pool_of[0]
    for question in small_archive.questions:
        assert served.search(question, 5) == local.search(question, 5), question
    info = CliRunner().invoke(app, ["info", "--index", str(index_dir)])
    assert info.exit_code == 0 and info.output.count("served: ray ") == 3, info.output

    question = small_archive.questions[0]
    before = pool.describe()[1]["pid"]
    ray.kill(pool.actors[1], no_restart=True)
    answered = answer_with(served, question)  # shard 001 is down: said, not hidden, no error
    assert answered.unsearched == ("001",) and "分片 001" in answered.text
    deadline = time.monotonic() + 120
    while True:  # the pool started a new actor, which reloads the shard
        answered = answer_with(served, question)
        if not answered.unsearched or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert answered.unsearched == ()
    assert answered.text == answer_with(local, question).text
    assert pool.describe()[1]["pid"] != before


def test_a_separate_process_cluster(sharded_ray_build, ray_settings, tmp_path: Path) -> None:
    import ray

    ray.shutdown()  # this module's in-process cluster: `auto` must find the `ray start` one
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    temp = Path("/tmp") / f"nqr{os.getpid()}"  # short: Ray's socket paths have a length limit
    start = [
        str(RAY_BIN),
        "start",
        "--head",
        "--num-cpus=2",
        "--include-dashboard=false",
        f"--temp-dir={temp}",
    ]
    subprocess.run(start, env=env, check=True, capture_output=True, timeout=120)
    try:
        index = str(sharded_ray_build.index_dir)
        asked = subprocess.run(
            [str(NEWSQA_BIN), "ask", "前黄浜全长多少公里？", "--index", index, "--json", "--ray=auto"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert asked.returncode == 0, asked.stderr[-2000:]
        hits = json.loads(asked.stdout)
        assert any("前黄浜" in hit["text"] for hit in hits)
    finally:
        subprocess.run([str(RAY_BIN), "stop", "--force"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(temp, ignore_errors=True)
