"""Zips of pages, unpacked safely: nothing is written outside the unpack folder.

A zip is refused (with a warning naming it) when a member's path is absolute or climbs out with
`..`, when a member is a link, or when it expands past `MAX_UNPACKED_BYTES` or `MAX_MEMBERS` (a
zip bomb). Members are unpacked into `<unpack_dir>/<sha256 of the zip, 16 hex>/`, so a rebuild
with the same zip reuses the folder, and a changed zip gets a new one.
"""

from __future__ import annotations

import hashlib
import shutil
import stat
import tempfile
import uuid
import zipfile
from pathlib import Path, PurePosixPath

from embeddings.errors import CorpusError

__all__ = ["ARCHIVE_SUFFIXES", "MAX_MEMBERS", "MAX_UNPACKED_BYTES", "check_archive", "unpack_archive"]

ARCHIVE_SUFFIXES = (".zip",)
MAX_UNPACKED_BYTES = 4 * 1024**3  # a year of a daily's page PDFs is ~2 GB
MAX_MEMBERS = 100_000
_COPY_CHUNK = 1 << 20


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(_COPY_CHUNK), b""):
            sha.update(block)
    return sha.hexdigest()[:16]


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name; zips made on Chinese Windows store GBK names without saying so."""
    if info.flag_bits & 0x800:  # the name is UTF-8
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _size(count: int) -> str:
    return f"{count / 1024**3:.1f} GB" if count >= 1024**3 else f"{count / 1024**2:.1f} MB"


def _too_large(name: str, limit: int) -> CorpusError:
    return CorpusError(
        f"{name}: expands past {_size(limit)}; split it into smaller zips",
        zh=f"{name}：解压后超过 {_size(limit)}；请拆成几个较小的压缩包",
    )


def _checked_members(
    archive: zipfile.ZipFile, name: str, limit: int | None = None
) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    limit = MAX_UNPACKED_BYTES if limit is None else limit
    members = [info for info in archive.infolist() if not info.is_dir()]
    if len(members) > MAX_MEMBERS:
        raise CorpusError(
            f"{name}: holds {len(members)} files, more than {MAX_MEMBERS}; split it into smaller zips",
            zh=f"{name}：含 {len(members)} 个文件，超过 {MAX_MEMBERS} 个；请拆成几个较小的压缩包",
        )
    total = sum(info.file_size for info in members)
    if total > limit:
        raise CorpusError(
            f"{name}: would expand to {_size(total)}, more than {_size(limit)}; split it into smaller zips",
            zh=f"{name}：解压后有 {_size(total)}，超过 {_size(limit)}；请拆成几个较小的压缩包",
        )
    checked = []
    for info in members:
        member = PurePosixPath(_member_name(info).replace("\\", "/"))
        if member.is_absolute() or ".." in member.parts or (member.parts and member.parts[0].endswith(":")):
            raise CorpusError(
                f"{name}: member '{info.filename}' points outside the zip's folder; refused",
                zh=f"{name}：其中的 {info.filename} 指向压缩包以外的位置，不予接受",
            )
        if stat.S_ISLNK(info.external_attr >> 16):
            raise CorpusError(
                f"{name}: member '{info.filename}' is a link; refused",
                zh=f"{name}：其中的 {info.filename} 是链接，不予接受",
            )
        checked.append((info, member))
    return checked


def check_archive(path: Path, name: str, limit: int) -> int:
    """The number of files in the zip at `path`, after checking it as `unpack_archive` would and
    decompressing it (to nowhere) to count what it really expands to, which must stay under
    `limit`; CorpusError naming `name` otherwise."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = _checked_members(archive, name, limit)
            written = 0
            for info, _ in members:
                with archive.open(info) as source:
                    for block in iter(lambda source=source: source.read(_COPY_CHUNK), b""):
                        written += len(block)
                        if written > limit:
                            raise _too_large(name, limit)
    except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
        raise CorpusError(f"{name}: not a readable zip ({exc})", zh=f"{name}：压缩包无法读取") from exc
    return len(members)


def unpack_archive(path: Path, name: str, unpack_dir: Path | None) -> Path:
    """The folder holding the zip's files; CorpusError (naming `name`) when it cannot be used."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise CorpusError(f"{name}: not a readable zip ({exc})", zh=f"{name}：压缩包无法读取") from exc
    with archive:
        members = _checked_members(archive, name)
        root = Path(unpack_dir) if unpack_dir is not None else Path(tempfile.gettempdir()) / "newsqa-unpacked"
        target = root / _digest(path)
        if target.is_dir():
            return target
        root.mkdir(parents=True, exist_ok=True)
        work = root / f".unpacking-{uuid.uuid4().hex}"
        try:
            written = 0
            for info, member in members:
                out = work.joinpath(*member.parts)
                out.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as source, out.open("wb") as sink:
                    # Count what is really written: a member's declared size can lie.
                    for block in iter(lambda source=source: source.read(_COPY_CHUNK), b""):
                        written += len(block)
                        if written > MAX_UNPACKED_BYTES:
                            raise _too_large(name, MAX_UNPACKED_BYTES)
                        sink.write(block)
            work.rename(target)
        except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
            raise CorpusError(f"{name}: damaged zip ({exc})") from exc
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target
