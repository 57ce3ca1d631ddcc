// A typed client for Prometheus's HTTP query API. A query never throws: it
// answers with a result whose kind says what happened — a vector, scalar,
// matrix or string, or an error with its cause (bad query, timeout, HTTP
// status, network, malformed answer). `singleValue` narrows a result to the
// one number a policy metric needs, keeping "no data", NaN, ±Inf, "several
// series" and errors apart, so none of them is ever mistaken for a value.
import axios, { type AxiosInstance, isAxiosError } from 'axios';
import { z } from 'zod';

export interface PrometheusClientOptions {
  readonly url: string;
  readonly bearerToken?: string;
  readonly username?: string;
  readonly password?: string;
  /** Extra headers, e.g. a tenant header for Cortex/Mimir/Thanos (X-Scope-OrgID). */
  readonly headers?: Readonly<Record<string, string>>;
  /** HTTP timeout; Prometheus is also told to stop evaluating after it. */
  readonly timeoutMs?: number;
  /**
   * How the server is named in messages and evidence, when `url` holds a
   * resolved secret: the address as the policy wrote it, references
   * unresolved. Defaults to `url`.
   */
  readonly label?: string;
}

export type Labels = Readonly<Record<string, string>>;

export interface InstantSample {
  readonly labels: Labels;
  /** Seconds since the epoch. */
  readonly timestamp: number;
  /** May be NaN or ±Infinity: Prometheus sends "NaN", "+Inf", "-Inf". */
  readonly value: number;
}

export interface RangeSeries {
  readonly labels: Labels;
  readonly points: ReadonlyArray<{ readonly timestamp: number; readonly value: number }>;
}

/**
 * The largest answer read: a query for one policy metric never needs more,
 * and a runaway one (every series of a big server, a proxy answering
 * garbage) must not take the worker's memory with it.
 */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

export type QueryErrorKind =
  | 'bad_data' // the query does not parse or is invalid
  | 'timeout'
  | 'canceled'
  | 'execution'
  | 'unavailable' // 503, or Prometheus says so
  | 'auth' // 401/403
  | 'http' // any other non-2xx answer
  | 'network' // no answer at all
  | 'bad_response'; // 2xx with a body that is not Prometheus's shape

export type QueryResult =
  | {
      readonly kind: 'vector';
      readonly samples: readonly InstantSample[];
      readonly warnings: readonly string[];
    }
  | { readonly kind: 'scalar'; readonly sample: InstantSample; readonly warnings: readonly string[] }
  | { readonly kind: 'matrix'; readonly series: readonly RangeSeries[]; readonly warnings: readonly string[] }
  | { readonly kind: 'string'; readonly value: string; readonly warnings: readonly string[] }
  | {
      readonly kind: 'error';
      readonly error: QueryErrorKind;
      readonly message: string;
      readonly httpStatus?: number;
    };

/** What one policy metric gets from one instant query. */
export type SingleValue =
  | { readonly outcome: 'value'; readonly value: number; readonly timestamp: number; readonly labels: Labels }
  | { readonly outcome: 'no-data' }
  | { readonly outcome: 'nan'; readonly labels: Labels }
  | { readonly outcome: 'infinite'; readonly value: number; readonly labels: Labels }
  | { readonly outcome: 'ambiguous'; readonly series: number }
  | { readonly outcome: 'error'; readonly error: QueryErrorKind; readonly message: string };

