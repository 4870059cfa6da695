"""The fast encoder: the sentence-transformers model quantized to int8 and run by OpenVINO.

On 2 cores a plain fp32 `SentenceTransformer.encode` of 300-character Chinese chunks is bound by
fp32 matrix multiplies (~10 chunks/s here). bf16 autocast in torch doubles that; int8 weights and
activations (NNCF post-training quantization, calibrated on the bundled sample) run on the CPU's
VNNI units and the remaining ops in bf16 where the CPU has it, for ~3x. bench/perf.py measures it
against fp32 and checks that retrieval quality holds.

The quantized model is made once per model into `<home>/models/<name>.openvino-int8/` (about
30 s, under a file lock, then atomically renamed into place) and loaded from there; torch and
sentence-transformers are needed only for that step, so a warm start imports neither.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from embeddings.encoding.encoder import TextKind
from embeddings.errors import ModelError

__all__ = [
    "OpenVinoEncoder",
    "int8_accelerated",
    "int8_model_dir",
    "load_openvino_encoder",
    "openvino_available",
]

log = logging.getLogger(__name__)

REQUEST_TEXTS = 4  # texts per inference request: measured best for 2 streams on 2 cores
STREAMS = 2  # one inference stream per core, fed alternately while the other computes
# OpenVINO keeps kernels and buffers per input shape: 1,500 distinct lengths grew the process past
# 3 GB. Padding every batch up to one of these lengths bounds the shapes, and so the memory, while
# a question (~16 tokens) is not padded to a passage's length.
LENGTH_BUCKETS = (16, 32, 64, 96, 128, 160, 192, 224, 256, 320, 384, 448, 512)
CALIBRATION_TEXTS = 64
FORMAT_VERSION = 1  # bump when the saved layout or the quantization recipe changes


def openvino_available() -> bool:
    """True when OpenVINO imports and its CPU plugin can run int8."""
    try:
        import openvino as ov

        return "INT8" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    except Exception as exc:  # any failure to load means: use torch instead
        log.info("OpenVINO unavailable (%s): encoding with torch", exc)
        return False


def int8_accelerated() -> bool:
    """True when the CPU has int8 dot-product instructions (VNNI or AMX). Without them OpenVINO's
    int8 kernels are emulated and run slower than fp32 (measured on AVX2-only AMD EPYC)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(flag in flags for flag in ("avx512_vnni", "avx_vnni", "amx_int8"))


def int8_model_dir(models_dir: Path, model_name: str) -> Path:
    safe = model_name.strip("/").replace("/", "__")
    return models_dir / f"{safe}.openvino-int8"


