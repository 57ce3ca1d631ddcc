// Talking to the running controllers: their status (a query), operator
// requests (updates), the policy each runs (read from its history), and the
// lists Temporal's visibility store keeps. Every call that needs a worker to
// answer has a deadline, so a missing worker is a message that says what to
// start rather than a command that hangs.
import {
  type Client,
  isGrpcCancelledError,
  isGrpcDeadlineError,
  isGrpcServiceError,
  QueryNotRegisteredError,
  QueryRejectedError,
  ServiceError,
  type WorkflowExecutionDescription,
  type WorkflowExecutionInfo,
  type WorkflowHandle,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import type { LoadedDataConverter, Payload, UpdateDefinition } from '@temporalio/common';
import type { LoadedPolicy } from '../../policies/loader.ts';
import type { Config } from '../../workers/config.ts';
import { controllerWorkflowId } from '../../workflows/ids.ts';
import { type ControllerStatus, policyQuery } from '../../workflows/messages.ts';
import { UserError } from './errors.ts';
import { noAnswer, noController, Refused } from './refusals.ts';
import { connectTemporal } from './services.ts';
import {
  type QueryOptions,
  QueryRejected,
  readControllerStatus,
  type TemporalReader,
  WorkflowMissing,
  type WorkflowSummary,
} from './temporal-reader.ts';

export interface Temporal {
  readonly client: Client;
  readonly config: Config;
}

/** Runs `fn` with a Temporal client, closing the connection afterwards. */
export async function withTemporal<T>(config: Config, fn: (t: Temporal) => Promise<T>): Promise<T> {
  const { client, close } = await connectTemporal(config);
  try {
    return await fn({ client, config });
  } finally {
    await close();
  }
}

/** No such workflow: the SDK's error, or gRPC NOT_FOUND from a raw call (history reads). */
export function isNotFound(error: unknown): boolean {
  return error instanceof WorkflowNotFoundError || (isGrpcServiceError(error) && error.code === 5);
}

async function noAnswerOn(t: Temporal, what: string, ms: number, workflowId?: string): Promise<UserError> {
  // The task queue that needs a worker is the workflow's own, which may not be this configuration's.
  let queue = t.config.temporal.taskQueue;
  if (workflowId) {
    try {
      queue = (await t.client.workflow.getHandle(workflowId).describe()).taskQueue;
    } catch {
      // Keep the configured queue: the message is still right in the usual case.
    }
  }
  return noAnswer(what, ms, queue);
}

/** `fn` with a deadline; a missed deadline means no worker picked the request up. */
export async function answered<T>(
  t: Temporal,
  what: string,
  ms: number,
  fn: () => Promise<T>,
  workflowId?: string,
): Promise<T> {
  const deadline = Date.now() + ms;
  try {
    return await t.client.connection.withDeadline(deadline, fn);
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    // Our deadline; the server's own ("query timed out before a worker could process it", wrapped by
    // the SDK); or a retry of the call cut off by our deadline (gRPC CANCELLED once it has passed).
    if (
      isGrpcDeadlineError(error) ||
      isGrpcDeadlineError(cause) ||
      error instanceof WorkflowUpdateRPCTimeoutOrCancelledError ||
      ((isGrpcCancelledError(error) || isGrpcCancelledError(cause)) && Date.now() >= deadline - 100)
    )
      throw await noAnswerOn(t, what, ms, workflowId);
    throw error;
  }
}

export function controllerHandle(t: Temporal, policy: string): WorkflowHandle {
  return t.client.workflow.getHandle(controllerWorkflowId(policy));
}

/** The controller's status query; a missing controller is a UserError naming the fix. */
export function controllerStatus(t: Temporal, policy: string, ms = 10_000): Promise<ControllerStatus> {
  return readControllerStatus(readerOver(t), t.config, policy, ms);
}

/** The reader interface over this client (for a server without its HTTP API configured). */
export function readerOver(t: Temporal): TemporalReader {
  const summaryOf = (e: WorkflowExecutionInfo | WorkflowExecutionDescription): WorkflowSummary => ({
    workflowId: e.workflowId,
    runId: e.runId,
    taskQueue: e.taskQueue,
    status: e.status.name,
    closeTime: e.closeTime?.toISOString() ?? null,
    searchAttributes: Object.fromEntries(e.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value])),
    memo: (e.memo ?? {}) as Record<string, unknown>,
  });
  return {
    async list(query) {
      const out: WorkflowSummary[] = [];
      for await (const e of t.client.workflow.list({ query })) out.push(summaryOf(e));
      return out;
    },
    async describe(workflowId) {
      try {
        return summaryOf(await t.client.workflow.getHandle(workflowId).describe());
      } catch (error) {
        if (isNotFound(error)) throw new WorkflowMissing(workflowId);
        throw error;
      }
    },
    async query<T>(workflowId: string, name: string, { what, timeoutMs }: QueryOptions): Promise<T> {
      try {
        return await answered(
          t,
          what,
          timeoutMs,
          () => t.client.workflow.getHandle(workflowId).query<T>(name),
          workflowId,
        );
      } catch (error) {
        if (isNotFound(error)) throw new WorkflowMissing(workflowId);
        if (
          error instanceof QueryNotRegisteredError ||
          error instanceof QueryRejectedError ||
          error instanceof ServiceError
        )
          throw new QueryRejected(rootMessage(error));
        throw error;
      }
    },
    policy: (workflowId) => currentPolicy(t, workflowId),
    async close() {},
  };
}

