"""The shipped weights format: fine-tuned matrices as int8 changes from the base model, the rest
whole in fp16; a file that does not fit the base is refused with the rebuild command."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from embeddings.errors import ModelError
from embeddings.settings import Settings
from qa.reader.loading import load_reader
from qa.reader.model import READER_WEIGHTS, packed_state, shipped_dir, unpacked_state


def test_a_change_survives_packing_to_within_half_an_int8_step_of_its_row() -> None:
    generator = torch.Generator().manual_seed(0)
    base = {"layer.weight": torch.randn(8, 16, generator=generator), "layer.bias": torch.zeros(8)}
    change = 0.01 * torch.randn(8, 16, generator=generator)
    change[3] = 0  # a row training left alone
    trained = {
        "layer.weight": base["layer.weight"] + change,
        "layer.bias": torch.full((8,), 0.5),
        "head.weight": torch.randn(2, 16, generator=generator),  # not in the base: kept whole
    }
    packed = packed_state(trained, base)
    assert packed["layer.weight.delta_int8"].dtype == torch.int8
    assert {"layer.bias", "head.weight"} <= set(packed) and "layer.weight" not in packed
    restored = unpacked_state(packed, base)
    step = change.abs().amax(dim=1, keepdim=True) / 127
    assert torch.all((restored["layer.weight"] - trained["layer.weight"]).abs() <= step / 2 + 1e-6)
    assert torch.equal(restored["layer.weight"][3], base["layer.weight"][3])
    assert torch.allclose(restored["head.weight"], trained["head.weight"], atol=1e-2)
    del packed["layer.weight.delta_scale"]
    assert unpacked_state(packed, base) is None


def test_weights_missing_a_scale_are_refused_naming_the_rebuild(settings: Settings, tmp_path: Path) -> None:
    weights = tmp_path / "weights"
    shutil.copytree(shipped_dir(), weights)
    state = load_file(str(weights / READER_WEIGHTS))
    scale = next(name for name in state if name.endswith(".delta_scale"))
    save_file({k: v for k, v in state.items() if k != scale}, str(weights / READER_WEIGHTS))
    with pytest.raises(ModelError, match="do not fit the base model") as refused:
        load_reader(replace(settings, precision="fp32"), weights)
    assert "python -m qa.reader.train" in str(refused.value)