def _calibration_texts(prompts: dict[str, str]) -> list[str]:
    """Passages and questions from the bundled sample: the text this tool is for."""
    from embeddings.chunking import chunk_article
    from embeddings.settings import ChunkingSettings, bundled_sample_dir
    from embeddings.sources import load_articles

    articles = load_articles([bundled_sample_dir()]).articles
    chunks = [c.text for a in articles for c in chunk_article(a, ChunkingSettings())]
    passages = [prompts.get("passage", "") + text for text in chunks[: CALIBRATION_TEXTS * 3 // 4]]
    questions = [prompts.get("query", "") + a.title + "是什么？" for a in articles]
    return (passages + questions * CALIBRATION_TEXTS)[:CALIBRATION_TEXTS]


def quantize_int8(model: object, samples: Sequence[object], feed: Callable[[object], dict]) -> object:
    """NNCF post-training int8 quantization of an OpenVINO `model`, calibrated on `samples`.

    NNCF draws its progress bars on stdout; they go to stderr here, because stdout carries the
    answer of `newsqa ask` (and any script's output) on the run that first quantizes.
    """
    import nncf

    with redirect_stdout(sys.stderr):
        return nncf.quantize(
            model,
            nncf.Dataset(samples, feed),
            model_type=nncf.ModelType.TRANSFORMER,
            subset_size=len(samples),
        )


def export_int8(st_folder: str, target: Path) -> None:
    """Quantize the sentence-transformers model at `st_folder` into an OpenVINO folder `target`."""
    import openvino as ov
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(st_folder, device="cpu")
    pooling = getattr(model[1], "pooling_mode", None) if len(model) > 1 else None
    tokenizer_file = Path(model.tokenizer.name_or_path) / "tokenizer.json"
    if pooling not in ("mean", "cls") or not tokenizer_file.is_file():
        raise ModelError(
            f"int8 encoding needs a transformer with mean or CLS pooling and a tokenizer.json; "
            f"{st_folder} has pooling {pooling!r}: use --precision fp32"
        )
    transformer = model[0].auto_model.eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = transformer

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    prompts = dict(getattr(model, "prompts", {}) or {})
    example = model.tokenizer(["query: 示例", "passage: 示例文本"], padding=True, return_tensors="pt")
    inputs = {"input_ids": example["input_ids"], "attention_mask": example["attention_mask"]}
    with torch.no_grad():
        converted = ov.convert_model(LastHiddenState(), example_input=inputs)
    texts = _calibration_texts(prompts)

    def feed(batch: list[str]) -> dict[str, np.ndarray]:
        tokens = model.tokenizer(batch, padding=True, truncation=True, max_length=512, return_tensors="np")
        return {name: tokens[name].astype(np.int64) for name in inputs}

    quantized = quantize_int8(converted, [texts[i : i + 4] for i in range(0, len(texts), 4)], feed)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        ov.save_model(quantized, str(work / "model.xml"))
        shutil.copy(tokenizer_file, work / "tokenizer.json")
        meta = {
            "format": FORMAT_VERSION,
            "source": st_folder,
            "pooling": pooling,
            "prompts": prompts,
            "max_length": int(model.max_seq_length or 512),
            "pad_id": int(model.tokenizer.pad_token_id or 0),
            "dimension": int(model.get_embedding_dimension()),
        }
        (work / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2))
        os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    if mode == "cls":
        pooled = hidden[:, 0]
    else:
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return pooled / np.maximum(norms, 1e-12)


@dataclass
class OpenVinoEncoder:
    model_id: str
    dimension: int
    compiled: object  # openvino.CompiledModel
    requests: list  # openvino.InferRequest, one per stream
    tokenizer: object  # tokenizers.Tokenizer, truncating at the model's maximum length
    prompts: dict[str, str]
    pooling: str
    pad_id: int
    precision: str = "int8"
    # The requests are shared state: the chat answers two questions at once, one encode at a time.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def encode(self, texts: Sequence[str], kind: TextKind) -> np.ndarray:
        with self._lock:
            return self._encode(texts, kind)

    def _encode(self, texts: Sequence[str], kind: TextKind) -> np.ndarray:
        prefix = self.prompts.get(kind, "")
        # Length-sorted requests pad little; results go back to the caller's order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        # One request per stream, in turn: while one computes, the next batch is tokenized and
        # started. Plain start_async/wait, no callback threads: those can abort the interpreter
        # at exit ("terminate called without an active exception").
        running: list[tuple[object, list[int]] | None] = [None] * len(self.requests)
        for number, begin in enumerate(range(0, len(order), REQUEST_TEXTS)):
            slot = number % len(self.requests)
            self._collect(running[slot], vectors)
            rows = order[begin : begin + REQUEST_TEXTS]
            encodings = self.tokenizer.encode_batch([prefix + texts[i] for i in rows])
            ids, mask = self._padded(encodings)
            self.requests[slot].start_async({"input_ids": ids, "attention_mask": mask})
            running[slot] = (self.requests[slot], rows)
        for job in running:
            self._collect(job, vectors)
        return vectors

    def _padded(self, encodings: list) -> tuple[np.ndarray, np.ndarray]:
        longest = max(len(e.ids) for e in encodings)
        length = next((b for b in LENGTH_BUCKETS if b >= longest), longest)
        ids = np.full((len(encodings), length), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), length), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = encoding.attention_mask
        return ids, mask

    def _collect(self, job: tuple[object, list[int]] | None, vectors: np.ndarray) -> None:
        if job is None:
            return
        request, rows = job
        request.wait()
        mask = request.get_tensor("attention_mask").data
        vectors[rows] = _pool(request.get_output_tensor(0).data, mask, self.pooling)


def load_openvino_encoder(model_name: str, st_folder: str, models_dir: Path) -> OpenVinoEncoder:
    """The int8 encoder of `model_name`, quantizing it first if this home has not yet."""
    import openvino as ov
    from filelock import FileLock
    from tokenizers import Tokenizer

    folder = int8_model_dir(models_dir, model_name)
    folder.parent.mkdir(parents=True, exist_ok=True)
    if not _current(folder):
        with FileLock(str(folder) + ".lock"):
            if not _current(folder):
                shutil.rmtree(folder, ignore_errors=True)
                log.warning("quantizing %s to int8 for OpenVINO into %s, once (~30 s)", model_name, folder)
                export_int8(st_folder, folder)
    meta = json.loads((folder / "meta.json").read_text())
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(meta["max_length"])
    core = ov.Core()
    # The compiled form of the model is cached beside it: later start-ups load it instead of
    # compiling again (~2 s saved on every `newsqa serve`).
    core.set_property({"CACHE_DIR": str(folder / "compiled")})
    config = {
        "PERFORMANCE_HINT": "THROUGHPUT",
        "NUM_STREAMS": STREAMS,
        "INFERENCE_NUM_THREADS": STREAMS,
        # "CPU_RUNTIME_CACHE_CAPACITY": SHAPE_CACHE,
    }
    if "BF16" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES"):
        config["INFERENCE_PRECISION_HINT"] = "bf16"  # the ops left in float; fp32 elsewhere
    compiled = core.compile_model(str(folder / "model.xml"), "CPU", config)
    return OpenVinoEncoder(
        model_id=model_name,
        dimension=meta["dimension"],
        compiled=compiled,
        requests=[compiled.create_infer_request() for _ in range(STREAMS)],
        tokenizer=tokenizer,
        prompts=meta["prompts"],
        pooling=meta["pooling"],
        pad_id=meta["pad_id"],
    )


def _current(folder: Path) -> bool:
    try:
        return json.loads((folder / "meta.json").read_text())["format"] == FORMAT_VERSION
    except (OSError, ValueError, KeyError):
        return False