/** A reader over a new gRPC connection, closed with the reader. */
export async function grpcReader(config: Config): Promise<TemporalReader> {
  const { client, close } = await connectTemporal(config);
  return { ...readerOver({ client, config }), close };
}

/** The innermost message of a failure chain (an ApplicationFailure's, for a validator's refusal). */
function rootMessage(error: unknown): string {
  let e = error as { message?: string; cause?: unknown } | undefined;
  while (
    e &&
    typeof e === 'object' &&
    e.cause &&
    typeof (e.cause as { message?: string }).message === 'string'
  )
    e = e.cause as typeof e;
  return e?.message ?? String(error);
}

/**
 * Sends an update and waits for its result. A refusal by the workflow is
 * `Refused`; an update the running workflow code has no handler for says so
 * (the worker runs older code than this ctpilot).
 */
export async function sendUpdate<Ret, Arg>(
  t: Temporal,
  handle: WorkflowHandle,
  update: UpdateDefinition<Ret, [Arg]>,
  args: [Arg],
  what: string,
  ms: number,
): Promise<Ret> {
  try {
    return await answered(t, what, ms, () => handle.executeUpdate(update, { args }), handle.workflowId);
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      const message = rootMessage(error);
      if (/no (registered )?handler|unknown update|not registered|handler not found/i.test(message))
        throw new Refused(
          `${handle.workflowId} does not accept the ${update.name} update: ${message}`,
          'the worker runs workflow code without it; deploy the current ctpilot worker and try again',
        );
      throw new Refused(message);
    }
    if (error instanceof WorkflowNotFoundError) {
      const policy = /^policy:(.+)$/.exec(handle.workflowId)?.[1];
      if (policy) throw noController(policy);
      throw new UserError(
        `workflow ${handle.workflowId} is not running`,
        'check the id with `ctpilot status`',
      );
    }
    throw error;
  }
}

/** The first of a list of payloads, through the client's codecs and payload converter. */
async function firstValue<T>(
  converter: LoadedDataConverter,
  payloads: Payload[] | null | undefined,
): Promise<T | undefined> {
  if (!payloads || payloads.length === 0) return undefined;
  let decoded = [payloads[0]!];
  for (const codec of [...converter.payloadCodecs].reverse()) decoded = await codec.decode(decoded);
  return converter.payloadConverter.fromPayload<T>(decoded[0]!);
}

/**
 * The policy a controller runs now, read from its history, newest events
 * first: the latest of its start input, an accepted `applyPolicy` update or
 * an `evaluatePolicy` activity (whose input carries the policy in force).
 * Evaluations that run as local activities leave no input in the history, so
 * past `maxEvents` the controller is asked (its `policy` query). This is
 * where `status`, `list -l` and the evidence pack find the whole policy; it
 * works for a controller whose worker is down as long as the policy is in
 * its recent history.
 */
export async function currentPolicy(
  t: Temporal,
  workflowId: string,
  maxEvents = 2000,
): Promise<LoadedPolicy | undefined> {
  const converter = t.client.options.loadedDataConverter;
  let nextPageToken: Uint8Array | undefined;
  let seen = 0;
  do {
    const page = await t.client.workflowService.getWorkflowExecutionHistoryReverse({
      namespace: t.config.temporal.namespace,
      execution: { workflowId },
      maximumPageSize: 50,
      nextPageToken,
    });
    for (const event of page.history?.events ?? []) {
      seen++;
      const started = event.workflowExecutionStartedEventAttributes;
      if (started) {
        return (await firstValue<{ policy?: LoadedPolicy }>(converter, started.input?.payloads))?.policy;
      }
      const accepted = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
      if (accepted?.name === 'applyPolicy')
        return firstValue<LoadedPolicy>(converter, accepted.args?.payloads);
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name === 'evaluatePolicy') {
        const input = await firstValue<{ policy?: LoadedPolicy }>(converter, scheduled.input?.payloads);
        if (input?.policy) return input.policy;
      }
    }
    nextPageToken =
      page.nextPageToken && page.nextPageToken.length > 0 ? (page.nextPageToken as Uint8Array) : undefined;
  } while (nextPageToken && seen < maxEvents);
  if (!nextPageToken) return undefined;
  try {
    return await answered(
      t,
      `the policy query of ${workflowId}`,
      10_000,
      () => t.client.workflow.getHandle(workflowId).query(policyQuery),
      workflowId,
    );
  } catch {
    // Not answered (no worker, an older controller without the query): unknown, as before.
    return undefined;
  }
}
