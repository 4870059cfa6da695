"""`newsqa build` over a folder of good and broken files: every problem is one line naming the
file (or line), everything else is indexed, and the exit code fails only when nothing could be."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

NEWSQA = Path(sys.executable).parent / "newsqa"
PAGE = "{title}\n\n本报讯（记者 王一）昨天，{body}。\n"


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEWSQA_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    env.pop("NEWSQA_INDEX", None)
    return subprocess.run([str(NEWSQA), *args], env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("messy")
    (folder / "gbk.txt").write_bytes(
        PAGE.format(title="新馆开放", body="区图书馆新馆正式开放").encode("gb18030")
    )
    (folder / "bom.txt").write_bytes(
        b"\xef\xbb\xbf" + PAGE.format(title="道路通车", body="常武路改造工程完工通车").encode()
    )
    (folder / "empty.txt").write_text("", encoding="utf-8")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 4)
    lines = [
        json.dumps({"id": "ok", "title": "公园开园", "text": "西太湖公园昨天开园。", "date": "2024-06-01"}),
        "{not json",
        json.dumps({"id": "notext", "title": "缺正文"}),
        json.dumps(
            {"id": "baddate", "title": "菜场改造", "text": "湖塘菜场完成改造。", "date": "2024-13-45"}
        ),
    ]
    (folder / "archive.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_broken_files_are_reported_and_the_rest_is_indexed(
    messy: Path, tmp_path: Path, make_home: Callable[[Path], Path]
) -> None:
    home = make_home(tmp_path / "home")
    result = _run(home, "build", str(messy), "--index", str(tmp_path / "index"))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "indexed 4 articles" in result.stdout  # gbk, bom, and two good JSONL lines
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    for fragment in ("empty.txt", "binary.txt", "archive.jsonl:2", "archive.jsonl:3", "archive.jsonl:4"):
        assert sum(fragment in line for line in warnings) == 1, (fragment, warnings)
    asked = _run(home, "ask", "图书馆新馆", "--json", "--index", str(tmp_path / "index"))
    assert json.loads(asked.stdout)[0]["title"] == "新馆开放"


def test_nothing_indexable_fails_with_one_line(tmp_path: Path, make_home: Callable[[Path], Path]) -> None:
    home = make_home(tmp_path / "home")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_text("", encoding="utf-8")
    (bad / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    for args in (
        ["build", str(bad)],
        ["build", str(tmp_path / "missing")],
        ["build", str(tmp_path / "home")],
    ):
        result = _run(home, *args, "--index", str(tmp_path / "index"))
        assert result.returncode == 1, result.stdout
        errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "index" / "CURRENT").exists()