/** Prometheus renders sample values as strings, including "NaN", "+Inf" and "-Inf". */
export function parseSampleValue(raw: string): number {
  if (raw === 'NaN') return Number.NaN;
  if (raw === '+Inf' || raw === 'Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  const value = Number(raw);
  if (raw.trim() === '' || Number.isNaN(value)) throw new Error(`not a sample value: ${JSON.stringify(raw)}`);
  return value;
}

/** Seconds since the epoch that a Date can hold (±8.64e12 s); anything else is not a time, whatever the server says. */
const timestamp = z.number().refine((t) => Math.abs(t) <= 8.64e12, {
  error: (iss) => `sample timestamp ${String(iss.input)} is not a time`,
});
const samplePair = z.tuple([timestamp, z.string()]);
const envelope = z.object({
  status: z.enum(['success', 'error']),
  data: z.unknown().optional(),
  errorType: z.string().optional(),
  error: z.string().optional(),
  warnings: z.array(z.string()).optional(),
});
const dataSchema = z.discriminatedUnion('resultType', [
  z.object({
    resultType: z.literal('vector'),
    result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: samplePair })),
  }),
  z.object({
    resultType: z.literal('matrix'),
    result: z.array(z.object({ metric: z.record(z.string(), z.string()), values: z.array(samplePair) })),
  }),
  z.object({ resultType: z.literal('scalar'), result: samplePair }),
  z.object({ resultType: z.literal('string'), result: samplePair }),
]);

function errorKind(errorType: string | undefined, status: number): QueryErrorKind {
  switch (errorType) {
    case 'bad_data':
    case 'timeout':
    case 'canceled':
    case 'execution':
    case 'unavailable':
      return errorType;
  }
  if (status === 401 || status === 403) return 'auth';
  if (status === 503) return 'unavailable';
  if (status === 422) return 'execution';
  if (status === 400) return 'bad_data';
  return 'http';
}

