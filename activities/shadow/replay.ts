// Shadow replay: the production requests logged while the shadow runs are
// sent to the challenger's scoring endpoint (MLflow scoring protocol,
// `POST /invocations` with `dataframe_records`), in batches, a few at a time,
// each with a timeout and retries. Scores are kept in ctpilot's bucket, one
// object per request object scored, so a worker that dies in the middle
// resumes where it was: an object already scored is never scored again.
//
//   shadow/<retrain workflow id>/scores/<hash of the request object key>.jsonl
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import axios from 'axios';
import type { ObjectStore, ObjectSummary } from '../s3/client.ts';

export interface ReplayFields {
  readonly id: string;
  readonly inputs: string;
  readonly prediction: string;
  readonly version: string;
  readonly latency: string;
  readonly timestamp: string;
  readonly label: string;
}

/** One request as scored: the champion's logged answer beside the challenger's. */
export interface ScoreRecord {
  readonly id: string;
  readonly at: number;
  readonly champion: string;
  readonly challenger: string | null;
  readonly championLatencyMs?: number;
  readonly challengerLatencyMs?: number;
  readonly error?: string;
}

export interface ReplayInput {
  /** The retraining workflow: scores live under its name. */
  readonly workflowId: string;
  /** `s3://bucket/prefix/`: JSON Lines objects of logged requests. */
  readonly requestsUri: string;
  /** The challenger's scoring endpoint, version already filled in. */
  readonly endpoint: string;
  readonly fields: ReplayFields;
  readonly batchSize: number;
  readonly concurrency: number;
  /** Only requests served from this instant on (the shadow's start) are replayed. */
  readonly from: string;
  /** Only requests the champion served (its version), when given: the comparison is champion vs challenger. */
  readonly championVersion?: string;
  readonly timeoutMs?: number;
}

export interface ReplayProgress {
  readonly objectsSeen: number;
  readonly objectsScored: number;
  readonly objectsAlreadyScored: number;
  readonly requestsScored: number;
  readonly requestsFailed: number;
}

export function scoresPrefix(workflowId: string): string {
  return `shadow/${workflowId.replace(/[^A-Za-z0-9._-]/g, '_')}/scores/`;
}

function scoresKey(workflowId: string, source: ObjectSummary): string {
  const hash = createHash('sha256').update(`${source.bucket}/${source.key}`).digest('hex').slice(0, 32);
  return `${scoresPrefix(workflowId)}${hash}.jsonl`;
}

/** Unix milliseconds from unix seconds, unix milliseconds or ISO 8601. */
export function timeOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e11 ? value * 1000 : value;
  if (typeof value === 'string') {
    const n = Number(value);
    if (value.trim() !== '' && Number.isFinite(n)) return timeOf(n);
    const t = Date.parse(value);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

function prefixOf(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`shadow requests must be an s3:// prefix of JSON Lines objects, got ${uri}`);
  return { bucket: match[1]!, prefix: match[2]! };
}

/** Scores a batch of inputs, with retries; one entry per input (null when it could not be scored). */
async function scoreBatch(
  endpoint: string,
  inputs: readonly unknown[],
  timeoutMs: number,
): Promise<{ predictions: Array<string | null>; latencyMs: number; error?: string }> {
  let lastError = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const started = performance.now();
    try {
      const response = await axios.post(
        endpoint,
        { dataframe_records: inputs },
        { timeout: timeoutMs, validateStatus: () => true, headers: { 'Content-Type': 'application/json' } },
      );
      const latencyMs = (performance.now() - started) / inputs.length;
      if (
        response.status === 200 &&
        Array.isArray(response.data?.predictions) &&
        response.data.predictions.length === inputs.length
      ) {
        return {
          predictions: response.data.predictions.map((p: unknown) =>
            typeof p === 'object' ? JSON.stringify(p) : String(p),
          ),
          latencyMs,
        };
      }
      lastError =
        response.status === 200
          ? `answer without one prediction per input (${JSON.stringify(response.data).slice(0, 200)})`
          : `HTTP ${response.status}: ${JSON.stringify(response.data).slice(0, 200)}`;
      if (response.status >= 400 && response.status < 500 && response.status !== 429) break; // the same request will fail again
    } catch (error) {
      lastError = axios.isAxiosError(error) ? (error.code ?? error.message) : String(error);
    }
    await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
  }
  return { predictions: inputs.map(() => null), latencyMs: Number.NaN, error: lastError };
}

