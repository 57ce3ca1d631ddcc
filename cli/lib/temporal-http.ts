// The Temporal reader over the frontend's HTTP API (/api/v1, the same
// service as gRPC, in JSON). Asked for payloads as they are (its canonical
// protobuf JSON, not its "shorthand", which turns an empty list inside a
// query result into null) and decoded here: the bytes the SDK wrote.
import { readFileSync } from 'node:fs';
import type { Config } from '../../workers/config.ts';
import { describeTemporalConnection } from '../../workers/temporal-connection.ts';
import { HttpStatusError, HttpTimeoutError, type JsonRequest, requestJson } from './http-json.ts';
import { noAnswer } from './refusals.ts';
import { temporalUnreachable } from './services.ts';
import {
  type QueryOptions,
  QueryRejected,
  type TemporalReader,
  temporalTrouble,
  WorkflowMissing,
  type WorkflowSummary,
} from './temporal-reader.ts';

/** gRPC status codes the API answers with in its error bodies. */
const NOT_FOUND = 5;
const DEADLINE_EXCEEDED = 4;

interface RawPayload {
  readonly metadata?: { readonly encoding?: string };
  readonly data?: string;
}

interface RawExecution {
  readonly execution?: { readonly workflowId?: string; readonly runId?: string };
  readonly status?: string;
  readonly closeTime?: string;
  readonly taskQueue?: string;
  readonly memo?: { readonly fields?: Record<string, unknown> };
  readonly searchAttributes?: { readonly indexedFields?: Record<string, RawPayload | unknown> };
}

const decodeBase64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

/** A json/plain payload's value (binary/null: null); anything else as it came. */
export function payloadValue(value: unknown): unknown {
  const p = value as RawPayload | null;
  if (p && typeof p === 'object' && typeof p.metadata?.encoding === 'string') {
    const encoding = decodeBase64(p.metadata.encoding);
    if (encoding === 'binary/null') return null;
    if (encoding === 'json/plain' && typeof p.data === 'string') return JSON.parse(decodeBase64(p.data));
  }
  return value;
}

/** One execution as the API lists or describes it. */
export function summaryOf(raw: RawExecution, taskQueue?: string): WorkflowSummary {
  const fields = raw.searchAttributes?.indexedFields ?? {};
  return {
    workflowId: raw.execution?.workflowId ?? '',
    runId: raw.execution?.runId ?? '',
    taskQueue: raw.taskQueue ?? taskQueue ?? '',
    status: (raw.status ?? 'UNSPECIFIED').replace(/^WORKFLOW_EXECUTION_STATUS_/, ''),
    closeTime: raw.closeTime ?? null,
    searchAttributes: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, payloadValue(v)])),
    memo: Object.fromEntries(Object.entries(raw.memo?.fields ?? {}).map(([k, v]) => [k, payloadValue(v)])),
  };
}

function grpcCode(error: unknown): number | undefined {
  if (!(error instanceof HttpStatusError)) return undefined;
  const code = (error.body as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function serverMessage(error: unknown): string {
  if (error instanceof HttpStatusError) {
    const message = (error.body as { message?: unknown } | null)?.message;
    if (typeof message === 'string') return message;
  }
  return (error as Error).message;
}

export function httpReader(config: Config, baseUrl: string): TemporalReader {
  const namespace = encodeURIComponent(config.temporal.namespace);
  const base = `${baseUrl}/api/v1/namespaces/${namespace}`;
  const where = `${baseUrl} (${describeTemporalConnection(config.temporal)})`;
  const tls = config.temporal.tls;
  const request: Pick<JsonRequest, 'headers' | 'tls'> = {
    headers: {
      accept: 'application/json+no-payload-shorthand',
      ...(config.temporal.apiKey ? { authorization: `Bearer ${config.temporal.apiKey}` } : {}),
    },
    ...(tls
      ? {
          tls: {
            ...(tls.caPath ? { ca: readFileSync(tls.caPath) } : {}),
            ...(tls.certPath && tls.keyPath
              ? { cert: readFileSync(tls.certPath), key: readFileSync(tls.keyPath) }
              : {}),
            ...(tls.serverName ? { servername: tls.serverName } : {}),
          },
        }
      : {}),
  };

  const call = async <T>(path: string, options: { body?: unknown; timeoutMs?: number } = {}): Promise<T> => {
    try {
      return await requestJson<T>({
        ...request,
        url: `${base}${path}`,
        ...(options.body !== undefined ? { method: 'POST', body: options.body } : {}),
        timeoutMs: options.timeoutMs ?? 10_000,
      });
    } catch (error) {
      if (error instanceof HttpStatusError || error instanceof HttpTimeoutError) throw error;
      throw temporalUnreachable(config, where, error);
    }
  };

  const describe = async (workflowId: string): Promise<WorkflowSummary> => {
    try {
      const answer = await call<{
        workflowExecutionInfo?: RawExecution;
        executionConfig?: { taskQueue?: { name?: string } };
      }>(`/workflows/${encodeURIComponent(workflowId)}`);
      return summaryOf(answer.workflowExecutionInfo ?? {}, answer.executionConfig?.taskQueue?.name);
    } catch (error) {
      if (grpcCode(error) === NOT_FOUND) throw new WorkflowMissing(workflowId);
      if (error instanceof HttpStatusError || error instanceof HttpTimeoutError)
        throw temporalTrouble(`describe ${workflowId}`, error);
      throw error;
    }
  };

  return {
    async list(query) {
      const out: WorkflowSummary[] = [];
      let token: string | undefined;
      try {
        do {
          const page = await call<{ executions?: RawExecution[]; nextPageToken?: string }>(
            `/workflows?query=${encodeURIComponent(query)}${token ? `&nextPageToken=${encodeURIComponent(token)}` : ''}`,
          );
          for (const e of page.executions ?? []) out.push(summaryOf(e));
          token = page.nextPageToken || undefined;
        } while (token);
      } catch (error) {
        if (error instanceof HttpStatusError || error instanceof HttpTimeoutError)
          throw temporalTrouble('list workflows', error);
        throw error;
      }
      return out;
    },

    describe,

    async query<T>(workflowId: string, name: string, options: QueryOptions): Promise<T> {
      try {
        const answer = await call<{ queryResult?: { payloads?: unknown[] } }>(
          `/workflows/${encodeURIComponent(workflowId)}/query/${encodeURIComponent(name)}`,
          // Without a worker the server holds the request: the deadline is ours.
          { body: {}, timeoutMs: options.timeoutMs },
        );
        return payloadValue(answer.queryResult?.payloads?.[0] ?? null) as T;
      } catch (error) {
        const code = grpcCode(error);
        if (code === NOT_FOUND) throw new WorkflowMissing(workflowId);
        if (error instanceof HttpTimeoutError || code === DEADLINE_EXCEEDED) {
          // The queue that needs a worker is the workflow's own, which may not be this configuration's.
          const queue = await describe(workflowId).then(
            (d) => d.taskQueue || config.temporal.taskQueue,
            () => config.temporal.taskQueue,
          );
          throw noAnswer(options.what, options.timeoutMs, queue);
        }
        if (error instanceof HttpStatusError) throw new QueryRejected(serverMessage(error));
        throw error;
      }
    },

    async policy(workflowId) {
      // Rare (a controller from before its memo carried the policy's facts): the SDK reads the history.
      const { withTemporal, currentPolicy } = await import('./controllers.ts');
      return withTemporal(config, (t) => currentPolicy(t, workflowId));
    },

    async close() {},
  };
}
