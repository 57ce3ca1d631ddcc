// What the read-only verbs (list, status) ask Temporal: the workflows a
// visibility query selects, one workflow's description, and a query its
// worker answers. Two ways to ask, one interface: the frontend's HTTP API
// when there is one (the local stack's dev server always has it; elsewhere
// TEMPORAL_HTTP_URL), which needs only Node's http module and so answers at
// once; otherwise the SDK's gRPC client, loaded only then.
import type { LoadedPolicy } from '../../policies/loader.ts';
import type { Config } from '../../workers/config.ts';
import { controllerWorkflowId, STATUS_QUERY } from '../../workflows/ids.ts';
import type { ControllerMemo, ControllerStatus } from '../../workflows/messages.ts';
import { UserError } from './errors.ts';
import { temporalWorkflowUrl } from './links.ts';
import { noController, QueryFailed } from './refusals.ts';

export interface WorkflowSummary {
  readonly workflowId: string;
  readonly runId: string;
  readonly taskQueue: string;
  /** RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, CONTINUED_AS_NEW, TIMED_OUT. */
  readonly status: string;
  readonly closeTime: string | null;
  /** Search attribute values by name (a keyword list is an array). */
  readonly searchAttributes: Readonly<Record<string, unknown>>;
  readonly memo: Readonly<Record<string, unknown>>;
}

/** No workflow with that id. */
export class WorkflowMissing extends Error {
  constructor(readonly workflowId: string) {
    super(`workflow ${workflowId} not found`);
    this.name = 'WorkflowMissing';
  }
}

/** The workflow could not answer the query: its handler threw, it has no such query, or its workflow task fails. */
export class QueryRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryRejected';
  }
}

export interface QueryOptions {
  /** For the message when no worker answers: "the status query of policy:x". */
  readonly what: string;
  readonly timeoutMs: number;
}

export interface TemporalReader {
  /** Every execution the visibility query selects, all pages. */
  list(query: string): Promise<WorkflowSummary[]>;
  /** The latest run; WorkflowMissing when there is none. */
  describe(workflowId: string): Promise<WorkflowSummary>;
  /** WorkflowMissing, QueryRejected, or a UserError naming the queue when no worker answers in time. */
  query<T>(workflowId: string, name: string, options: QueryOptions): Promise<T>;
  /** The policy a controller runs, from its history (see currentPolicy): for controllers whose memo lacks it. */
  policy(workflowId: string): Promise<LoadedPolicy | undefined>;
  close(): Promise<void>;
}

/** Runs `fn` with the reader the configuration allows, closing it afterwards. */
export async function withReader<T>(config: Config, fn: (reader: TemporalReader) => Promise<T>): Promise<T> {
  const reader = config.temporal.httpUrl
    ? (await import('./temporal-http.ts')).httpReader(config, config.temporal.httpUrl)
    : await (await import('./controllers.ts')).grpcReader(config);
  try {
    return await fn(reader);
  } finally {
    await reader.close();
  }
}

/** The controller's status query; a missing controller or a failing one is a message with the fix. */
export async function readControllerStatus(
  reader: TemporalReader,
  config: Config,
  policy: string,
  timeoutMs = 10_000,
): Promise<ControllerStatus> {
  const workflowId = controllerWorkflowId(policy);
  try {
    return await reader.query<ControllerStatus>(workflowId, STATUS_QUERY, {
      what: `the status query of ${workflowId}`,
      timeoutMs,
    });
  } catch (error) {
    if (error instanceof WorkflowMissing) throw noController(policy);
    if (error instanceof QueryRejected)
      throw new QueryFailed(
        `${workflowId} could not answer its status query: ${error.message}`,
        `open it in the Temporal UI (${temporalWorkflowUrl(config, workflowId)}): a failing workflow task shows there with its error`,
      );
    throw error;
  }
}

/** What a controller publishes in its memo about its policy; the history when the memo predates it. */
export interface PolicyFacts {
  readonly labels: Readonly<Record<string, string>>;
  readonly every: string;
  readonly aliases: { readonly champion: string; readonly challenger: string };
}

export async function policyFacts(
  reader: TemporalReader,
  controller: WorkflowSummary,
): Promise<PolicyFacts | undefined> {
  const memo = controller.memo as Partial<ControllerMemo>;
  if (memo.aliases && typeof memo.every === 'string')
    return { labels: memo.labels ?? {}, every: memo.every, aliases: memo.aliases };
  const policy = await reader.policy(controller.workflowId);
  if (!policy) return undefined;
  return {
    labels: policy.spec.metadata.labels ?? {},
    every: policy.spec.evaluate.every,
    aliases: policy.spec.model.aliases,
  };
}

/** A listing or description Temporal did not give: the reason, as a user's error. */
export function temporalTrouble(what: string, error: unknown): UserError {
  return new UserError(
    `Temporal could not ${what}: ${(error as Error).message.split('\n')[0]}`,
    'check the server (and TEMPORAL_NAMESPACE), then try again',
  );
}