/** Runs `tasks` with at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

export function createReplayActivities({ store }: { store: ObjectStore }) {
  return {
    /** Scores every request object logged since the shadow began that is not scored yet. */
    async replayShadowRequests(input: ReplayInput): Promise<ReplayProgress> {
      const context = Context.current();
      const { bucket, prefix } = prefixOf(input.requestsUri);
      const from = Date.parse(input.from);
      const f = input.fields;
      const objects: ObjectSummary[] = [];
      for await (const object of store.list(prefix, bucket)) {
        // Objects written before the shadow began hold only older requests.
        if (!object.lastModified || object.lastModified.getTime() >= from - 60_000) objects.push(object);
      }
      let objectsScored = 0;
      let objectsAlreadyScored = 0;
      let requestsScored = 0;
      let requestsFailed = 0;
      for (const object of objects.sort((a, b) => (a.key < b.key ? -1 : 1))) {
        const target = scoresKey(input.workflowId, object);
        if (await store.exists(target)) {
          objectsAlreadyScored++;
          continue;
        }
        const requests: Array<{
          id: string;
          at: number;
          inputs: unknown;
          champion: string;
          latency?: number;
        }> = [];
        for await (const line of store.readJsonLines(`s3://${object.bucket}/${object.key}`)) {
          const record = line as Record<string, unknown>;
          const at = timeOf(record[f.timestamp]);
          if (at === undefined || at < from) continue;
          if (input.championVersion !== undefined && String(record[f.version]) !== input.championVersion)
            continue;
          if (
            record[f.id] === undefined ||
            record[f.inputs] === undefined ||
            record[f.prediction] === undefined
          )
            continue;
          const latency = Number(record[f.latency]);
          requests.push({
            id: String(record[f.id]),
            at,
            inputs: record[f.inputs],
            champion: String(record[f.prediction]),
            ...(Number.isFinite(latency) ? { latency } : {}),
          });
        }
        const batches: Array<typeof requests> = [];
        for (let i = 0; i < requests.length; i += input.batchSize)
          batches.push(requests.slice(i, i + input.batchSize));
        const scored: ScoreRecord[] = [];
        await pool(batches, input.concurrency, async (batch) => {
          const answer = await scoreBatch(
            input.endpoint,
            batch.map((r) => r.inputs),
            input.timeoutMs ?? 10_000,
          );
          batch.forEach((request, i) => {
            const challenger = answer.predictions[i] ?? null;
            scored.push({
              id: request.id,
              at: request.at,
              champion: request.champion,
              challenger,
              ...(request.latency !== undefined ? { championLatencyMs: request.latency } : {}),
              ...(challenger !== null ? { challengerLatencyMs: answer.latencyMs } : { error: answer.error }),
            });
          });
          context.heartbeat({ object: object.key, scored: scored.length });
        });
        scored.sort((a, b) => (a.id < b.id ? -1 : 1));
        // Written once the whole object is scored: a crash before this line re-scores only this object.
        await store.putJsonLines(target, scored);
        objectsScored++;
        requestsScored += scored.filter((s) => s.challenger !== null).length;
        requestsFailed += scored.filter((s) => s.challenger === null).length;
      }
      return {
        objectsSeen: objects.length,
        objectsScored,
        objectsAlreadyScored,
        requestsScored,
        requestsFailed,
      };
    },
  };
}
