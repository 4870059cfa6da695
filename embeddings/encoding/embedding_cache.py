"""An Encoder that remembers vectors: keyed by model, precision, text kind and text, in SQLite.

Re-embedding an unchanged chunk is the slow part of every rebuild; with this wrapper a rebuild
(or a benchmark re-run) only pays for texts it has not seen. Vectors are stored as raw float32
bytes, never pickled.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from embeddings.encoding.encoder import Encoder, TextKind

__all__ = ["CachingEncoder"]

_SCHEMA = "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)"


@dataclass
class CachingEncoder:
    inner: Encoder
    path: Path
    read: bool = True  # False: embed everything again (a --full build), still storing the vectors
    hits: int = 0
    misses: int = 0
    _db: sqlite3.Connection | None = field(default=None, init=False, repr=False)

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    @property
    def precision(self) -> str:
        return self.inner.precision

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=60)
            self._db.execute(_SCHEMA)
        return self._db

    def _key(self, text: str, kind: TextKind) -> str:
        return hashlib.sha256(f"{self.model_id}\0{self.precision}\0{kind}\0{text}".encode()).hexdigest()

    def encode(self, texts: Sequence[str], kind: TextKind) -> np.ndarray:
        db = self._connection()
        keys = [self._key(text, kind) for text in texts]
        found: dict[str, np.ndarray] = {}
        for begin in range(
            0, len(keys) if self.read else 0, 500
        ):  # SQLite caps the number of bound parameters
            part = keys[begin : begin + 500]
            rows = db.execute(
                f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(part))})", part
            )
            found.update((key, np.frombuffer(blob, dtype=np.float32)) for key, blob in rows)
        missing = sorted({i for i, key in enumerate(keys) if key not in found}, key=lambda i: len(texts[i]))
        if missing:
            fresh = self.inner.encode([texts[i] for i in missing], kind)
            with db:
                db.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                    [(keys[i], fresh[row].astype(np.float32).tobytes()) for row, i in enumerate(missing)],
                )
            found.update((keys[i], fresh[row]) for row, i in enumerate(missing))
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        return (
            np.stack([found[key] for key in keys]).astype(np.float32)
            if keys
            else np.zeros((0, self.dimension))
        )

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
