// Notifications: what ctpilot tells people (alerts, retrains, approvals
// needed, promotions, rollbacks, failures), sent to each receiver of the
// policy's `notify` section. Payloads are Alertmanager-compatible, so any tool
// that takes Alertmanager webhooks takes ctpilot's; an `alertmanager`
// receiver gets them through its v2 API and routes them like any alert.
//
// A notification that cannot be delivered never fails the evaluation that
// caused it: each receiver's result is returned, for the audit history.
import { createHash } from 'node:crypto';
import axios from 'axios';
import { resolveRecord, workerSecretResolver } from './secrets.ts';
import { SIGNATURE_HEADER, signBody } from './webhooks/signature.ts';

export type NotificationEvent = 'alert' | 'retrain' | 'rollback' | 'approval' | 'promotion' | 'failure';

export interface Notification {
  readonly event: NotificationEvent;
  readonly policy: string;
  readonly model: string;
  /** e.g. the trigger name; part of the alert's identity. */
  readonly name: string;
  readonly severity: 'info' | 'warning' | 'critical';
  readonly status: 'firing' | 'resolved';
  /** One line for the person paged. */
  readonly summary: string;
  /** The full explanation: values, thresholds, queries, guards. */
  readonly description: string;
  readonly startsAt: string;
  readonly endsAt?: string;
  /** Where to look: the workflow in the Temporal UI. */
  readonly link?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** A receiver from the policy; header values and secrets may be references, resolved here. */
export interface Receiver {
  readonly webhook?: {
    readonly url: string;
    readonly secret?: string;
    readonly headers?: Readonly<Record<string, string>>;
  };
  readonly alertmanager?: { readonly url: string; readonly headers?: Readonly<Record<string, string>> };
  readonly on?: readonly NotificationEvent[];
}

export interface DeliveryResult {
  readonly receiver: string;
  readonly delivered: boolean;
  readonly skipped?: boolean;
  readonly status?: number;
  readonly error?: string;
  readonly attempts: number;
}

/** The Alertmanager alert for a notification: labels identify it, annotations explain it. */
export function alertOf(n: Notification) {
  const labels: Record<string, string> = {
    alertname: `ctpilot_${n.event}`,
    ctpilot_policy: n.policy,
    model: n.model,
    trigger: n.name,
    severity: n.severity,
    ...n.labels,
  };
  const fingerprint = createHash('sha256')
    .update(JSON.stringify(Object.entries(labels).sort()))
    .digest('hex')
    .slice(0, 16);
  return {
    status: n.status,
    labels,
    annotations: { summary: n.summary, description: n.description },
    startsAt: n.startsAt,
    endsAt: n.endsAt ?? (n.status === 'resolved' ? n.startsAt : '0001-01-01T00:00:00Z'),
    generatorURL: n.link ?? '',
    fingerprint,
  };
}

/** Alertmanager's webhook payload (version 4) carrying one alert. */
export function webhookPayload(receiver: string, n: Notification) {
  const alert = alertOf(n);
  return {
    version: '4',
    groupKey: `{}:{ctpilot_policy="${n.policy}"}`,
    truncatedAlerts: 0,
    status: n.status,
    receiver,
    groupLabels: { ctpilot_policy: n.policy },
    commonLabels: alert.labels,
    commonAnnotations: alert.annotations,
    externalURL: n.link ?? '',
    alerts: [alert],
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status?: number; error?: string; attempts: number }> {
  let last: { status?: number; error?: string } = {};
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const response = await axios.post(url, body, { headers, timeout: 10_000, validateStatus: () => true });
      if (response.status >= 200 && response.status < 300)
        return { status: response.status, attempts: attempt };
      last = { status: response.status, error: `HTTP ${response.status}` };
      // A 4xx other than 429 will not change on a retry.
      if (response.status < 500 && response.status !== 429) return { ...last, attempts: attempt };
    } catch (error) {
      last = { error: axios.isAxiosError(error) ? (error.code ?? error.message) : String(error) };
    }
    if (attempt < 3) await sleep(250 * 2 ** attempt);
  }
  return { ...last, attempts: 3 };
}

export function createNotifyActivities() {
  return {
    async sendNotification(input: {
      receivers: Readonly<Record<string, Receiver>>;
      notification: Notification;
    }): Promise<DeliveryResult[]> {
      const resolver = workerSecretResolver();
      const results: DeliveryResult[] = [];
      for (const [name, receiver] of Object.entries(input.receivers)) {
        if (receiver.on && !receiver.on.includes(input.notification.event)) {
          results.push({ receiver: name, delivered: false, skipped: true, attempts: 0 });
          continue;
        }
        try {
          let outcome: { status?: number; error?: string; attempts: number };
          if (receiver.webhook) {
            const body = JSON.stringify(webhookPayload(name, input.notification));
            const headers: Record<string, string> = {
              'Content-Type': 'application/json',
              ...(await resolveRecord(resolver, receiver.webhook.headers)),
            };
            if (receiver.webhook.secret) {
              headers[SIGNATURE_HEADER] = signBody(
                (await resolver.resolve(receiver.webhook.secret)).reveal(),
                body,
              );
            }
            outcome = await post((await resolver.interpolate(receiver.webhook.url)).reveal(), body, headers);
          } else if (receiver.alertmanager) {
            const { fingerprint: _, status: __, ...alert } = alertOf(input.notification);
            const base = (await resolver.interpolate(receiver.alertmanager.url)).reveal().replace(/\/$/, '');
            outcome = await post(`${base}/api/v2/alerts`, JSON.stringify([alert]), {
              'Content-Type': 'application/json',
              ...(await resolveRecord(resolver, receiver.alertmanager.headers)),
            });
          } else {
            outcome = { error: 'receiver has neither webhook nor alertmanager', attempts: 0 };
          }
          results.push({ receiver: name, delivered: outcome.error === undefined, ...outcome });
        } catch (error) {
          // A secret that cannot be resolved: the message names the reference, never a value.
          results.push({ receiver: name, delivered: false, error: (error as Error).message, attempts: 0 });
        }
      }
      return results;
    },
  };
}
