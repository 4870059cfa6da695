"""Encoder precisions: int8 (OpenVINO) by default, bf16 and fp32 on request, clean fallbacks.

Speed is measured in bench/perf.py; these tests pin what must hold for the speed to be usable:
the fast vectors point where the fp32 ones do, and a machine without OpenVINO still works.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from embeddings.chunking import chunk_article
from embeddings.encoding.encoder import bf16_supported, load_encoder
from embeddings.encoding.openvino_encoder import OpenVinoEncoder, int8_model_dir
from embeddings.settings import ChunkingSettings, Settings
from qa.cli import app

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ["前黄浜全长多少公里？", "武进区委书记是谁？", "Who chairs the district?", "🙂"]


@pytest.fixture(scope="module")
def fp32_encoder(settings: Settings, model_dir: Path):
    return load_encoder(replace(settings, precision="fp32"))


@pytest.fixture(scope="module")
def sample_texts(sample_articles) -> list[str]:
    return [c.text for a in sample_articles for c in chunk_article(a, ChunkingSettings())]


def test_default_precision_is_int8_openvino_on_this_machine(encoder) -> None:
    assert isinstance(encoder, OpenVinoEncoder) and encoder.precision == "int8"
    assert encoder.dimension == 384


def test_int8_vectors_match_fp32(encoder, fp32_encoder, sample_texts) -> None:
    # Passages are what the quantization was calibrated on; short, odd queries drift a little more.
    for kind, texts, floor in (("passage", sample_texts, 0.985), ("query", QUESTIONS, 0.97)):
        fast, exact = encoder.encode(texts, kind), fp32_encoder.encode(texts, kind)
        assert fast.shape == exact.shape == (len(texts), 384) and fast.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-4)
        cosines = (fast * exact).sum(axis=1)
        assert cosines.min() > floor, (kind, cosines.min())


def test_int8_keeps_input_order_and_does_not_depend_on_batching(encoder, sample_texts) -> None:
    texts = sample_texts[:9]
    together = encoder.encode(texts, "passage")
    one_by_one = np.vstack([encoder.encode([t], "passage") for t in reversed(texts)])[::-1]
    np.testing.assert_allclose(together, one_by_one, atol=2e-3)
    assert encoder.encode([], "query").shape == (0, 384)


def test_int8_ranking_agrees_with_fp32(encoder, fp32_encoder, sample_texts) -> None:
    question = "前黄浜全长多少公里？"
    ranks = []
    for enc in (encoder, fp32_encoder):
        scores = enc.encode(sample_texts, "passage") @ enc.encode([question], "query")[0]
        ranks.append(list(np.argsort(-scores)[:3]))
    assert ranks[0][0] == ranks[1][0] and "2.3公里" in sample_texts[ranks[0][0]]


def test_quantized_model_is_made_once_and_reused(settings: Settings, encoder) -> None:
    folder = int8_model_dir(settings.models_dir, settings.model)
    assert {"model.xml", "model.bin", "tokenizer.json", "meta.json"} <= {p.name for p in folder.iterdir()}
    before = (folder / "model.bin").stat().st_mtime_ns
    again = load_encoder(settings)
    assert (folder / "model.bin").stat().st_mtime_ns == before
    assert list((folder / "compiled").iterdir())  # OpenVINO's compiled blob, for a fast next start
    same = again.encode(QUESTIONS, "query"), encoder.encode(QUESTIONS, "query")
    np.testing.assert_allclose(*same, atol=1e-5)


@pytest.mark.skipif(not bf16_supported(), reason="this CPU has no bf16 support in torch")
def test_bf16_is_torch_autocast_and_close_to_fp32(settings, fp32_encoder, sample_texts) -> None:
    bf16 = load_encoder(replace(settings, precision="bf16"))
    assert bf16.precision == "bf16"
    cosines = (bf16.encode(sample_texts, "passage") * fp32_encoder.encode(sample_texts, "passage")).sum(1)
    assert cosines.min() > 0.99


def test_without_openvino_auto_falls_back_to_torch(settings: Settings, model_dir: Path) -> None:
    # A machine without OpenVINO: the import is blocked in a child process, nothing else changes.
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["openvino"] = None
        from pathlib import Path
        from embeddings.encoding.encoder import bf16_supported, load_encoder
        from embeddings.errors import ModelError
        from embeddings.settings import Settings
        settings = Settings(home=Path({str(settings.home)!r}))
        encoder = load_encoder(settings)
        assert type(encoder).__name__ == "SentenceTransformerEncoder", encoder
        assert encoder.precision == ("bf16" if bf16_supported() else "fp32")
        assert encoder.encode(["前黄浜全长多少公里？"], "query").shape == (1, 384)
        try:
            load_encoder(Settings(home=settings.home, precision="int8"))
        except ModelError as error:
            print("refused:", error)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "refused: int8 encoding needs OpenVINO" in done.stdout


def test_bad_precision_is_a_clear_cli_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NEWSQA_HOME", str(tmp_path))
    monkeypatch.setenv("NEWSQA_PRECISION", "int4")
    result = CliRunner().invoke(app, ["ask", "前黄浜全长多少公里？"])
    assert result.exit_code == 1 and "precision must be one of auto, int8, bf16, fp32" in result.output
    monkeypatch.delenv("NEWSQA_PRECISION")
    result = CliRunner().invoke(app, ["ask", "前黄浜全长多少公里？", "--precision", "fp8"])
    assert result.exit_code == 1 and "got 'fp8'" in result.output


def test_quantizing_writes_nothing_on_stdout(capfd) -> None:
    """stdout carries `newsqa ask`'s answer; NNCF's progress bars must not land in front of it."""
    import openvino as ov
    import torch

    from embeddings.encoding.openvino_encoder import quantize_int8

    layers = torch.nn.Sequential(torch.nn.Linear(16, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
    model = ov.convert_model(layers.eval(), example_input=torch.zeros(1, 16))
    samples = [np.random.default_rng(i).standard_normal((1, 16)).astype(np.float32) for i in range(8)]
    quantized = quantize_int8(model, samples, lambda sample: sample)
    out, err = capfd.readouterr()
    assert out == ""
    assert "Statistics collection" in err  # the progress is still shown, on stderr
    assert any("FakeQuantize" in op.get_type_name() for op in quantized.get_ops())
