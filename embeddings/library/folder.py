"""The archive folder of an index: uploaded files are checked, kept there, and removed from there.

`<index>/sources/` holds the files added through the archive page (or `newsqa add`); every build
of the index reads it besides the paths it was given, and `inputs.json` records those paths, so
a rebuild after an upload or a removal reads the same archive again. Nothing outside the folder
is ever written or deleted: a source read from another folder is left in place, and removing it
means leaving it out of that build's inputs (possible only for a file given by itself).

Two uploads at once take turns under a file lock; each file is copied to a hidden temporary name
in the folder and renamed into place, so a half-copied file is never read by a build.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from embeddings.errors import CorpusError, NewsqaError
from embeddings.settings import Settings
from embeddings.sources.archive import ARCHIVE_SUFFIXES, check_archive
from embeddings.sources.load import SUPPORTED_SUFFIXES

__all__ = [
    "ACCEPTED_SUFFIXES",
    "AddReport",
    "Refusal",
    "Removal",
    "StoredFile",
    "add_files",
    "archive_files",
    "build_inputs",
    "record_inputs",
    "remove_file",
]

ACCEPTED_SUFFIXES = tuple(sorted({*SUPPORTED_SUFFIXES, *ARCHIVE_SUFFIXES}))
INPUTS_FILE = "inputs.json"  # in the index folder: the paths the last build was given
ZIP_EXPANSION = 10  # a zip may expand to this many times the upload limit (text compresses ~5x)
MAX_NAME_CHARS = 160
LOCK_TIMEOUT = 120  # seconds an upload waits for another one


@dataclass(frozen=True)
class StoredFile:
    name: str  # its name in the archive folder
    size: int
    replaced: bool = False  # a file of that name was there before, with other content


@dataclass(frozen=True)
class Refusal:
    """Why an upload was not added: in English (the CLI) and in Chinese (the archive page)."""

    reason: str  # names the file: "x.docx: unknown format '.docx'; …"
    zh: str

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class Removal:
    """What removing a source did: deleted it from the archive folder, or (a file a build was
    given by itself) left it out of the next build, the file untouched."""

    name: str
    deleted: bool
    path: str | None = None  # the file left in place, when not deleted

    def __str__(self) -> str:
        if self.deleted:
            return f"{self.name} deleted from the archive folder"
        return f"{self.name} left out of the index (the file itself, {self.path}, is not touched)"

    @property
    def zh(self) -> str:
        if self.deleted:
            return f"已从资料库文件夹删除 {self.name}。"
        return f"{self.name} 不再收入索引（文件本身 {self.path} 未被改动）。"


@dataclass(frozen=True)
class AddReport:
    stored: list[StoredFile] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


def _lock(settings: Settings):
    from filelock import FileLock

    folder = settings.archive_dir
    folder.mkdir(parents=True, exist_ok=True)
    return FileLock(str(folder / ".lock"), timeout=LOCK_TIMEOUT)


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def archive_files(settings: Settings) -> list[Path]:
    """The files in the archive folder (not its hidden working files), by name."""
    folder = settings.archive_dir
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def clean_name(name: str) -> str:
    """The file name an upload is stored under: its last path part, without control characters;
    CorpusError when nothing usable is left (a name that is only dots or slashes)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    if not base or base.startswith(".") or len(base) > MAX_NAME_CHARS:
        raise CorpusError(
            f"'{name}': not a usable file name; rename the file and upload it again",
            zh=f"“{name}”：文件名不可用；请重命名后再上传",
        )
    return base


def _refusal(name: str, path: Path, settings: Settings, known: dict[str, str]) -> Refusal | None:
    """Why the upload `name` at `path` cannot be added, or None when it can."""
    suffix = Path(name).suffix.lower()
    accepted = " ".join(ACCEPTED_SUFFIXES)
    if suffix not in ACCEPTED_SUFFIXES:
        shown = Path(name).suffix or "(no suffix)"
        return Refusal(
            f"{name}: unknown format '{shown}'; newsqa reads {accepted}",
            f"{name}：不支持的格式“{Path(name).suffix or '无后缀'}”；可以上传 {accepted}",
        )
    size = path.stat().st_size
    if size > settings.max_upload_bytes:
        megabytes = f"{size / 1024**2:.1f} MB"
        return Refusal(
            f"{name}: {megabytes}, more than the {settings.max_upload_mb} MB an upload may be; "
            "split it, or add it with `newsqa add`",
            f"{name}：{megabytes}，超过单个文件 {settings.max_upload_mb} MB 的上限；"
            "请拆分后上传，或用 newsqa add 加入",
        )
    if size == 0:
        return Refusal(f"{name}: the file is empty", f"{name}：文件是空的")
    digest = _digest(path)
    if digest in known:
        return Refusal(
            f"{name}: the same file is already in the archive as {known[digest]}",
            f"{name}：同样的文件已在资料库中（{known[digest]}）",
        )
    if suffix in ARCHIVE_SUFFIXES:
        try:
            check_archive(path, name, settings.max_upload_bytes * ZIP_EXPANSION)
        except CorpusError as error:
            return Refusal(f"{error}; nothing was added", f"{error.zh or error}；压缩包中的文件都未加入")
    known[digest] = name
    return None