/** Decodes one API answer (status and body) into a QueryResult. Pure: used by the client and by tests. */
export function decodeQueryResponse(status: number, body: unknown): QueryResult {
  const parsedEnvelope = envelope.safeParse(typeof body === 'string' ? safeJson(body) : body);
  if (!parsedEnvelope.success) {
    if (status < 200 || status >= 300) {
      return {
        kind: 'error',
        error: errorKind(undefined, status),
        message: `HTTP ${status}`,
        httpStatus: status,
      };
    }
    return {
      kind: 'error',
      error: 'bad_response',
      message: 'the answer is not a Prometheus API response',
      httpStatus: status,
    };
  }
  const answer = parsedEnvelope.data;
  if (answer.status === 'error' || status < 200 || status >= 300) {
    return {
      kind: 'error',
      error: errorKind(answer.errorType, status),
      message: answer.error ?? `HTTP ${status}`,
      httpStatus: status,
    };
  }
  const warnings = answer.warnings ?? [];
  const data = dataSchema.safeParse(answer.data);
  if (!data.success) {
    return {
      kind: 'error',
      error: 'bad_response',
      message: `unexpected data: ${data.error.issues[0]?.message}`,
      httpStatus: status,
    };
  }
  try {
    const d = data.data;
    switch (d.resultType) {
      case 'vector':
        return {
          kind: 'vector',
          samples: d.result.map((r) => ({
            labels: r.metric,
            timestamp: r.value[0],
            value: parseSampleValue(r.value[1]),
          })),
          warnings,
        };
      case 'matrix':
        return {
          kind: 'matrix',
          series: d.result.map((r) => ({
            labels: r.metric,
            points: r.values.map(([timestamp, v]) => ({ timestamp, value: parseSampleValue(v) })),
          })),
          warnings,
        };
      case 'scalar':
        return {
          kind: 'scalar',
          sample: { labels: {}, timestamp: d.result[0], value: parseSampleValue(d.result[1]) },
          warnings,
        };
      case 'string':
        return { kind: 'string', value: d.result[1], warnings };
    }
  } catch (error) {
    return { kind: 'error', error: 'bad_response', message: (error as Error).message, httpStatus: status };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Narrows an instant query's result to the single number a metric needs, or says why there is none. */
export function singleValue(result: QueryResult): SingleValue {
  let sample: InstantSample;
  switch (result.kind) {
    case 'error':
      return { outcome: 'error', error: result.error, message: result.message };
    case 'string':
    case 'matrix':
      return {
        outcome: 'error',
        error: 'bad_data',
        message: `expected an instant vector or scalar, got a ${result.kind} (use an instant query without a range selector)`,
      };
    case 'scalar':
      sample = result.sample;
      break;
    case 'vector': {
      if (result.samples.length === 0) return { outcome: 'no-data' };
      if (result.samples.length > 1) return { outcome: 'ambiguous', series: result.samples.length };
      sample = result.samples[0]!;
      break;
    }
  }
  if (Number.isNaN(sample.value)) return { outcome: 'nan', labels: sample.labels };
  if (!Number.isFinite(sample.value))
    return { outcome: 'infinite', value: sample.value, labels: sample.labels };
  return { outcome: 'value', value: sample.value, timestamp: sample.timestamp, labels: sample.labels };
}

/** A URL without its user:password part; text that is not a URL is kept as it is (a label, not a secret). */
function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

export class PrometheusClient {
  readonly url: string;
  /** The address fit for messages, results and the audit history (no resolved secret, no credentials). */
  readonly label: string;
  private readonly http: AxiosInstance;
  private readonly timeoutMs: number;

  constructor(options: PrometheusClientOptions) {
    this.url = options.url.replace(/\/$/, '');
    this.label = withoutCredentials((options.label ?? options.url).replace(/\/$/, ''));
    this.timeoutMs = options.timeoutMs ?? 30_000;
    const headers: Record<string, string> = { ...options.headers };
    if (options.bearerToken) headers.Authorization = `Bearer ${options.bearerToken}`;
    this.http = axios.create({
      baseURL: this.url,
      timeout: this.timeoutMs,
      headers,
      auth:
        options.username !== undefined
          ? { username: options.username, password: options.password ?? '' }
          : undefined,
      validateStatus: () => true,
      maxContentLength: MAX_ANSWER_BYTES,
      // Bodies are decoded by decodeQueryResponse, which tolerates non-JSON.
      responseType: 'text',
      transformResponse: (data) => data,
    });
  }

  private async post(path: string, form: Record<string, string>): Promise<QueryResult> {
    try {
      const response = await this.http.post(path, new URLSearchParams(form).toString(), {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        // axios's timeout is the socket's idle time: a body that trickles in a
        // byte at a time never trips it. The whole exchange gets a deadline too.
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      return decodeQueryResponse(response.status, response.data);
    } catch (error) {
      if (
        isAxiosError(error) &&
        (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT' || error.code === 'ERR_CANCELED')
      ) {
        return {
          kind: 'error',
          error: 'timeout',
          message: `no answer from ${this.label} within ${this.timeoutMs} ms`,
        };
      }
      if (isAxiosError(error) && /maxContentLength/.test(error.message)) {
        return {
          kind: 'error',
          error: 'bad_response',
          message: `the answer from ${this.label} is larger than ${MAX_ANSWER_BYTES} bytes; narrow the query`,
        };
      }
      const reason = isAxiosError(error) ? (error.code ?? error.message) : String(error);
      return {
        kind: 'error',
        error: 'network',
        message: `cannot reach Prometheus at ${this.label}: ${reason}`,
      };
    }
  }

  /** Prometheus's own evaluation timeout, a little under ours so its error arrives first. */
  private serverTimeout(): string {
    return `${Math.max(1, Math.floor(this.timeoutMs / 1000) - 1)}s`;
  }

  /** An instant query at `time` (default: now). */
  query(query: string, time?: Date): Promise<QueryResult> {
    const form: Record<string, string> = { query, timeout: this.serverTimeout() };
    if (time) form.time = String(time.getTime() / 1000);
    return this.post('/api/v1/query', form);
  }

  /** A range query from `start` to `end` every `stepSeconds`. */
  queryRange(query: string, start: Date, end: Date, stepSeconds: number): Promise<QueryResult> {
    return this.post('/api/v1/query_range', {
      query,
      start: String(start.getTime() / 1000),
      end: String(end.getTime() / 1000),
      step: String(stepSeconds),
      timeout: this.serverTimeout(),
    });
  }

  /** True when Prometheus answers /-/ready. */
  async ready(): Promise<boolean> {
    try {
      return (await this.http.get('/-/ready', { timeout: 5000 })).status === 200;
    } catch {
      return false;
    }
  }
}
