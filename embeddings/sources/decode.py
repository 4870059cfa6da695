"""Bytes of a text file → str: UTF-8, UTF-16 with a BOM, GB18030, else charset-normalizer's guess."""

from __future__ import annotations

import codecs
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

from embeddings.errors import CorpusError
from embeddings.sources.reading import SourceFile

__all__ = ["read_text_file", "text_sources"]

logger = logging.getLogger(__name__)

_SIMPLIFIED_SHARE = 0.9  # share of hanzi inside GB2312 above which a GB18030 decoding is trusted


def read_text_file(path: Path) -> str:
    """A text file's content as str with "\\n" line ends; CorpusError when it is not text."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    return _decode(data, path).replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes, path: Path) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Windows Notepad's "Unicode"
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise CorpusError(f"{path}: starts like UTF-16 but does not decode ({exc.reason})") from exc
    if b"\x00" in data:
        raise CorpusError(f"{path}: binary file (contains NUL bytes), expected a text page")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    # GB18030 accepts almost any double-byte text, Big5 included, so only a decoding that reads as
    # Simplified Chinese is trusted without asking charset-normalizer.
    if text is not None and _simplified_share(text) >= _SIMPLIFIED_SHARE:
        return text
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        logger.debug("%s: decoded as %s", path, best.encoding)
        return str(best)
    if text is not None:
        return text
    raise CorpusError(f"{path}: not text in UTF-8, GB18030 or another known encoding; save it as UTF-8")


def _simplified_share(text: str) -> float:
    hanzi = [char for char in text if "\u4e00" <= char <= "\u9fff"]
    if not hanzi:
        return 1.0
    return sum(_in_gb2312(char) for char in hanzi) / len(hanzi)


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def text_sources(files: Sequence[SourceFile], warnings: list[str]) -> Iterator[tuple[SourceFile, str]]:
    """Each file with its decoded text; unreadable and empty files become warnings instead."""
    for file in files:
        try:
            text = read_text_file(file.path)
        except CorpusError as exc:
            warnings.append(f"{exc}; skipped")
            continue
        if not text.strip():
            warnings.append(f"{file.name}: empty file, skipped")
            continue
        yield file, text
