// The rows of `ctpilot list`: running controllers from Temporal's visibility
// store (filtered by search attributes), each completed with its status
// query, the policy it runs (labels, cadence, alias names) and the version
// the registry's champion alias points at. Degrades instead of failing: no
// worker → state from the search attributes; no MLflow → champion unknown.
import { MlflowUnavailableError } from '../../activities/mlflow/errors.ts';
import type { Config } from '../../workers/config.ts';
import { ATTRIBUTE } from '../../workflows/ids.ts';
import type { ControllerStatus } from '../../workflows/messages.ts';
import { UserError } from './errors.ts';
import { matches, type Requirement } from './label-selector.ts';
import { temporalWorkflowUrl } from './links.ts';
import { mapLimit } from './map-limit.ts';
import { QueryFailed } from './refusals.ts';
import type { RegistryReader } from './registry-reader.ts';
import {
  policyFacts,
  readControllerStatus,
  type TemporalReader,
  type WorkflowSummary,
} from './temporal-reader.ts';

export interface PolicyRow {
  readonly policy: string;
  readonly model: string;
  readonly workflowId: string;
  readonly runId: string;
  /** waiting | evaluating | paused (status query), or the CtPhase search attribute without a worker. */
  readonly phase: string | null;
  readonly paused: ControllerStatus['paused'];
  readonly lastDecision: {
    readonly outcome: string;
    readonly at: string | null;
    readonly evaluation: number | null;
    readonly summary: string;
  } | null;
  readonly nextEvaluationAt: string | null;
  readonly evaluations: number | null;
  readonly policyHash: string | null;
  readonly every: string | null;
  readonly labels: Readonly<Record<string, string>> | null;
  /** The registry's champion alias; null when MLflow could not be asked. */
  readonly champion: { readonly alias: string; readonly version: string | null } | null;
  readonly retrain: { readonly workflowId: string; readonly phase: string | null } | null;
  /** Where the state came from: the controller's status query, or only the visibility store. */
  readonly source: 'status' | 'visibility';
  readonly url: string;
}

const CONTROLLERS = "WorkflowType = 'policyControllerWorkflow' AND ExecutionStatus = 'Running'";

function literal(flag: string, value: string): string {
  if (/['"\\]/.test(value))
    throw new UserError(`--${flag} cannot contain quotes or backslashes`, `give the plain ${flag} name`);
  return `'${value}'`;
}

/** The visibility query for the running controllers, narrowed by search attributes. */
export function visibilityQuery(filters: { model?: string; phase?: string; decision?: string }): string {
  const clauses = [CONTROLLERS];
  if (filters.model) clauses.push(`CtModel = ${literal('model', filters.model)}`);
  if (filters.phase) clauses.push(`CtPhase = ${literal('phase', filters.phase)}`);
  if (filters.decision) clauses.push(`CtLastDecision = ${literal('decision', filters.decision)}`);
  return clauses.join(' AND ');
}

export interface PolicyList {
  readonly policies: PolicyRow[];
  /** Running controllers that matched the visibility query (before the label selector). */
  readonly controllers: number;
  readonly warnings: string[];
}

export async function listPolicies(
  reader: TemporalReader,
  registry: RegistryReader,
  config: Config,
  options: { query: string; selector?: readonly Requirement[]; concurrency?: number },
): Promise<PolicyList> {
  // Running retrains, one list for all: their phase is a search attribute.
  const [executions, running] = await Promise.all([
    reader.list(options.query),
    reader.list("WorkflowType = 'retrainWorkflow' AND ExecutionStatus = 'Running'"),
  ]);
  const retrains = new Map<string, { workflowId: string; phase: string | null }>();
  for (const r of running) {
    const policy = keyword(r, ATTRIBUTE.policy);
    if (policy) retrains.set(policy, { workflowId: r.workflowId, phase: keyword(r, ATTRIBUTE.phase) });
  }

  const warnings: string[] = [];
  // Task queues whose status query went unanswered: a worker serves a queue, so the rest of its controllers are not asked again.
  const silentQueues = new Set<string>();
  let mlflowDown = false;
  const rows = await mapLimit(
    executions,
    options.concurrency ?? 16,
    async (e): Promise<PolicyRow | undefined> => {
      const name = keyword(e, ATTRIBUTE.policy) ?? e.workflowId.replace(/^policy:/, '');
      // The policy first: a label selector leaves controllers out before any of them is queried.
      const facts = await policyFacts(reader, e);
      const labels = facts ? { ...facts.labels } : null;
      if (options.selector) {
        if (!labels) {
          warnings.push(`cannot read the policy of ${e.workflowId}: left out of the label selection`);
          return undefined;
        }
        if (!matches(options.selector, labels)) return undefined;
      }
      let status: ControllerStatus | undefined;
      if (!silentQueues.has(e.taskQueue)) {
        try {
          status = await readControllerStatus(reader, config, name, 5000);
        } catch (error) {
          if (error instanceof QueryFailed) {
            // This controller's trouble, not its queue's: say so and show what visibility knows.
            warnings.push(`${error.message}; state shown from the search attributes`);
          } else if (error instanceof UserError) {
            if (!silentQueues.has(e.taskQueue))
              warnings.push(`${error.message}; state shown from the search attributes`);
            silentQueues.add(e.taskQueue);
          } else throw error;
        }
      }
      const model = status?.model ?? keyword(e, ATTRIBUTE.model) ?? '?';
      const alias = facts?.aliases.champion ?? 'champion';
      let champion: PolicyRow['champion'] = null;
      if (!mlflowDown) {
        try {
          champion = { alias, version: await registry.aliasVersion(model, alias) };
        } catch (error) {
          if (!(error instanceof MlflowUnavailableError)) throw error;
          if (!mlflowDown) warnings.push(`${error.message}: champion versions unknown`);
          mlflowDown = true;
        }
      }
      const decision = status?.lastDecision;
      const fromAttrs = keyword(e, ATTRIBUTE.lastDecision);
      return {
        policy: name,
        model,
        workflowId: e.workflowId,
        runId: e.runId,
        phase: status?.phase ?? keyword(e, ATTRIBUTE.phase),
        paused: status?.paused ?? null,
        lastDecision: decision
          ? {
              outcome: decision.outcome,
              at: decision.at,
              evaluation: decision.evaluation,
              summary: decision.summary,
            }
          : fromAttrs
            ? { outcome: fromAttrs, at: null, evaluation: null, summary: '' }
            : null,
        nextEvaluationAt: status?.nextEvaluationAt ?? null,
        evaluations: status?.evaluations ?? null,
        policyHash: status?.policyHash ?? keyword(e, ATTRIBUTE.policyVersion),
        every: facts?.every ?? null,
        labels,
        champion,
        retrain: status
          ? status.retrain
            ? { workflowId: status.retrain.workflowId, phase: retrains.get(name)?.phase ?? null }
            : null
          : (retrains.get(name) ?? null),
        source: status ? 'status' : 'visibility',
        url: temporalWorkflowUrl(config, e.workflowId, e.runId),
      };
    },
  );
  const policies = rows
    .filter((r): r is PolicyRow => r !== undefined)
    .sort((a, b) => a.policy.localeCompare(b.policy));
  return { policies, controllers: executions.length, warnings };
}

/** A keyword search attribute's value, or null. */
function keyword(e: WorkflowSummary, name: string): string | null {
  const value = e.searchAttributes[name];
  return typeof value === 'string' ? value : null;
}
