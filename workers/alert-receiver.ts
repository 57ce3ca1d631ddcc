// The worker's endpoint for inbound alerts: Alertmanager and Grafana webhooks
// (and, in a generic shape, WhyLabs, Arize, Fiddler or any monitor), checked
// for a bearer token or an HMAC signature, turned into alerts and signalled to
// every policy controller that listens for them — which evaluates at once.
//
// Stateless: which controller listens for what is in each controller's memo
// (alertMatchers), read through Temporal's visibility, so any number of
// workers can receive alerts.
//
//   POST /alerts/<source>     source: alertmanager | grafana | whylabs | arize | fiddler | webhook
//   GET  /healthz
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Client } from '@temporalio/client';
import { matches } from '../activities/metrics/alert.ts';
import type { ReceivedAlert } from '../activities/metrics/provider.ts';
import {
  DEFAULT_TOLERANCE_SECONDS,
  SIGNATURE_HEADER,
  verifySignature,
} from '../activities/webhooks/signature.ts';
import { alertSignal, type ControllerMemo } from '../workflows/messages.ts';

export const ALERT_SOURCES = ['alertmanager', 'grafana', 'whylabs', 'arize', 'fiddler', 'webhook'] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];

const MAX_BODY_BYTES = 1024 * 1024;

export interface AlertReceiverOptions {
  readonly client: Client;
  readonly port: number;
  readonly host?: string;
  /** Accepted as `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Accepted as an `X-Ctpilot-Signature` HMAC of the body. */
  readonly hmacSecret?: string;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

export interface RoutedAlerts {
  readonly received: number;
  readonly routed: ReadonlyArray<{ readonly workflowId: string; readonly alerts: number }>;
}

/** Alertmanager/Grafana webhook shapes, or a generic one, into alerts. Throws a message for the sender on a bad body. */
export function normaliseAlerts(source: AlertSource, body: unknown, now: Date): ReceivedAlert[] {
  if (typeof body !== 'object' || body === null) throw new Error('the body must be a JSON object');
  const record = body as Record<string, unknown>;
  const receivedAt = now.toISOString();
  const stringsOf = (value: unknown): Record<string, string> =>
    Object.fromEntries(
      Object.entries(typeof value === 'object' && value !== null ? value : {}).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    );
  const one = (raw: unknown): ReceivedAlert => {
    const a = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    // The generic shape: labels may be given as such, or as the top-level string fields.
    const labels = a.labels !== undefined ? stringsOf(a.labels) : stringsOf(a);
    const annotations = stringsOf(a.annotations);
    const status = a.status === 'resolved' || a.status === 'ok' ? 'resolved' : 'firing';
    return {
      source,
      status,
      labels,
      receivedAt,
      ...(typeof a.startsAt === 'string' ? { startsAt: a.startsAt } : {}),
      ...(annotations.summary
        ? { summary: annotations.summary }
        : typeof a.summary === 'string'
          ? { summary: a.summary }
          : {}),
    };
  };
  if (Array.isArray(record.alerts)) return record.alerts.map(one);
  if (source === 'alertmanager' || source === 'grafana')
    throw new Error(`a ${source} webhook body has an "alerts" list`);
  return [one(record)];
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Signatures already accepted, until they fall out of the tolerance window:
 * the timestamp alone lets a captured request be replayed for five minutes;
 * with this, only once. Kept per process (a second replica does not know
 * them), bounded in size; a signature is remembered only once its request
 * was delivered, so a sender's retry after a 503 still goes through.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();
  constructor(
    private readonly toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
    private readonly capacity = 100_000,
  ) {}

  has(mac: string, nowSeconds = Date.now() / 1000): boolean {
    this.expire(nowSeconds);
    return this.seen.has(mac);
  }

  remember(mac: string, timestamp: number, nowSeconds = Date.now() / 1000): void {
    this.expire(nowSeconds);
    // Full: the oldest entries go first (they are the nearest to expiry anyway).
    while (this.seen.size >= this.capacity) {
      const oldest = this.seen.keys().next().value;
      if (oldest === undefined) break;
      this.seen.delete(oldest);
    }
    this.seen.set(mac, timestamp);
  }

  private expire(nowSeconds: number): void {
    for (const [mac, timestamp] of this.seen) {
      if (Math.abs(nowSeconds - timestamp) <= this.toleranceSeconds) break;
      this.seen.delete(mac);
    }
  }
}

type Admission = { readonly refused: string } | { readonly signature?: { mac: string; timestamp: number } };

/** Who may send: a bearer token, or a valid signature not seen before. */
function admission(
  request: IncomingMessage,
  body: string,
  options: AlertReceiverOptions,
  replays: ReplayGuard,
): Admission {
  const auth = request.headers.authorization;
  if (options.token && auth?.startsWith('Bearer ') && safeEqual(auth.slice(7).trim(), options.token))
    return {};
  const signature = request.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined;
  if (options.hmacSecret && signature) {
    const check = verifySignature(options.hmacSecret, body, signature);
    if (!check.ok) return { refused: check.message };
    const mac = /v1=([0-9a-f]{64})/.exec(signature)?.[1] ?? signature;
    if (replays.has(mac))
      return { refused: 'this signed request was already delivered: sign each request when sending it' };
    return { signature: { mac, timestamp: check.timestamp } };
  }
  return {
    refused: auth
      ? 'the bearer token is not accepted'
      : 'no credentials: send Authorization: Bearer <token> or a signature',
  };
}

/** Signals each running controller the alerts its matchers select. */
export async function routeAlerts(client: Client, alerts: readonly ReceivedAlert[]): Promise<RoutedAlerts> {
  const routed: Array<{ workflowId: string; alerts: number }> = [];
  const query = "WorkflowType = 'policyControllerWorkflow' AND ExecutionStatus = 'Running'";
  for await (const execution of client.workflow.list({ query })) {
    const memo = (execution.memo ?? {}) as Partial<ControllerMemo>;
    const matchers = memo.alertMatchers ?? [];
    const selected = alerts.filter((alert) => matchers.some((m) => matches(alert, m.source, m.match)));
    if (selected.length === 0) continue;
    await client.workflow.getHandle(execution.workflowId).signal(alertSignal, selected);
    routed.push({ workflowId: execution.workflowId, alerts: selected.length });
  }
  return { received: alerts.length, routed };
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
}

export function createAlertReceiver(
  options: AlertReceiverOptions,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  if (!options.token && !options.hmacSecret) {
    throw new Error(
      'the alert receiver needs a token (CTPILOT_ALERTS_TOKEN) or an HMAC secret (CTPILOT_ALERTS_HMAC_SECRET)',
    );
  }
  const replays = new ReplayGuard();
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://receiver');
    if (request.method === 'GET' && url.pathname === '/healthz') return reply(response, 200, { ok: true });
    const match = /^\/alerts\/([a-z]+)$/.exec(url.pathname);
    if (!match)
      return reply(response, 404, {
        error: `unknown path; POST alerts to /alerts/<${ALERT_SOURCES.join('|')}>`,
      });
    const source = match[1] as AlertSource;
    if (!ALERT_SOURCES.includes(source)) {
      return reply(response, 404, { error: `unknown source ${source}; one of ${ALERT_SOURCES.join(', ')}` });
    }
    if (request.method !== 'POST' && request.method !== 'PUT')
      return reply(response, 405, { error: 'POST the alerts' });
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reply(response, 413, { error: `body larger than ${MAX_BODY_BYTES} bytes` });
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', async () => {
      if (response.writableEnded) return;
      const body = Buffer.concat(chunks).toString('utf8');
      const admitted = admission(request, body, options, replays);
      if ('refused' in admitted) return reply(response, 401, { error: admitted.refused });
      let alerts: ReceivedAlert[];
      try {
        alerts = normaliseAlerts(source, JSON.parse(body), new Date());
      } catch (error) {
        return reply(response, 400, { error: `cannot read the alerts: ${(error as Error).message}` });
      }
      try {
        const routed = await routeAlerts(options.client, alerts);
        if (admitted.signature) replays.remember(admitted.signature.mac, admitted.signature.timestamp);
        options.log?.('alerts received', { source, ...routed });
        reply(response, 200, routed);
      } catch (error) {
        // The sender retries on 5xx (Alertmanager and Grafana both do).
        reply(response, 503, { error: `could not deliver the alerts: ${(error as Error).message}` });
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
      resolve({
        server,
        url: `http://${options.host ?? '127.0.0.1'}:${port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
