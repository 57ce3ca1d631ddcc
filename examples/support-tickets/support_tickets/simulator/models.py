"""The models the simulator serves: the champion, and others on request.

The champion is whatever version the alias names when ``load_champion`` runs
(at start and on each signed deploy hook); between reloads the alias may
move without the server noticing, which is the point of the hook. A version
is loaded by number, never by alias, so a reload cannot load one version and
report another. Loaded versions are cached (a few), so a rollback to the
previous champion is instant.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import mlflow
from mlflow import MlflowClient

from ..registry import resolve_alias

CACHED_VERSIONS = 4


@dataclass(frozen=True)
class LoadedModel:
    name: str
    version: str
    run_id: str
    pyfunc: object
    input_schema: object
    loaded_at: float


class ModelStore:
    def __init__(self, name: str, alias: str) -> None:
        self.name, self.alias = name, alias
        self._client = MlflowClient()
        self._cache: OrderedDict[str, LoadedModel] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._champion: LoadedModel | None = None

    @property
    def champion(self) -> LoadedModel:
        if self._champion is None:
            raise RuntimeError("no champion loaded yet")
        return self._champion

    def load_champion(self) -> tuple[LoadedModel | None, LoadedModel]:
        """Resolves the alias and serves that version; returns (previous, current)."""
        with self._reload_lock:
            resolved = resolve_alias(self.name, self.alias, self._client)
            loaded = self.version(resolved.version)
            previous, self._champion = self._champion, loaded  # one reference swap: requests see old or new
            return previous, loaded

    def version(self, version: str) -> LoadedModel:
        with self._cache_lock:
            if version in self._cache:
                self._cache.move_to_end(version)
                return self._cache[version]
        details = self._client.get_model_version(self.name, version)
        pyfunc = mlflow.pyfunc.load_model(f"models:/{self.name}/{version}")
        loaded = LoadedModel(
            name=self.name,
            version=str(version),
            run_id=details.run_id or "",
            pyfunc=pyfunc,
            input_schema=pyfunc.metadata.get_input_schema(),
            loaded_at=time.time(),
        )
        with self._cache_lock:
            self._cache[loaded.version] = loaded
            while len(self._cache) > CACHED_VERSIONS:
                oldest = next(iter(self._cache))
                if self._champion is not None and oldest == self._champion.version:
                    self._cache.move_to_end(oldest)
                    oldest = next(iter(self._cache))
                del self._cache[oldest]
        return loaded

    def by_alias(self, alias: str) -> LoadedModel:
        return self.version(resolve_alias(self.name, alias, self._client).version)
