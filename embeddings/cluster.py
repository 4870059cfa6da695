"""newsqa on a Ray cluster: builds whose stages run on its workers, shards served by its actors.

Only `--ray` (`Settings.ray`) imports this module, and Ray with it. The address is Ray's own:
"local" starts a cluster in this process for the build or the server and stops it at exit,
"auto" joins the cluster `ray start` runs on this machine, `ray://host:10001` a remote one.
Every node needs newsqa installed and the index directory at the same path (shared storage);
each encoder actor converts or loads the int8 encoder in its node's `NEWSQA_HOME` once.

On small nodes, actors take fractional CPUs (`Settings.ray_cpus`, default 0.5): two encoder
actors at a whole CPU each plus Ray Data's own tasks deadlock a 2-CPU node.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from embeddings.chunking import Chunk
from embeddings.encoding.embedding_cache import CachingEncoder
from embeddings.encoding.encoder import Encoder, load_encoder
from embeddings.errors import NewsqaError
from embeddings.settings import Settings
from embeddings.stages import ENCODE_BATCH, R, T
from embeddings.store.index import Candidates, load_generation
from embeddings.store.shards import ShardQuery, ShardRequests, record_serving

__all__ = ["RayRunner", "RayShards", "connect"]

log = logging.getLogger(__name__)

LOCAL = "local"


def connect(settings: Settings) -> None:
    """Join (or, for "local", start) the cluster `settings.ray` names, once per process."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage report leaves the machine
    import ray

    if ray.is_initialized():
        return
    address = None if settings.ray in (None, "", LOCAL) else settings.ray
    try:
        ray.init(
            address=address,
            namespace="newsqa",
            include_dashboard=False,
            log_to_driver=False,
            runtime_env={"env_vars": {"RAY_USAGE_STATS_ENABLED": "0", "NEWSQA_HOME": str(settings.home)}},
        )
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise NewsqaError(
            f"could not reach the Ray cluster at {settings.ray!r} ({error}); start one with "
            "`ray start --head`, or give --ray without an address for a local one"
        ) from None
    log.info("connected to Ray: %s", ray.cluster_resources())


def _apply(fn: Callable[[T], R], item: T) -> R:
    return fn(item)


class _EncodeBatch:
    """A Ray Data actor: loads the encoder once, then embeds the batches it is given."""

    def __init__(self, settings: Settings) -> None:
        self.encoder = load_encoder(settings)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"row": batch["row"], "vector": self.encoder.encode(list(batch["text"]), "passage")}


@dataclass
class RayRunner:
    """The build's stages as Ray tasks, the embedding on a pool of encoder actors (Ray Data)."""

    settings: Settings
    parallel: bool = True

    def __post_init__(self) -> None:
        connect(self.settings)

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        import ray

        task = ray.remote(num_cpus=self.settings.ray_cpus)(_apply)
        return ray.get([task.remote(fn, item) for item in items])

    def embed(
        self, chunks: Sequence[Chunk], encoder: Encoder, progress: Callable[[int, int], None] | None
    ) -> np.ndarray:
        """Vectors of `chunks`: cached ones from the embedding cache here, the others from
        `ray_workers` encoder actors, stored in the cache as they come back."""
        import ray.data

        texts = [chunk.text for chunk in chunks]
        vectors = np.zeros((len(texts), encoder.dimension), dtype=np.float32)
        if isinstance(encoder, CachingEncoder):
            found, missing = encoder.lookup(texts, "passage")
        else:
            found, missing = {}, sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for row, vector in found.items():
            vectors[row] = vector
        done = len(found)
        if progress:
            progress(done, len(texts))
        if not missing:
            return vectors
        # Shortest first, as encode_chunks does: a batch of similar lengths pads little.
        items = ray.data.from_items([{"row": i, "text": texts[i]} for i in missing])
        embedded = items.map_batches(
            _EncodeBatch,
            fn_constructor_kwargs={"settings": self.settings},
            batch_size=ENCODE_BATCH,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=self.settings.ray_workers),
            num_cpus=self.settings.ray_cpus,
        )
        for batch in embedded.iter_batches(batch_size=ENCODE_BATCH, batch_format="numpy"):
            vectors[batch["row"]] = batch["vector"]
            if isinstance(encoder, CachingEncoder):
                encoder.store([texts[i] for i in batch["row"]], batch["vector"], "passage")
            done += len(batch["row"])
            if progress:
                progress(done, len(texts))
        return vectors


