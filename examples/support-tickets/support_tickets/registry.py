"""The MLflow model registry, as the example uses it: aliases, never stages."""

from __future__ import annotations

from dataclasses import dataclass

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

# Tag of the version bootstrap_champion registered, so a retry finds it.
BOOTSTRAP_TAG = "support_tickets.bootstrap"


class AliasNotFoundError(Exception):
    """The registered model or its alias does not exist; the message says how to create it."""


@dataclass(frozen=True)
class ResolvedVersion:
    name: str
    alias: str
    version: str
    run_id: str
    source: str


def resolve_alias(name: str, alias: str, client: MlflowClient | None = None) -> ResolvedVersion:
    client = client or MlflowClient()
    try:
        found = client.get_model_version_by_alias(name, alias)
    except MlflowException as error:
        # MLflow answers a missing model with RESOURCE_DOES_NOT_EXIST and a
        # missing alias with INVALID_PARAMETER_VALUE: both mean "not there yet".
        if error.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"):
            fix = (
                f"Register a first version and point the alias at it: `python -m support_tickets.bootstrap_champion "
                f"--model-name {name} --alias {alias}` (or bootstrapChampion() from examples/support-tickets/control.ts)."
                if alias == "champion"
                else "Point the alias at a version first (ctpilot sets it when a retrain registers a version)."
            )
            raise AliasNotFoundError(f"models:/{name}@{alias} does not exist ({error.message}). {fix}") from error
        raise
    return ResolvedVersion(
        name=name, alias=alias, version=str(found.version), run_id=found.run_id or "", source=found.source or ""
    )


def find_bootstrap_version(name: str, client: MlflowClient | None = None) -> str | None:
    client = client or MlflowClient()
    try:
        versions = client.search_model_versions(f"name = '{name}'")
    except MlflowException:
        return None
    tagged = [v for v in versions if (v.tags or {}).get(BOOTSTRAP_TAG) == "true" and v.status == "READY"]
    return str(min(int(v.version) for v in tagged)) if tagged else None
