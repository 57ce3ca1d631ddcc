// The MLflow model registry as ctpilot uses it: versions registered from
// training runs, and the aliases (`champion`, `challenger`) that say which
// version plays which part. Never the deprecated stages.
import { Context } from '@temporalio/activity';
import { filterLiteral, type MlflowClient } from './mlflow/client.ts';
import { fromKeyValues, type ModelVersion } from './mlflow/schemas.ts';

export interface RegisteredVersion {
  readonly model: string;
  readonly version: string;
  readonly runId?: string;
  readonly source?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly aliases: readonly string[];
}

function summary(v: ModelVersion): RegisteredVersion {
  return {
    model: v.name,
    version: v.version,
    runId: v.run_id || undefined,
    source: v.source,
    tags: fromKeyValues(v.tags),
    aliases: v.aliases,
  };
}

export function createRegistryActivities({ mlflow }: { mlflow: MlflowClient }) {
  return {
    /** The version an alias points at, or undefined (no champion yet). */
    async versionByAlias(input: { model: string; alias: string }): Promise<RegisteredVersion | undefined> {
      const version = await mlflow.getAlias(input.model, input.alias);
      return version ? summary(version) : undefined;
    },

    /**
     * Registers the model logged by a training run as a new version (or finds
     * the version an earlier attempt registered from the same run), waits until
     * it is READY, tags it, and points the alias (`challenger`) at it.
     */
    async registerCandidate(input: {
      model: string;
      runId: string;
      artifactUri: string;
      modelPath: string;
      /**
       * The logged model's id (MLflow 3). Registering it by id is what makes
       * the version loadable; without one (MLflow 2-style runs), the version
       * points at `<artifactUri>/<modelPath>`.
       */
      modelId?: string;
      alias: string;
      tags: Readonly<Record<string, string>>;
      readyTimeoutMs?: number;
    }): Promise<RegisteredVersion & { created: boolean }> {
      await mlflow.ensureRegisteredModel(input.model);
      const ofRun = async () =>
        (
          await mlflow.searchModelVersions({
            filter: `name = ${filterLiteral(input.model)} AND run_id = ${filterLiteral(input.runId)}`,
          })
        ).versions;
      const existing = await ofRun();
      const mine =
        existing.length > 0
          ? undefined
          : await mlflow.createModelVersion({
              name: input.model,
              source: input.modelId
                ? `models:/${input.modelId}`
                : `${input.artifactUri.replace(/\/$/, '')}/${input.modelPath}`,
              runId: input.runId,
              modelId: input.modelId,
              tags: input.tags,
            });
      // An earlier attempt whose request was held up in the network (its
      // activity timed out and was retried) can still register the same run
      // after this one looked. Version numbers only grow, so every attempt
      // agrees the run's lowest version is the candidate; later ones go.
      const all = mine ? [...(await ofRun()), mine] : existing;
      const version = all.reduce((a, b) => (Number(b.version) < Number(a.version) ? b : a));
      const duplicates = [...new Set(all.map((v) => v.version))].filter((v) => v !== version.version);
      const created = mine?.version === version.version;
      const ready = await mlflow.waitForModelVersionReady(input.model, version.version, {
        timeoutMs: input.readyTimeoutMs ?? 300_000,
        // A worker that dies while waiting is noticed by the missing heartbeats, not after the whole timeout.
        onPoll: (status) => Context.current().heartbeat({ version: version.version, status }),
      });
      for (const [key, value] of Object.entries(input.tags)) {
        await mlflow.setModelVersionTag(input.model, ready.version, key, value);
      }
      await mlflow.setAlias(input.model, input.alias, ready.version);
      for (const duplicate of duplicates) await mlflow.deleteModelVersion(input.model, duplicate);
      const final = await mlflow.getModelVersion(input.model, ready.version);
      return { ...summary(final), created };
    },

    /**
     * Removes a version registered by a retrain that then failed, so the
     * registry is left as it was — unless an alias already points at it.
     */
    async discardCandidate(input: { model: string; runId: string }): Promise<{ discarded: string[] }> {
      const { versions } = await mlflow.searchModelVersions({
        filter: `name = ${filterLiteral(input.model)} AND run_id = ${filterLiteral(input.runId)}`,
      });
      const discarded: string[] = [];
      for (const version of versions) {
        const full = await mlflow.getModelVersion(input.model, version.version);
        if (full.aliases.length > 0) continue;
        await mlflow.deleteModelVersion(input.model, version.version);
        discarded.push(version.version);
      }
      return { discarded };
    },

    async tagVersion(input: {
      model: string;
      version: string;
      tags: Readonly<Record<string, string>>;
    }): Promise<void> {
      for (const [key, value] of Object.entries(input.tags)) {
        await mlflow.setModelVersionTag(input.model, input.version, key, value);
      }
    },
  };
}