class ShardActor:
    """One shard's search structures (vectors, graph, keyword index), loaded once per actor."""

    def __init__(self, folder: str) -> None:
        self.index = load_generation(Path(folder), search_only=True)
        self.searches = 0

    def search(self, allowed: np.ndarray | None, query: ShardQuery) -> Candidates:
        self.searches += 1
        return query.run(self.index, allowed)

    def describe(self) -> dict:
        """Where the actor runs and how often it searched (for `newsqa info` and the tests)."""
        import ray

        return {"node": ray.util.get_node_ip_address(), "pid": os.getpid(), "searches": self.searches}


@dataclass
class RayShards:
    """A ShardPool of Ray actors, one per shard; a dead actor is replaced (its shard reloaded)
    and the searches it missed are reported, never silently dropped."""

    folders: list[Path]
    cpus: float = 0.5
    timeout: float = 30.0  # seconds a search waits for a shard before leaving it out
    actors: list = field(default_factory=list)

    @classmethod
    def start(cls, settings: Settings, folders: Sequence[Path]) -> RayShards:
        import ray

        connect(settings)
        pool = cls(list(folders), settings.ray_cpus, settings.ray_timeout)
        pool.actors = [pool._actor(folder) for folder in pool.folders]
        ray.get([actor.describe.remote() for actor in pool.actors])  # every shard loaded
        served = time.strftime("%Y-%m-%d %H:%M")
        record_serving(
            settings.resolved_index_dir,
            {
                f.name: f"{where} since {served}"
                for f, where in zip(pool.folders, pool.placement(), strict=True)
            },
        )
        return pool

    def _actor(self, folder: Path):  # -> ray.actor.ActorHandle
        import ray

        return ray.remote(ShardActor).options(num_cpus=self.cpus, max_restarts=0).remote(str(folder))

    def search(self, requests: ShardRequests, query: ShardQuery) -> tuple[dict[int, Candidates], list[int]]:
        import ray
        from ray.exceptions import ActorDiedError, ActorUnavailableError, GetTimeoutError, RayActorError

        refs = {s: self.actors[s].search.remote(allowed, query) for s, allowed in requests.items()}
        ray.wait(list(refs.values()), num_returns=len(refs), timeout=self.timeout)
        results: dict[int, Candidates] = {}
        failed: list[int] = []
        for s, ref in refs.items():
            try:
                results[s] = ray.get(ref, timeout=0)
            except (ActorDiedError, RayActorError) as error:
                log.warning("shard %s died (%s): restarting it", self.folders[s].name, type(error).__name__)
                failed.append(s)
                self.actors[s] = self._actor(self.folders[s])
            except (ActorUnavailableError, GetTimeoutError):
                log.warning("shard %s did not answer within %.0fs", self.folders[s].name, self.timeout)
                failed.append(s)
        return results, failed

    def describe(self) -> list[dict]:
        """Each shard actor's node, process and searches (a dead one: {"node": "down"})."""
        import ray

        described = []
        for actor in self.actors:
            try:
                described.append(ray.get(actor.describe.remote(), timeout=self.timeout))
            except Exception:
                described.append({"node": "down"})
        return described

    def placement(self) -> list[str]:
        return [f"ray {d['node']} pid {d['pid']}" if "pid" in d else "down" for d in self.describe()]
