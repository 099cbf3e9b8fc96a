"""Bulk embedding on a Ray cluster: ``python -m qa build --ray [ADDRESS]``.

Only the embedding passes move: reading, chunking, fitting the searches and
the atomic (or transactional) write stay in the building process, so an
index built on Ray is the same index, row for row. Each worker is a Ray actor
that loads its model once and embeds shards of consecutive texts. Shards
are whole multiples of the batch size, so every batch a worker sees is a
batch the single-process build would have formed: the int8 encoder quantises
activations per batch, and equal batches give equal vectors.

Without an address a local cluster is started with one worker per core;
with one (``ray://host:10001`` or ``host:6379``) the workers run wherever
the cluster places them. Each worker machine needs the package's
requirements and the converted model (``make setup``): models are never
shipped over the wire. The package's code is (``py_modules``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa.embed.encoders import get_embedder

Progress = Callable[[int, int], None]
SHARD_BATCHES = 4  # batches per task: large enough to amortise a round trip, small enough to balance
_PACKAGE = Path(__file__).resolve().parents[1]  # the qa package
_ENV_PREFIXES = ("QA_", "HF_", "TRANSFORMERS_")


def _ray():
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - in requirements.txt
        raise SystemExit("--ray needs the ray package: pip install -r requirements.txt") from exc
    return ray


class _Worker:
    """One actor per core; it loads each model on first use and keeps it."""

    def info(self, model: str, layer: int) -> tuple[int, bool]:
        embedder = get_embedder(model)
        return int(embedder.dim), bool(embedder.has_layer(layer))

    def passages(self, model: str, texts: list[str], batch_size: int) -> np.ndarray:
        return get_embedder(model).passages(texts, batch_size)

    def passages_with_tokens(
        self, model: str, texts: list[str], layer: int, batch_size: int
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        return get_embedder(model).passages_with_tokens(texts, layer, batch_size)


class RemoteEmbedder:
    """The embedder interface the build uses (``passages``, ``passages_with_tokens``, ``has_layer``), on Ray actors."""

    def __init__(self, actors: list[Any], model: str, dim: int, layers: dict[int, bool]):
        self.actors, self.model, self.dim, self._layers = actors, model, dim, layers

    def has_layer(self, layer: int) -> bool:
        if layer not in self._layers:
            self._layers[layer] = _ray().get(self.actors[0].info.remote(self.model, layer))[1]
        return self._layers[layer]

    def _run(
        self, submit: Callable[[Any, list[str]], Any], texts: Sequence[str], batch_size: int, progress: Progress | None
    ) -> list[Any]:
        """Shards in order, spread over the actors, results streamed back as they finish."""
        ray = _ray()
        size = max(1, batch_size) * SHARD_BATCHES
        shards = [list(texts[i : i + size]) for i in range(0, len(texts), size)]
        pending = {submit(self.actors[n % len(self.actors)], shard): n for n, shard in enumerate(shards)}
        results: list[Any] = [None] * len(shards)
        done = 0
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                n = pending.pop(ref)
                results[n] = ray.get(ref)
                done += len(shards[n])
                if progress:
                    progress(done, len(texts))
        return results

    def passages(self, texts: Sequence[str], batch_size: int = 32, progress: Progress | None = None) -> np.ndarray:
        parts = self._run(
            lambda a, shard: a.passages.remote(self.model, shard, batch_size), texts, batch_size, progress
        )
        return np.vstack(parts).astype(np.float32) if parts else np.zeros((0, self.dim), np.float32)

    def passages_with_tokens(
        self, texts: Sequence[str], layer: int, batch_size: int = 32, progress: Progress | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        parts = self._run(
            lambda a, shard: a.passages_with_tokens.remote(self.model, shard, layer, batch_size),
            texts,
            batch_size,
            progress,
        )
        if not parts:
            return np.zeros((0, self.dim), np.float32), []
        return np.vstack([p[0] for p in parts]).astype(np.float32), [s for p in parts for s in p[1]]


class RayPool:
    """A connection to a Ray cluster and one set of embedding actors per model."""

    def __init__(self, address: str | None = None, workers: int | None = None):
        ray = _ray()
        env = {k: v for k, v in os.environ.items() if k.startswith(_ENV_PREFIXES)}
        env |= {"QA_QUERY_THREADS": "1", "OMP_NUM_THREADS": "1"}  # one core per actor
        self.started = not ray.is_initialized()
        if self.started:
            local = address in (None, "", "local")
            runtime_env: dict[str, Any] = {"env_vars": env}
            if local:  # same machine: the workers import this very package
                runtime_env["env_vars"]["PYTHONPATH"] = os.pathsep.join(
                    p for p in (str(_PACKAGE.parent), os.environ.get("PYTHONPATH", "")) if p
                )
            else:  # elsewhere: ship the code (not the models, which each machine sets up once)
                runtime_env["py_modules"] = [str(_PACKAGE)]
                runtime_env["excludes"] = ["models/", "__pycache__/"]
            ray.init(
                address=None if local else address,
                num_cpus=(workers or os.cpu_count() or 1) if local else None,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
                runtime_env=runtime_env,
            )
        self.workers = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        # One actor per core, holding its core for the build and serving every model:
        # actors per model would wait forever for cores the first model's actors hold.
        self.actors = [ray.remote(num_cpus=1)(_Worker).remote() for _ in range(self.workers)]
        self._embedders: dict[str, RemoteEmbedder] = {}

    def embedder(self, model: str, layer: int = 0) -> RemoteEmbedder:
        if model not in self._embedders:
            infos = _ray().get([a.info.remote(model, layer) for a in self.actors])  # every actor loaded the model
            self._embedders[model] = RemoteEmbedder(self.actors, model, infos[0][0], {layer: infos[0][1]})
        return self._embedders[model]

    def close(self) -> None:
        ray = _ray()
        for a in self.actors:
            ray.kill(a)
        self.actors = []
        self._embedders.clear()
        if self.started:
            ray.shutdown()

    def __enter__(self) -> RayPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
