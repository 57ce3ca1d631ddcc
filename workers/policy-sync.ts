// Applying a set of policies: one controller workflow per policy, started or
// updated with update-with-start (idempotent: applying the same files twice
// changes nothing), controllers of policies no longer in the set stopped only
// when asked (--prune). Used by `ctpilot apply|diff` and by `npm start`.
import { type Client, WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
import type { MlflowClient } from '../activities/mlflow/client.ts';
import { expandPolicyPaths, readPolicyFile } from '../policies/files.ts';
import { instantiate, isFleetTemplate, selectModels } from '../policies/fleet.ts';
import { LIMITS } from '../policies/limits.ts';
import type { LoadedPolicy, LoadResult } from '../policies/loader.ts';
import { applyPolicyUpdate } from '../workflows/messages.ts';
import {
  controllerWorkflowId,
  modelOfPolicy,
  policyControllerWorkflow,
} from '../workflows/policy-controller.ts';
import { CtModel, CtPhase, CtPolicy, CtPolicyVersion } from '../workflows/search-attributes.ts';

export type ChangeKind = 'create' | 'update' | 'unchanged' | 'remove';

export interface PlannedChange {
  readonly kind: ChangeKind;
  readonly policy: string;
  readonly workflowId: string;
  readonly model?: string;
  readonly file?: string;
  readonly fromHash?: string;
  readonly toHash?: string;
}

export type LoadedSet =
  | {
      readonly ok: true;
      readonly policies: readonly LoadedPolicy[];
      readonly templates: readonly string[];
      /** Bounds a template comes close to (more than LIMITS.fleetWarn controllers). */
      readonly warnings: readonly string[];
    }
  | { readonly ok: false; readonly failures: ReadonlyArray<Extract<LoadResult, { ok: false }>> };

/**
 * Loads every policy under the paths; all must be valid (a set is applied
 * whole or not at all). Fleet templates become one policy per selected model.
 */
export async function loadPolicySet(paths: readonly string[], mlflow: MlflowClient): Promise<LoadedSet> {
  const files = await expandPolicyPaths(paths);
  const results = await Promise.all(files.map((f) => readPolicyFile(f)));
  const failures = results.filter((r): r is Extract<LoadResult, { ok: false }> => !r.ok);
  if (failures.length > 0) return { ok: false, failures };
  const policies: LoadedPolicy[] = [];
  const templates: string[] = [];
  const warnings: string[] = [];
  let registered: Awaited<ReturnType<MlflowClient['searchRegisteredModels']>> | undefined;
  for (const result of results) {
    if (!result.ok) continue;
    if (!isFleetTemplate(result.policy.spec)) {
      policies.push(result.policy);
      continue;
    }
    templates.push(result.policy.spec.metadata.name);
    registered ??= await mlflow.searchRegisteredModels();
    const models = registered.map((m) => ({
      name: m.name,
      tags: Object.fromEntries(m.tags.map((t) => [t.key, t.value])),
    }));
    const selected = selectModels(result.policy.spec, models);
    const name = result.policy.spec.metadata.name;
    const max = result.policy.spec.model.selector?.maxControllers ?? LIMITS.fleetMax;
    if (selected.length > max)
      return {
        ok: false,
        failures: [
          {
            ok: false,
            file: result.policy.file,
            issues: [
              {
                code: 'too-many',
                message: `fleet template ${name} selects ${selected.length} registered models; a template may start at most ${max} controllers (model.selector.maxControllers; docs/policies.md, "Limits")`,
                hint: 'narrow the selector (matchTags, names), or raise model.selector.maxControllers knowingly',
                file: result.policy.file,
                line: 1,
                column: 1,
                path: 'model.selector',
                severity: 'error',
              },
            ],
          },
        ] as never,
      };
    if (selected.length > LIMITS.fleetWarn)
      warnings.push(
        `fleet template ${name} selects ${selected.length} registered models (more than ${LIMITS.fleetWarn}): one controller each`,
      );
    for (const model of selected) policies.push(instantiate(result.policy, model));
  }
  const names = new Map<string, string>();
  for (const p of policies) {
    const name = p.spec.metadata.name;
    const other = names.get(name);
    if (other) {
      return {
        ok: false,
        failures: [
          {
            ok: false,
            file: p.file,
            issues: [
              {
                code: 'duplicate-name',
                message: `policy name ${name} is used by ${other} too: each policy needs its own name`,
                file: p.file,
                line: 1,
                column: 1,
                path: 'metadata.name',
                severity: 'error',
              },
            ],
          },
        ] as never,
      };
    }
    names.set(name, p.file);
  }
  return { ok: true, policies, templates, warnings };
}

/**
 * Controllers running now, by workflow id, with the policy version each runs;
 * only those on `taskQueue` when given — the controllers this deployment
 * owns, so a prune never stops another deployment's (or a concurrent test's).
 */
async function runningControllers(
  client: Client,
  taskQueue?: string,
): Promise<Map<string, { policy: string; hash?: string }>> {
  const running = new Map<string, { policy: string; hash?: string }>();
  const query = `WorkflowType = 'policyControllerWorkflow' AND ExecutionStatus = 'Running'${
    taskQueue ? ` AND TaskQueue = '${taskQueue.replace(/'/g, "\\'")}'` : ''
  }`;
  for await (const execution of client.workflow.list({ query })) {
    const policy =
      execution.typedSearchAttributes.get(CtPolicy) ?? execution.workflowId.replace(/^policy:/, '');
    running.set(execution.workflowId, { policy, hash: execution.typedSearchAttributes.get(CtPolicyVersion) });
  }
  return running;
}

/** What applying the set would change (`ctpilot diff`); removals only among the controllers on `taskQueue` when given. */
export async function planSync(
  client: Client,
  policies: readonly LoadedPolicy[],
  options: { readonly taskQueue?: string } = {},
): Promise<PlannedChange[]> {
  const running = await runningControllers(client, options.taskQueue);
  const changes = await mapLimit(policies, 16, async (policy): Promise<PlannedChange> => {
    const workflowId = controllerWorkflowId(policy.spec.metadata.name);
    const base = {
      policy: policy.spec.metadata.name,
      workflowId,
      model: modelOfPolicy(policy),
      file: policy.file,
      toHash: policy.hash,
    };
    // describe() reads the execution itself (visibility can lag a moment
    // behind a start), and works without a worker, unlike a query.
    let current: string | undefined;
    try {
      const description = await client.workflow.getHandle(workflowId).describe();
      if (description.status.name === 'RUNNING')
        current = description.typedSearchAttributes.get(CtPolicyVersion) ?? '';
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
    if (current === undefined) return { kind: 'create', ...base };
    return { kind: current === policy.hash ? 'unchanged' : 'update', ...base, fromHash: current };
  });
  const wanted = new Set(changes.map((c) => c.workflowId));
  for (const [workflowId, { policy, hash }] of running) {
    if (!wanted.has(workflowId)) changes.push({ kind: 'remove', policy, workflowId, fromHash: hash });
  }
  return changes;
}

export interface SyncOptions {
  readonly taskQueue: string;
  /** Stop controllers of policies not in the set. */
  readonly prune?: boolean;
  /** Who applies (recorded with the stop reason). */
  readonly by?: string;
}

export interface AppliedChange extends PlannedChange {
  /** False for a removal skipped because --prune was not given. */
  readonly applied: boolean;
}

/** Starts or updates every controller of the set; removes others only with `prune`. */
export async function applyPolicies(
  client: Client,
  policies: readonly LoadedPolicy[],
  options: SyncOptions,
): Promise<AppliedChange[]> {
  const plan = await planSync(client, policies, { taskQueue: options.taskQueue });
  const byName = new Map(policies.map((p) => [p.spec.metadata.name, p]));
  // A few at a time: each start or update waits for the controller's worker to take it.
  return mapLimit(plan, 8, async (change): Promise<AppliedChange> => {
    if (change.kind === 'remove') {
      if (!options.prune) return { ...change, applied: false };
      await client.workflow
        .getHandle(change.workflowId)
        .terminate(`policy ${change.policy} removed by ${options.by ?? 'ctpilot apply'} --prune`);
      return { ...change, applied: true };
    }
    // Already running this version: nothing to send (and no controller woken).
    if (change.kind === 'unchanged') return { ...change, applied: true };
    const policy = byName.get(change.policy)!;
    const model = modelOfPolicy(policy);
    const result = await client.workflow.executeUpdateWithStart(applyPolicyUpdate, {
      args: [policy],
      startWorkflowOperation: new WithStartWorkflowOperation(policyControllerWorkflow, {
        workflowId: change.workflowId,
        taskQueue: options.taskQueue,
        args: [{ policy }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        staticSummary: `ctpilot policy ${change.policy} for model ${model}`,
        staticDetails: `Policy file ${policy.file}. Evaluates every ${policy.spec.evaluate.every}.`,
        typedSearchAttributes: [
          { key: CtPolicy, value: change.policy },
          { key: CtModel, value: model },
          { key: CtPhase, value: 'waiting' },
          { key: CtPolicyVersion, value: policy.hash },
        ],
      }),
    });
    return {
      ...change,
      kind: change.kind === 'create' ? 'create' : result.changed ? 'update' : 'unchanged',
      applied: true,
    };
  });
}

/** Maps with at most `limit` calls in flight, keeping the order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!);
      }
    }),
  );
  return results;
}
