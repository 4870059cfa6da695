"""An unreadable file is reported by name and the rest still loads.

Root reads any file whatever its mode, so when the tests run as root the check runs in a child
process stripped of the capabilities that let root ignore file modes (util-linux `setpriv`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from embeddings.settings import bundled_sample_dir

CHECK = """
import sys
from pathlib import Path
from embeddings.sources import load_articles
result = load_articles([Path(sys.argv[1])])
print(len(result.articles))
print("\\n".join(result.warnings))
"""


def test_unreadable_file_is_a_warning_and_the_rest_loads() -> None:
    folder = Path(tempfile.mkdtemp(prefix="newsqa-unreadable-"))
    try:
        shutil.copy(bundled_sample_dir() / "003_6b0ac8f283288027.txt", folder / "good.txt")
        (folder / "locked.txt").write_text("锁住的文件。", encoding="utf-8")
        (folder / "locked.txt").chmod(0)
        command = [sys.executable, "-c", CHECK, str(folder)]
        if os.getuid() == 0:
            if not shutil.which("setpriv"):
                pytest.skip("running as root without setpriv: cannot make a file unreadable")
            caps = "-dac_override,-dac_read_search"
            command = ["setpriv", "--bounding-set", caps, "--inh-caps", caps, "--", *command]
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=Path(__file__).resolve().parents[2],
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        )
        assert result.returncode == 0, result.stderr
        count, *warnings = result.stdout.splitlines()
        assert int(count) == 4  # the four articles of the readable page
        assert len(warnings) == 1 and "locked.txt" in warnings[0] and "cannot read" in warnings[0]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
