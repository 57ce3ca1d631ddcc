// Promotion, rejection and rollback in the registry, and the deploy hook that
// tells the serving platform to reload. The champion alias moves; the version
// it left is recorded on the new champion (ctpilot.previous_champion) so a
// rollback knows where to go, also after a restart.
import axios from 'axios';
import type { MlflowClient } from './mlflow/client.ts';
import { fromKeyValues } from './mlflow/schemas.ts';
import { resolveRecord, workerSecretResolver } from './secrets.ts';
import { SIGNATURE_HEADER, signBody } from './webhooks/signature.ts';

export interface DeployHook {
  readonly url: string;
  /** A secret reference, resolved here. */
  readonly secret?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface DeployHookResult {
  readonly called: boolean;
  readonly ok: boolean;
  readonly status?: number;
  readonly error?: string;
  readonly attempts: number;
}

export interface AliasMove {
  readonly model: string;
  readonly alias: string;
  readonly fromVersion: string | null;
  readonly toVersion: string;
  readonly deploy: DeployHookResult;
}

const PREVIOUS = 'ctpilot.previous_champion';

/** POSTs the change to the serving platform, signed; retried on failure; never throws. */
export async function callDeployHook(
  hook: DeployHook | undefined,
  body: {
    model: string;
    alias: string;
    version: string;
    previousVersion: string | null;
    reason: string;
    action: 'promote' | 'rollback';
  },
): Promise<DeployHookResult> {
  if (!hook) return { called: false, ok: true, attempts: 0 };
  const resolver = workerSecretResolver();
  let url: string;
  let headers: Record<string, string>;
  let secret: string | undefined;
  try {
    url = (await resolver.interpolate(hook.url)).reveal();
    headers = { 'Content-Type': 'application/json', ...(await resolveRecord(resolver, hook.headers)) };
    secret = hook.secret ? (await resolver.resolve(hook.secret)).reveal() : undefined;
  } catch (error) {
    return { called: false, ok: false, error: (error as Error).message, attempts: 0 };
  }
  const text = JSON.stringify(body);
  let last: DeployHookResult = { called: true, ok: false, attempts: 0 };
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      // Signed at each attempt: the signature carries the time.
      const signed = secret ? { ...headers, [SIGNATURE_HEADER]: signBody(secret, text) } : headers;
      const response = await axios.post(url, text, {
        headers: signed,
        timeout: 30_000,
        validateStatus: () => true,
      });
      if (response.status >= 200 && response.status < 300)
        return { called: true, ok: true, status: response.status, attempts: attempt };
      last = {
        called: true,
        ok: false,
        status: response.status,
        error: `HTTP ${response.status}: ${JSON.stringify(response.data).slice(0, 300)}`,
        attempts: attempt,
      };
      if (response.status >= 400 && response.status < 500 && response.status !== 429) break;
    } catch (error) {
      last = {
        called: true,
        ok: false,
        error: axios.isAxiosError(error) ? (error.code ?? error.message) : String(error),
        attempts: attempt,
      };
    }
    await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
  }
  return last;
}

export function createPromotionActivities({ mlflow }: { mlflow: MlflowClient }) {
  return {
    /**
     * Makes the challenger the champion: records the version it replaces on
     * it, moves the alias, drops the challenger alias, calls the deploy hook.
     * A retry after the alias moved finds the recorded previous version.
     */
    async promoteChallenger(input: {
      model: string;
      version: string;
      aliases: { champion: string; challenger: string };
      deployHook?: DeployHook;
      reason: string;
    }): Promise<AliasMove> {
      const current = await mlflow.getAlias(input.model, input.aliases.champion);
      const target = await mlflow.getModelVersion(input.model, input.version);
      const fromVersion =
        current?.version === input.version
          ? (fromKeyValues(target.tags)[PREVIOUS] ?? null)
          : (current?.version ?? null);
      if (current?.version !== input.version) {
        await mlflow.setModelVersionTag(input.model, input.version, PREVIOUS, fromVersion ?? '');
        await mlflow.setModelVersionTag(input.model, input.version, 'ctpilot.decision', 'promoted');
        await mlflow.setAlias(input.model, input.aliases.champion, input.version);
      }
      const challenger = await mlflow.getAlias(input.model, input.aliases.challenger);
      if (challenger?.version === input.version)
        await mlflow.deleteAlias(input.model, input.aliases.challenger);
      const deploy = await callDeployHook(input.deployHook, {
        model: input.model,
        alias: input.aliases.champion,
        version: input.version,
        previousVersion: fromVersion || null,
        reason: input.reason,
        action: 'promote',
      });
      return {
        model: input.model,
        alias: input.aliases.champion,
        fromVersion: fromVersion || null,
        toVersion: input.version,
        deploy,
      };
    },

    /** Tags a losing challenger rejected, with the reasons, and takes the challenger alias off it. */
    async rejectChallenger(input: {
      model: string;
      version: string;
      challengerAlias: string;
      reason: string;
    }): Promise<void> {
      await mlflow.setModelVersionTag(input.model, input.version, 'ctpilot.decision', 'rejected');
      await mlflow.setModelVersionTag(
        input.model,
        input.version,
        'ctpilot.reason',
        input.reason.slice(0, 5000),
      );
      const challenger = await mlflow.getAlias(input.model, input.challengerAlias);
      if (challenger?.version === input.version) await mlflow.deleteAlias(input.model, input.challengerAlias);
    },

    /**
     * Points the champion alias back: to `toVersion`, or to the version the
     * current champion replaced. Idempotent: when the alias already points
     * there, only the hook is called again.
     */
    async rollbackChampion(input: {
      model: string;
      championAlias: string;
      toVersion?: string;
      /** The champion being rolled back, when known (the alias may already have moved on a retry). */
      fromVersion?: string;
      deployHook?: DeployHook;
      reason: string;
    }): Promise<AliasMove> {
      const current = await mlflow.getAlias(input.model, input.championAlias);
      if (!current) throw new Error(`model ${input.model} has no ${input.championAlias} alias to roll back`);
      const from = input.fromVersion ?? current.version;
      const recorded = fromKeyValues((await mlflow.getModelVersion(input.model, from)).tags)[PREVIOUS];
      const toVersion = input.toVersion ?? (recorded || undefined);
      if (!toVersion)
        throw new Error(
          `version ${from} of ${input.model} records no previous champion; give the version to roll back to`,
        );
      await mlflow.getModelVersion(input.model, toVersion); // fails clearly when it does not exist
      if (current.version !== toVersion) {
        await mlflow.setModelVersionTag(input.model, from, 'ctpilot.decision', 'rolled-back');
        await mlflow.setModelVersionTag(input.model, from, 'ctpilot.reason', input.reason.slice(0, 5000));
        await mlflow.setAlias(input.model, input.championAlias, toVersion);
      }
      const deploy = await callDeployHook(input.deployHook, {
        model: input.model,
        alias: input.championAlias,
        version: toVersion,
        previousVersion: from,
        reason: input.reason,
        action: 'rollback',
      });
      return { model: input.model, alias: input.championAlias, fromVersion: from, toVersion, deploy };
    },
  };
}
