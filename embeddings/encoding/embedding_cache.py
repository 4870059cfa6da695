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

    def lookup(self, texts: Sequence[str], kind: TextKind) -> tuple[dict[int, np.ndarray], list[int]]:
        """The cached vectors of `texts` by position, and the positions not cached (shortest first)."""
        db = self._connection()
        keys = [self._key(text, kind) for text in texts]
        found: dict[str, np.ndarray] = {}
        for begin in range(0, len(keys) if self.read else 0, 500):  # SQLite caps bound parameters
            part = keys[begin : begin + 500]
            rows = db.execute(
                f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(part))})", part
            )
            found.update((key, np.frombuffer(blob, dtype=np.float32)) for key, blob in rows)
        cached = {i: found[key] for i, key in enumerate(keys) if key in found}
        missing = sorted((i for i in range(len(texts)) if i not in cached), key=lambda i: len(texts[i]))
        self.hits += len(cached)
        self.misses += len(missing)
        return cached, missing

    def store(self, texts: Sequence[str], vectors: np.ndarray, kind: TextKind) -> None:
        """Remember `vectors`, one per text, computed elsewhere (e.g. by encoder actors)."""
        with self._connection() as db:
            db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                [
                    (self._key(t, kind), v.astype(np.float32).tobytes())
                    for t, v in zip(texts, vectors, strict=True)
                ],
            )

    def encode(self, texts: Sequence[str], kind: TextKind) -> np.ndarray:
        found, missing = self.lookup(texts, kind)
        if missing:
            fresh = self.inner.encode([texts[i] for i in missing], kind)
            self.store([texts[i] for i in missing], fresh, kind)
            found.update(zip(missing, fresh, strict=True))
        if not texts:
            return np.zeros((0, self.dimension))
        return np.stack([found[i] for i in range(len(texts))]).astype(np.float32)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