def add_files(settings: Settings, uploads: Sequence[tuple[str, Path]]) -> AddReport:
    """Copy each (name, path) upload into the archive folder, or refuse it with a reason: an
    unknown format, too large, empty, already there (same content under any name), or a zip
    that leaves its folder or expands too far. A file of the same name is replaced."""
    report = AddReport()
    with _lock(settings):
        folder = settings.archive_dir
        existing = {_digest(p): p.name for p in archive_files(settings)}
        for given, path in uploads:
            try:
                name = clean_name(given)
            except CorpusError as error:
                report.refused.append(Refusal(str(error), error.zh or str(error)))
                continue
            refusal = _refusal(name, Path(path), settings, existing)
            if refusal:
                report.refused.append(refusal)
                continue
            target = folder / name
            work = folder / f".upload-{uuid.uuid4().hex}"
            try:
                shutil.copyfile(path, work)
                replaced = target.exists()
                os.replace(work, target)
            finally:
                work.unlink(missing_ok=True)
            report.stored.append(StoredFile(name, target.stat().st_size, replaced))
    return report


def _read_inputs(settings: Settings) -> list[str]:
    path = settings.resolved_index_dir / INPUTS_FILE
    try:
        return list(json.loads(path.read_text(encoding="utf-8"))["inputs"])
    except (OSError, ValueError, KeyError, TypeError):
        return []


def record_inputs(settings: Settings, paths: Sequence[Path]) -> None:
    """Remember the paths a build read (the archive folder aside), for the next rebuild."""
    folder = settings.archive_dir.resolve()
    inputs = [str(Path(p).resolve()) for p in paths if Path(p).resolve() != folder]
    path = settings.resolved_index_dir / INPUTS_FILE
    work = path.with_name(f".{INPUTS_FILE}.{uuid.uuid4().hex}")
    work.write_text(json.dumps({"inputs": inputs}, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(work, path)


def build_inputs(settings: Settings) -> list[Path]:
    """What a rebuild reads: the recorded inputs that still exist, and the archive folder when it
    holds files; NewsqaError when that is nothing."""
    index_dir = settings.resolved_index_dir
    if (index_dir / "CURRENT").is_file() and not (index_dir / INPUTS_FILE).is_file():
        # Built by a newsqa that did not record its inputs: a rebuild from the archive folder
        # alone would drop everything else the index holds.
        raise NewsqaError(
            f"{index_dir} was built by an older newsqa that did not record what it read: run "
            "`newsqa build PATHS` once with the paths it was built from; then files can be added here",
            zh="这个索引由旧版 newsqa 建立，没有记下它读过哪些文件：请先用建立它时的路径运行一次"
            " newsqa build PATHS，之后才能在这里加入文件。",
        )
    paths = [Path(p) for p in _read_inputs(settings) if Path(p).exists()]
    if archive_files(settings):
        paths.append(settings.archive_dir)
    if not paths:
        raise NewsqaError(
            "the archive is empty: upload pages, or add them with `newsqa add FILES`",
            zh="资料库是空的：请先上传版面，或用 newsqa add FILES 加入。",
        )
    return paths


def _keep_last(
    settings: Settings, name: str, stored_left: Sequence[Path], inputs_left: Sequence[str]
) -> None:
    """NewsqaError when removing `name` from a built index would leave the next build nothing to
    read: the rebuild would fail and the index would go on citing the removed file's articles."""
    built = (settings.resolved_index_dir / "CURRENT").is_file()
    if built and not stored_left and not any(Path(p).exists() for p in inputs_left):
        raise NewsqaError(
            f"{name} is the last source of this archive, so it was kept: without it the index "
            "would have nothing to search. Add the pages that replace it first, then remove it; "
            "to start over, build a new index with `newsqa build PATHS`",
            zh=f"{name} 是资料库中最后一个来源，已保留：删除它后索引将无可检索。请先加入替代它的版面再删除；"
            "要从头开始，请用 newsqa build PATHS 新建索引。",
        )


def remove_file(settings: Settings, name: str) -> Removal:
    """Take the source file `name` out of the archive: delete it from the archive folder, or, for
    a file a build was given by itself, leave it out of the next build. Returns what was done;
    NewsqaError when `name` is neither (a file inside another folder is never deleted), or when it
    is the archive's last source."""
    with _lock(settings):
        stored = archive_files(settings)
        inputs = _read_inputs(settings)
        for path in stored:
            if path.name == name:
                _keep_last(settings, name, [p for p in stored if p != path], inputs)
                path.unlink()
                return Removal(name, deleted=True)
        given = [p for p in inputs if Path(p).name == name and not Path(p).is_dir()]
        if given:
            kept = [p for p in inputs if p not in given]
            _keep_last(settings, name, stored, kept)
            record_inputs(settings, [Path(p) for p in kept])
            return Removal(name, deleted=False, path=given[0])
    folders = [p for p in inputs if Path(p).is_dir()]
    where = f" (it is read from {', '.join(folders)})" if folders else ""
    raise NewsqaError(
        f"{name} is not a file of this archive{where}; `newsqa sources` lists what can be removed. "
        "newsqa never deletes files outside its archive folder: move such a file out of its folder, "
        "then rebuild",
        zh=f"{name} 不是这个资料库中的文件，无法删除；newsqa 从不删除资料库文件夹以外的文件。",
    )
